/**
 * The Web Worker that runs tasks. Task code runs here and never in the page.
 * The page drives it through comlink (`init`, `define`, `run`, `abort`); it
 * answers through the page's TaskHost proxy (see host.ts for why).
 */
import { expose, transfer } from 'comlink';
import type { GpuInfo, RemoteError } from '@shoal/protocol';
import { actorBinder, createContext, flushPortCalls, releaseContext } from './context.ts';
import { ActorPortServer } from './actorPortServer.ts';
import { ActorInstances, type ActorCallResult } from './actorInstance.ts';
import { compileFunction, executeTask, type TaskFunction } from './execute.ts';
import type { RunOutcome, TaskHost } from './host.ts';
import { unpackValue } from './values.ts';
import { createLazyTaskGpu, type TaskGpu } from './gpuContext.ts';
import { installMemoryGuard } from './memoryGuard.ts';
import { keptKeys } from '@shoal/engine';
import { recycleBlobBytes, setBlobPoolLimit } from '@shoal/objects';
import { recyclable } from './taskRecycle.ts';

export interface RunRequest {
  taskId: string;
  fnId: string;
  /** Wire form: refs as `{"$shoalRef": id}`, stored inputs as `{"$shoalFetch": id}` with their bytes in `blobs`. */
  args: unknown[];
  blobs?: Record<string, ArrayBuffer>;
  attempt: number;
  numReturns: number;
  /** Report an xxHash32 of each stored output (for `verify`). */
  checksum: boolean;
  /** Stored inputs sent as refs, not bytes: this Web Worker's engine keeps them (pool.ts). */
  asRefs?: string[];
  /** Inputs in `blobs` lent by the store (RemoteOptions `lendInputs`): their bytes go back with the outcome. */
  lend?: string[];
}

/** What a batch leaves behind, for the pool's next dispatch: the engine's kept tables and the functions that take kept inputs as refs. */
export interface RunSummary {
  kept: string[];
  acceptKept: string[];
}

const functions = new Map<string, TaskFunction | RemoteError>();
/** The actor this Web Worker hosts, if it was started for one (actorHost.ts). */
const actors = new ActorInstances();
const controllers = new Map<string, AbortController>();
let host: TaskHost | null = null;
let workerId = '';
let idPrefix = '';
let counter = 0;
let gpu: TaskGpu | null = null;
/** The memory guard, if the volunteer set a cap, and that cap in bytes. */
let guard: { live(): number; cap: number } | null = null;
/** Functions that called ctx.acceptKeptInputs(). */
const acceptKept = new Set<string>();
/** Calls to this Web Worker's actor arriving on direct ports (actorPortServer.ts). */
const portServer = new ActorPortServer(() => host, (call) => runActorCall(call));

/** Runs one call on this Web Worker's actor; it joins the actor's queue before its first await, so calls run in arrival order. */
async function runActorCall(request: { actorId: string; callId: string; method: string; args: unknown[]; blobs?: Record<string, ArrayBuffer> }): Promise<ActorCallResult & { durationMs: number }> {
  const target = host;
  if (!target) throw new Error('actor worker used before init');
  const started = performance.now();
  // An actor's Web Worker is its own: it lends no slot while a call waits.
  const ctx = createContext({ taskId: request.callId, workerId, attempt: 1, signal: new AbortController().signal, host: target, mintId: () => `${idPrefix}${++counter}`, gpu, memoryBytes: guard?.cap ?? null, setBlocked: () => {} });
  let args: unknown[];
  try {
    args = unpackValue(request.args, request.blobs, actorBinder(ctx)) as unknown[];
  } catch (thrown) {
    const error: RemoteError = { name: 'ShoalError', code: 'ERR_OBJECT_LOST', message: `could not decode the call's inputs: ${thrown instanceof Error ? thrown.message : String(thrown)}`, workerId };
    return { ok: false, error, durationMs: 0 };
  }
  const outcome = { ...(await actors.call(request.actorId, request.method, args, ctx)), durationMs: performance.now() - started };
  releaseContext(ctx);
  return outcome;
}

