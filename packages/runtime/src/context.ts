/**
 * The task context: the last argument of every task, and its `this`. It
 * exposes the same API as the job's cluster (remote, get, put, wait, free,
 * cancel), which is how tasks build recursive and dynamic graphs. While a task
 * waits in get/wait its slot is lent out, so recursion cannot deadlock.
 */
import * as arrow from 'apache-arrow';
import { transfer } from 'comlink';
import { ShoalError, actorProxy, hashSource, validateOptions, type RemoteError, type RemoteOptions } from '@shoal/protocol';
import type { ActorCallRequest, HostReply, TaskHost } from './host.ts';
import { formatLogArgs } from './execute.ts';
import { TaskRef, encodeRefs, refIds } from './taskRef.ts';
import { blobBytes, packValue, type Packed } from '@shoal/objects';
import { unpackValue } from './values.ts';
import type { TaskGpu } from './gpuContext.ts';
import { openEngineSession, type Engine, type EngineSession } from '@shoal/engine';
import { createTaskOnnx, type TaskOnnx } from '@shoal/inference';
import { collectiveContext, type CollectiveContext } from '@shoal/collective';
import { ActorPorts } from './actorPorts.ts';

export interface TaskContext {
  readonly taskId: string;
  readonly workerId: string;
  readonly attempt: number;
  /** Aborted when the task is cancelled. */
  readonly signal: AbortSignal;
  /** The apache-arrow module, so tasks can build and read Arrow tables (task code cannot import). */
  readonly arrow: typeof arrow;
  /** WebGPU compute on this worker's GPU, or null if it offers none (see gpuContext.ts). */
  readonly gpu: TaskGpu | null;
  /**
   * The vectorized SQL engine (DuckDB-WASM, @shoal/engine), loaded in this Web Worker on first use (~34 MB,
   * fetched once per Web Worker). Each task gets a scope of its own, dropped when the task ends.
   */
  engine(): Promise<Engine>;
  /** onnxruntime-web (WebGPU on a real GPU, wasm otherwise), loaded in this Web Worker on first use; models cached by hash (@shoal/inference). */
  readonly onnx: TaskOnnx;
  /**
   * Declares that this function reads the stored inputs its Web Worker's engine keeps (Engine.keep,
   * keyed by object id) from the engine, not from their bytes. From its next run on, such an input
   * may arrive as a ref instead of its bytes (not copied into the Web Worker at all); `ctx.get` the
   * ref if the engine no longer keeps it.
   */
  acceptKeptInputs(): void;
  /**
   * `byteLength` zeroed bytes to fill and return as one of this task's values, as they are: they are
   * then stored without being copied into their stored form (@shoal/objects blobBytes.ts). Worth it
   * for outputs of megabytes; returned in part or inside another value, they are copied as usual.
   */
  outputBytes(byteLength: number): Uint8Array;
  /**
   * Hands bytes this task is done with (its consumed inputs, say) to this Web Worker's pool, for a later
   * outputBytes to reuse instead of new memory (@shoal/objects blobBytes.ts). Taken when the task ends, and
   * only for buffers the task owns outright: lent inputs, outputs and anything under 1 MiB are left alone.
   * Nothing may touch the bytes after the task ends.
   */
  recycle(bytes: Uint8Array): void;
  log(...args: unknown[]): void;
  /** Reports progress, a fraction from 0 to 1 (sent at most every 100 ms). */
  progress(fraction: number): void;
  remote<A extends unknown[]>(fn: (...args: A) => unknown, options?: RemoteOptions): (...args: unknown[]) => TaskRef | TaskRef[];
  get(target: TaskRef | TaskRef[], options?: { timeout?: number }): Promise<unknown>;
  put(value: unknown): TaskRef;
  wait(refs: TaskRef[], options?: { numReturns?: number; timeout?: number }): Promise<{ ready: TaskRef[]; pending: TaskRef[] }>;
  free(refs: TaskRef | TaskRef[]): void;
  cancel(ref: TaskRef, options?: { force?: boolean }): void;
  /** Collectives (allreduce, broadcast, ...) with the other members of a group from `cluster.collective.group(n)` (@shoal/collective). */
  readonly collective: CollectiveContext;
}