/** Runs one task; the inputs it was lent go back with its outcome, whatever it was (those it gave away cannot). */
async function runOne(request: RunRequest, target: TaskHost, onBlocked: () => void): Promise<RunOutcome> {
  const outcome = await runTask(request, target, onBlocked);
  if (!request.lend || !request.blobs) return outcome;
  const returned: Record<string, ArrayBuffer> = {};
  for (const id of request.lend) {
    const buffer = request.blobs[id];
    if (buffer && buffer.byteLength > 0) returned[id] = buffer; // a detached one (transferred away) reads 0 bytes
  }
  return { ...outcome, returned };
}

async function runTask(request: RunRequest, target: TaskHost, onBlocked: () => void): Promise<RunOutcome> {
  const started = performance.now();
  const fn = functions.get(request.fnId);
  if (typeof fn !== 'function') {
    const error: RemoteError = fn ?? { name: 'ShoalError', code: 'ERR_INTERNAL', message: `function ${request.fnId} was never defined on this worker` };
    return { taskId: request.taskId, result: { ok: false, error }, durationMs: 0 };
  }
  const controller = new AbortController();
  controllers.set(request.taskId, controller);
  const recycled = new Set<ArrayBuffer>();
  const ctx = createContext({
    taskId: request.taskId,
    workerId,
    attempt: request.attempt,
    signal: controller.signal,
    host: target,
    mintId: () => `${idPrefix}${++counter}`,
    gpu,
    memoryBytes: guard?.cap ?? null,
    setBlocked: (blocked) => {
      target.setBlocked(request.taskId, blocked);
      if (blocked) onBlocked();
    },
    acceptKeptInputs: () => acceptKept.add(request.fnId),
    recycle: (buffer) => recycled.add(buffer),
  });
  try {
    let args: unknown[];
    try {
      args = unpackValue(request.args, request.blobs, actorBinder(ctx), request.asRefs ? new Set(request.asRefs) : undefined) as unknown[];
    } catch (thrown) {
      const error: RemoteError = { name: 'ShoalError', code: 'ERR_OBJECT_LOST', message: `could not decode the task's inputs: ${thrown instanceof Error ? thrown.message : String(thrown)}`, workerId };
      return { taskId: request.taskId, result: { ok: false, error }, durationMs: 0 };
    }
    const { buffers, ...result } = await executeTask(fn, args, ctx, request.numReturns, request.checksum);
    if (controller.signal.aborted && !result.ok) {
      result.error = { ...result.error, code: 'ERR_CANCELLED' };
    }
    if (recycled.size > 0) {
      const lent = (request.lend ?? []).map((id) => request.blobs?.[id]).filter((b): b is ArrayBuffer => b !== undefined);
      for (const buffer of recyclable(recycled, lent, buffers ?? [])) recycleBlobBytes(buffer);
    }
    return { taskId: request.taskId, result, durationMs: performance.now() - started, ...(buffers ? { buffers } : {}) };
  } finally {
    controllers.delete(request.taskId);
    releaseContext(ctx);
  }
}

/** Results to the page; stored outputs' buffers, and lent inputs given back, move by transfer. */
function send(target: TaskHost, outcomes: RunOutcome[]): void {
  flushPortCalls(target); // the page learns of port calls before results that may name them
  const buffers = outcomes.flatMap((outcome) => [...(outcome.buffers ?? []), ...Object.values(outcome.returned ?? {})]);
  target.done(buffers.length === 0 ? outcomes : transfer(outcomes, buffers));
}

const api = {
  /**
   * `prefix` makes ids minted here cluster-unique: `<worker peer id>.<slot>.<n>`.
   * `gpuInfo`: the worker's adapter, or null when it offers no GPU (then ctx.gpu is null).
   * `memoryBytes`: the volunteer's cap on binary memory in this Web Worker (memoryGuard.ts), or null.
   */
  init(target: TaskHost, worker: string, prefix: string, gpuInfo: GpuInfo | null, memoryBytes: number | null = null): void {
    if (memoryBytes !== null && guard === null) {
      guard = { ...installMemoryGuard(memoryBytes, (bytes) => void target.memoryExceeded?.(bytes)), cap: memoryBytes };
      setBlobPoolLimit(memoryBytes / 4);
    }
    gpu = gpuInfo ? createLazyTaskGpu(gpuInfo, `shoal.${prefix}gpu`) : null;
    host = target;
    workerId = worker;
    idPrefix = prefix;
  },
  define(fnId: string, name: string, source: string): void {
    const compiled = compileFunction(name, source);
    functions.set(fnId, compiled.ok ? compiled.fn : compiled.error);
  },
  /**
   * Runs a batch one task after another; results go back through the host in
   * groups (at least every 10 ms), not one message per task. A task that
   * blocks in ctx.get/wait stops holding up the batch: the next one starts,
   * and the blocked task's result goes back on its own when it ends.
   */
  async run(requests: RunRequest[]): Promise<RunSummary> {
    const target = host;
    if (!target) throw new Error('task worker used before init');
    let outbox: RunOutcome[] = [];
    let lastFlush = performance.now();
    for (const request of requests) {
      // Past half the memory cap, yield a macrotask first: buffers earlier tasks dropped come off the count only then.
      if (guard !== null && guard.live() > guard.cap / 2) await new Promise((resolve) => setTimeout(resolve, 0));
      let blocked!: () => void;
      const whenBlocked = new Promise<null>((resolve) => (blocked = () => resolve(null)));
      const running = runOne(request, target, blocked);
      const outcome = await Promise.race([running, whenBlocked]);
      if (outcome === null) {
        void running.then((late) => send(target, [late]));
        continue;
      }
      outbox.push(outcome);
      if (outcome.buffers || outcome.returned || performance.now() - lastFlush > 10) {
        send(target, outbox);
        outbox = [];
        lastFlush = performance.now();
      }
    }
    if (outbox.length > 0) send(target, outbox);
    return { kept: keptKeys(), acceptKept: [...acceptKept] };
  },
  /** Builds an actor here (this Web Worker is its own); answers the error, or null. */
  async createActor(request: { actorId: string; className: string; source: string; args: unknown[]; blobs?: Record<string, ArrayBuffer>; maxConcurrency: number; restore: { value: unknown } | null }): Promise<RemoteError | null> {
    const target = host;
    if (!target) throw new Error('actor worker used before init');
    // Handles given to the constructor (kept for later calls) call as the actor itself: their results are held while it lives.
    const ctx = createContext({ taskId: request.actorId, workerId, attempt: 1, signal: new AbortController().signal, host: target, mintId: () => `${idPrefix}${++counter}`, gpu, memoryBytes: guard?.cap ?? null, setBlocked: () => {} });
    let args: unknown[];
    try {
      args = unpackValue(request.args, request.blobs, actorBinder(ctx)) as unknown[];
    } catch (thrown) {
      return { name: 'ShoalError', code: 'ERR_OBJECT_LOST', message: `could not decode the actor's constructor arguments: ${thrown instanceof Error ? thrown.message : String(thrown)}`, workerId };
    }
    return actors.create(request.actorId, request.className, request.source, args, request.maxConcurrency, request.restore, workerId);
  },
  /** Runs one call on this Web Worker's actor; stored outputs' buffers move back by transfer. */
  async callActor(request: { actorId: string; callId: string; method: string; args: unknown[]; blobs?: Record<string, ArrayBuffer> }): Promise<ActorCallResult & { durationMs: number }> {
    const outcome = await runActorCall(request);
    portServer.flush(); // outcomes of earlier port calls reach the page first, so checkpoints arrive in order
    flushPortCalls(host);
    return outcome.buffers ? transfer(outcome, outcome.buffers) : outcome;
  },
  /** Serves calls to this Web Worker's actor arriving on `port` straight from a caller's Web Worker (actorPorts.ts). */
  acceptPort(actorId: string, port: MessagePort): void {
    portServer.accept(actorId, port);
  },
  /** Aborts a task's `ctx.signal` (a cooperative cancel). */
  abort(taskId: string): void {
    controllers.get(taskId)?.abort(new DOMException('the task was cancelled', 'AbortError'));
  },
};

export type TaskWorkerApi = typeof api;

expose(api);