export interface ContextInit {
  taskId: string;
  workerId: string;
  attempt: number;
  signal: AbortSignal;
  host: TaskHost;
  /** Mints a cluster-unique id for a nested task or object. */
  mintId: () => string;
  gpu: TaskGpu | null;
  /** The worker's task memory cap in bytes, given to DuckDB as its memory_limit when ctx.engine() first loads it. */
  memoryBytes?: number | null;
  /** Called around get/wait so the page can lend the slot out. */
  setBlocked: (blocked: boolean) => void;
  /** The task called ctx.acceptKeptInputs() (taskWorker.ts tells the pool). */
  acceptKeptInputs?: () => void;
  /** ctx.recycle: the buffer, for taskWorker.ts to pool when the task has ended (absent: ignored). */
  recycle?: (buffer: ArrayBuffer) => void;
}

/**
 * A get of actor calls' results lends the task's slot only once it has waited
 * this long: a direct call (directCalls.ts) usually answers well within it,
 * and telling the coordinator twice per call would cost more than the call.
 */
export const ACTOR_GET_BLOCK_AFTER_MS = 5;

function unwrap(reply: HostReply, actor?: (actorId: string) => unknown): unknown {
  if (reply.ok) return unpackValue(reply.value, reply.blobs, actor);
  throw remoteToError(reply.error);
}

/** An actor handle bound to a task context: its calls are the task's nested calls. Key of a hidden ctx property. */
export const BIND_ACTOR: unique symbol = Symbol('shoal.bindActor');

/** Ends what a task's context holds once the task is over (its engine scope). Key of a hidden ctx property. */
export const RELEASE_CONTEXT: unique symbol = Symbol('shoal.releaseContext');

/** Drops the task's engine tables and files, if it used ctx.engine(). Call when the task has ended. */
export function releaseContext(ctx: TaskContext): void {
  (ctx as TaskContext & { [RELEASE_CONTEXT]?: () => void })[RELEASE_CONTEXT]?.();
}

/** Makes the actor handles in a task's arguments call through `ctx`. */
export function actorBinder(ctx: TaskContext): (actorId: string) => unknown {
  return (ctx as TaskContext & { [BIND_ACTOR]: (actorId: string) => unknown })[BIND_ACTOR];
}

function remoteToError(error: RemoteError): ShoalError {
  return new ShoalError(error.code ?? 'ERR_TASK_FAILED', error.message, { remote: error, workerId: error.workerId });
}

/**
 * Actor calls wait in their Web Worker until the end of the current turn (a microtask),
 * so that `ctx.get(handle.method())` goes to the page as one message (`actorCallsAndGet`),
 * not a call and a get (each a message, and a reply, between threads). One queue per host,
 * shared by every context of the Web Worker (a handle may be bound to another context, as
 * an actor's constructor's is); any other message a context sends its page sends them
 * first, so the page sees everything in order.
 */
const outboxes = new WeakMap<object, ActorCallRequest[]>();

function outbox(host: TaskHost): ActorCallRequest[] {
  let queued = outboxes.get(host);
  if (!queued) outboxes.set(host, (queued = []));
  return queued;
}

function sendQueued(host: TaskHost, queued: ActorCallRequest[]): void {
  for (const call of queued.splice(0)) host.actorCall(call.parentTaskId, call.callId, call.actorId, call.method, call.args);
}

/**
 * Direct ports to actors' Web Workers (actorPorts.ts), one set per host like the outbox; null where the page
 * grants none. Calls that must go the page's way join the outbox.
 */
const portSets = new WeakMap<object, ActorPorts | null>();

function portsOf(host: TaskHost): ActorPorts | null {
  let ports = portSets.get(host);
  if (ports === undefined) {
    const queued = outbox(host);
    const page = {
      send: (call: ActorCallRequest) => {
        queued.push(call);
        if (queued.length === 1) queueMicrotask(() => sendQueued(host, queued));
      },
      flush: () => sendQueued(host, queued),
    };
    ports = host.actorPort && typeof MessageChannel !== 'undefined' ? new ActorPorts(host, page) : null;
    portSets.set(host, ports);
  }
  return ports;
}

/** Tells the page of the port calls made in this Web Worker so far (before anything that may name them). */
export function flushPortCalls(host: TaskHost | null): void {
  if (host) portSets.get(host)?.flush();
}

export function createContext(init: ContextInit): TaskContext {
  const { taskId } = init;
  const queued = outbox(init.host);
  const ports = portsOf(init.host);
  const flushCalls = (): void => {
    ports?.flush();
    sendQueued(init.host, queued);
  };
  const host: TaskHost = {
    ...init.host,
    log: (...a) => (flushCalls(), init.host.log(...a)),
    progress: (...a) => (flushCalls(), init.host.progress(...a)),
    submit: (...a) => (flushCalls(), init.host.submit(...a)),
    put: (...a) => (flushCalls(), init.host.put(...a)),
    get: (...a) => (flushCalls(), init.host.get(...a)),
    wait: (...a) => (flushCalls(), init.host.wait(...a)),
    free: (...a) => (flushCalls(), init.host.free(...a)),
    cancel: (...a) => (flushCalls(), init.host.cancel(...a)),
    ...(init.host.collective ? { collective: (request) => (flushCalls(), init.host.collective!(request)) } : {}),
  };
  let lastProgress = 0;
  const blocking = async <T>(work: () => Promise<T>): Promise<T> => {
    init.setBlocked(true);
    try {
      return await work();
    } finally {
      init.setBlocked(false);
    }
  };
  /** Results of actor calls this task made, not yet got (see ACTOR_GET_BLOCK_AFTER_MS). */
  const actorCalls = new Set<string>();
  const blockingLater = async <T>(work: () => Promise<T>): Promise<T> => {
    let blocked = false;
    const timer = setTimeout(() => {
      blocked = true;
      init.setBlocked(true);
    }, ACTOR_GET_BLOCK_AFTER_MS);
    try {
      return await work();
    } finally {
      clearTimeout(timer);
      if (blocked) init.setBlocked(false);
    }
  };
  const putPacked = (packed: Packed): TaskRef => {
    const id = init.mintId();
    if (packed.inline) host.put(taskId, id, packed.value, null);
    else {
      const stored = { size: packed.buffer.byteLength, refs: packed.refs, buffer: packed.buffer };
      host.put(taskId, id, null, transfer(stored, [packed.buffer]));
    }
    return new TaskRef(id);
  };
  const packArgs = (args: unknown[]) =>
    args.map((arg) => {
      // Arguments too big or binary to travel inline are put first and passed as refs (as Ray does).
      const packed = packValue(encodeRefs(arg));
      return packed.inline ? packed.value : { $shoalRef: putPacked(packed).id };
    });
  const bindActor = (actorId: string): unknown =>
    actorProxy(actorId, (method, args) => {
      const id = init.mintId();
      const packed = packArgs(args); // may put big arguments first (which sends the calls queued before this one)
      const call = { parentTaskId: taskId, callId: id, actorId, method, args: packed };
      if (ports) ports.call(call); // on a port straight to the actor's Web Worker, or the page's way
      else {
        queued.push(call);
        if (queued.length === 1) queueMicrotask(flushCalls);
      }
      actorCalls.add(id);
      return new TaskRef(id);
    });
  let engine: Promise<EngineSession> | null = null;
  const ctx: TaskContext & { [BIND_ACTOR]: (actorId: string) => unknown; [RELEASE_CONTEXT]: () => void } = {
    [BIND_ACTOR]: bindActor,
    [RELEASE_CONTEXT]: () => {
      engine?.then((session) => session.close()).catch(() => {});
      engine = null;
    },
    taskId,
    workerId: init.workerId,
    attempt: init.attempt,
    signal: init.signal,
    arrow,
    gpu: init.gpu,
    engine: () => (engine ??= openEngineSession({ memoryLimitBytes: init.memoryBytes ?? null })),
    onnx: createTaskOnnx(init.gpu !== null && !init.gpu.info.isFallback),
    acceptKeptInputs: () => init.acceptKeptInputs?.(),
    outputBytes: blobBytes,
    recycle: (bytes) => {
      if (bytes instanceof Uint8Array && bytes.buffer instanceof ArrayBuffer) init.recycle?.(bytes.buffer);
    },
    log: (...args) => host.log(taskId, 'log', formatLogArgs(args)),
    progress(fraction) {
      const now = Date.now();
      if (fraction < 1 && now - lastProgress < 100) return;
      lastProgress = now;
      host.progress(taskId, Math.min(1, Math.max(0, Number(fraction) || 0)));
    },
    remote(fn, options) {
      if (typeof fn !== 'function') throw new ShoalError('ERR_BAD_FUNCTION', `ctx.remote() takes a function, got ${typeof fn}`);
      const valid = validateOptions(options);
      const source = Function.prototype.toString.call(fn);
      const fnId = hashSource(source);
      const name = valid.name ?? (fn.name || 'task');
      const numReturns = valid.numReturns ?? 1;
      return (...args: unknown[]) => {
        const id = init.mintId();
        host.submit(taskId, id, fnId, name, source, packArgs(args), { ...valid, name });
        if (numReturns === 1) return new TaskRef(id);
        return Array.from({ length: numReturns }, (_, i) => new TaskRef(`${id}.${i}`));
      };
    },
    get(target, options = {}) {
      const ids = refIds(target, 'ctx.get()');
      const ofActors = ids.every((id) => actorCalls.has(id));
      for (const id of ids) actorCalls.delete(id);
      const timeout = options.timeout ?? null;
      const ask = (): Promise<HostReply> => {
        if (queued.length === 0 || !init.host.actorCallsAndGet) return host.get(taskId, ids, timeout);
        ports?.flush();
        return init.host.actorCallsAndGet(taskId, queued.splice(0), ids, timeout);
      };
      return (ofActors ? blockingLater : blocking)(async () => {
        const reply = await (ports?.get(ids, timeout, ask) ?? ask());
        if (reply.ok) ports?.forget(ids);
        const values = unwrap(reply, bindActor) as unknown[];
        return Array.isArray(target) ? values : values[0];
      });
    },
    put: (value) => putPacked(packValue(encodeRefs(value))),
    wait(refs, options = {}) {
      const ids = refIds(refs, 'ctx.wait()');
      return blocking(async () => {
        await ports?.whenSent(ids); // port calls still waiting for their way are not known to the page yet
        const ready = new Set(unwrap(await host.wait(taskId, ids, options.numReturns ?? 1, options.timeout ?? null)) as string[]);
        return { ready: refs.filter((ref) => ready.has(ref.id)), pending: refs.filter((ref) => !ready.has(ref.id)) };
      });
    },
    free: (refs) => host.free(refIds(refs, 'ctx.free()')),
    cancel: (ref, options = {}) => host.cancel(refIds(ref, 'ctx.cancel()')[0]!, options.force ?? false),
    collective: collectiveContext({
      workerId: init.workerId,
      taskId,
      get: (ref) => ctx.get(ref as TaskRef),
      call: host.collective ? (request) => host.collective!(transfer(request, [request.data])) : null,
    }),
  };
  return ctx;
}
