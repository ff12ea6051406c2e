/**
 * The public API a job receives (and, through the task context, every task):
 * remote, get, put, wait, free, cancel, status, workers.
 */
import { ACTOR_KEY, REF_KEY, ShoalError, actorProxy, decodeRefs, validateActorOptions, validateOptions, wireActorId, type ActorOptions, type RemoteOptions, type WorkerSummary } from '@shoal/protocol';
import { classSource, type ActorHandle } from './actorHandle.ts';
import * as arrow from 'apache-arrow';
import { packValue } from '@shoal/objects';
import { decodeForJob, encodeRefs } from './argsCodec.ts';
import type { MemoryReport } from './coordinatorObjects.ts';
import type { Coordinator } from './coordinator.ts';
import { withTimeout } from './nested.ts';
import { ObjectRef } from './objectRef.ts';
import { checkShippable, makeRemoteFunction, type AnyFunction, type RemoteFunction } from './remoteFunction.ts';
import type { TaskStatus } from './taskStatus.ts';

export interface GetOptions {
  /** Milliseconds to wait before failing with ERR_TIMEOUT. Default: wait forever. */
  timeout?: number;
}

export interface PutOptions {
  /**
   * Also copy the object to every worker present now, down a tree (each copy
   * relays to two more), so the coordinator sends one copy, not one per worker.
   */
  broadcast?: boolean;
}

export interface WaitOptions {
  /** How many refs must be ready before wait resolves. Default 1. */
  numReturns?: number;
  /** Milliseconds to wait at most; then whatever is ready is returned. Default: no limit. */
  timeout?: number;
}

export interface Cluster {
  /**
   * Wraps `fn` so that calling it runs it as a task on a worker and returns an
   * ObjectRef at once.
   *
   * `fn` ships as source text, so it must be self-contained: no references to
   * variables outside it, no imports. It receives the call's arguments, with
   * every ref in them (at any depth of arrays and plain objects) replaced by
   * its value, followed by the task context (also `this` for non-arrow
   * functions), which offers this same API plus log, progress and signal.
   *
   * ```js
   * const square = cluster.remote((x) => x * x);
   * const ref = square(4);              // ObjectRef, returned at once
   * await cluster.get(ref);             // 16
   * ```
   * @throws ShoalError ERR_BAD_FUNCTION if `fn` cannot ship as source,
   *   ERR_BAD_OPTION for an unknown or ill-typed option (listing the valid ones).
   */
  remote<F extends AnyFunction>(fn: F, options?: RemoteOptions): RemoteFunction<F>;

  /**
   * Waits for one ref's value, or every value of an array of refs (in order).
   * Refs inside the values come back as ObjectRefs.
   * Rejects with the task's error: ERR_TASK_FAILED carries the remote name,
   * message and stack in `error.remote`; ERR_DEPENDENCY_FAILED names the input
   * that failed; ERR_TIMEOUT after `timeout` ms; ERR_OBJECT_LOST for a freed ref.
   */
  get<T>(ref: ObjectRef<T>, options?: GetOptions): Promise<T>;
  get<T>(refs: ReadonlyArray<ObjectRef<T>>, options?: GetOptions): Promise<T[]>;

  /**
   * Stores a value in the cluster and returns its ref, so that many tasks can
   * take it without it being sent with each call. Values may be JSON-able
   * data, typed arrays, ArrayBuffers, Arrow tables, and structures mixing
   * them. Small JSON values are kept inline; others stay in this tab's object
   * store, and workers fetch them peer to peer when a task needs them.
   * @throws ShoalError ERR_NOT_SERIALIZABLE naming what cannot be stored and where.
   */
  put<T>(value: T, options?: PutOptions): ObjectRef<T>;

  /**
   * Object store figures per peer (the coordinator first): bytes in memory
   * and spilled to disk (OPFS), objects, capacity. Workers report theirs at
   * most twice a second.
   */
  memory(): MemoryReport[];

  /** The apache-arrow module, for building and reading Arrow tables (the same one tasks get as `ctx.arrow`). */
  readonly arrow: typeof arrow;

  /**
   * Waits until `numReturns` (default 1) of `refs` are ready (finished or
   * failed), or `timeout` ms pass. `ready` holds at most `numReturns` refs, in
   * input order; `pending` the rest, in input order. Never rejects.
   */
  wait<T>(refs: ReadonlyArray<ObjectRef<T>>, options?: WaitOptions): Promise<{ ready: ObjectRef<T>[]; pending: ObjectRef<T>[] }>;

  /**
   * Releases objects now: later `get`s fail with ERR_OBJECT_LOST. Tasks
   * already queued with them as inputs still receive them. Refs that are
   * simply dropped are released after garbage collection.
   */
  free(refs: ObjectRef | ReadonlyArray<ObjectRef>): void;

  /**
   * Cancels the task that makes `ref`. A queued task never runs; a running
   * one has its `ctx.signal` aborted, or with `force` its Web Worker
   * terminated. Its refs (and those of tasks that depend on it) reject with
   * ERR_CANCELLED / ERR_DEPENDENCY_FAILED. A finished task is left alone.
   */
  cancel(ref: ObjectRef, options?: { force?: boolean }): void;

  /** What the ref's task is doing: pending (with the reason), running, done, failed. */
  status(ref: ObjectRef): TaskStatus;

  /** The workers that are connected now. */
  workers(): WorkerSummary[];

  /**
   * Creates an actor: an instance of `cls` (constructed with `options.args`)
   * on one worker, in a Web Worker of its own. Returns its handle at once;
   * `handle.method(...args)` returns a ref, and calls from one caller run in
   * the order made. Handles can be passed to tasks and other actors. The
   * class ships as source, so it must be self-contained, as task functions
   * are. Methods get the task context as their last argument.
   *
   * A restarted actor (its worker was lost; up to `maxRestarts`, default 3)
   * starts from its constructor again: its state is lost, unless the class
   * defines `checkpoint()` (its value is kept after every call) and
   * `restore(state)`. Calls running at the loss fail with ERR_ACTOR_DIED
   * (or run again, up to `maxTaskRetries`); later calls go to the new instance.
   * @throws ShoalError ERR_BAD_FUNCTION if `cls` is not a class, ERR_BAD_OPTION
   *   for a bad option or a name already taken.
   */
  actor<T extends object>(cls: new (...args: never[]) => T, options?: ActorOptions): ActorHandle<T>;

  /** The live actor named `name`. @throws ShoalError ERR_BAD_OPTION if there is none. */
  getActor<T extends object = Record<string, never>>(name: string): ActorHandle<T>;

  /** Kills an actor: its Web Worker is terminated, and calls not yet finished fail with ERR_ACTOR_KILLED. */
  kill(handle: ActorHandle<object>): void;

  /**
   * Options for every task this job submits from now on that does not set
   * them itself, e.g. `cluster.setDefaults({speculation: true, maxRetries: 5})`
   * turns on speculative execution for the whole job. Tasks submitted by
   * tasks keep their own options. Replaces earlier defaults.
   * @throws ShoalError ERR_BAD_OPTION for an unknown or ill-typed option, or numReturns (which shapes each call's result).
   */
  setDefaults(options: RemoteOptions): void;
}

function checkRefs(target: unknown, what: string): ObjectRef[] {
  const refs = Array.isArray(target) ? (target as unknown[]) : [target];
  for (const ref of refs) {
    if (!(ref instanceof ObjectRef)) throw new ShoalError('ERR_BAD_OPTION', `cluster.${what}() takes refs, got ${ref === null ? 'null' : typeof ref}`);
  }
  return refs as ObjectRef[];
}

export function createCluster(coordinator: Coordinator): Cluster {
  const handle = (id: string, label: string): ObjectRef => {
    const ref = new ObjectRef(id, label);
    coordinator.holders.track(id, ref);
    return ref;
  };
  const actorHandle = (actorId: string): ActorHandle => {
    const className = coordinator.actors.className(actorId);
    return actorProxy(actorId, (method, args) => withArgs(`${className}.${method}`, args, (wireArgs) => {
      const callId = coordinator.newId();
      coordinator.actors.call(actorId, method, wireArgs, callId);
      return handle(callId, `${className}.${method}`);
    })) as unknown as ActorHandle;
  };
  const decode = (value: unknown) => decodeRefs(decodeForJob(value, (id) => handle(id, 'ref')), actorHandle, ACTOR_KEY);

  /**
   * Packs call arguments for the wire and runs `use` with them. Arguments too
   * big or binary to travel inline are put first and passed as refs (as Ray
   * does); nothing else holds such a put, so it lives as long as the call needs it.
   */
  const withArgs = <R>(name: string, args: unknown[], use: (wireArgs: unknown[]) => R): R => {
    let wireArgs: unknown[];
    let implicit = null as string[] | null; // made for the first implicit put only
    try {
      wireArgs = args.map((arg) => {
        const packed = packValue(encodeRefs(arg));
        if (packed.inline) return packed.value;
        const id = coordinator.newId();
        coordinator.putPacked(id, packed);
        (implicit ??= []).push(id);
        return { [REF_KEY]: id };
      });
    } catch (error) {
      if (error instanceof ShoalError) throw new ShoalError(error.code, `cannot call '${name}': ${error.message}`);
      throw error;
    }
    const result = use(wireArgs);
    if (implicit) for (const id of implicit) coordinator.apply({ type: 'objectReleased', objectId: id });
    return result;
  };

  /** `setDefaults`' options, or null: none set (then a call's options go as they are, with no copy per task). */
  let defaults: RemoteOptions | null = null;
  const submit = (fnId: string, name: string, args: unknown[], options: RemoteOptions): ObjectRef | ObjectRef[] =>
    withArgs(name, args, (wireArgs) => {
      const outputs = coordinator.submit(coordinator.newId(), fnId, name, wireArgs, defaults ? { ...defaults, ...options } : options);
      if ((options.numReturns ?? 1) === 1) return handle(outputs[0]!, name);
      return outputs.map((id) => handle(id, name));
    });

  return {
    remote<F extends AnyFunction>(fn: F, options?: RemoteOptions): RemoteFunction<F> {
      const source = checkShippable(fn);
      const valid = validateOptions(options);
      const fnId = coordinator.registerFunction(valid.name ?? (fn.name || 'task'), source);
      return makeRemoteFunction(fnId, fn, valid, submit);
    },
    get: ((target: ObjectRef | readonly ObjectRef[], options: GetOptions = {}) => {
      const refs = checkRefs(target, 'get');
      // Values already here inline are decoded at once; only the others cost a promise each.
      const all = Promise.all(
        refs.map((ref) => {
          const inline = coordinator.objects.inlineNow(ref.id);
          if (inline) {
            try {
              return decode(inline.value);
            } catch (error) {
              return Promise.reject(error);
            }
          }
          return coordinator.objects.wait(ref.id).then(async (located) => decode(located.kind === 'inline' ? located.value : await coordinator.plane.value(ref.id, located)));
        }),
      );
      const result = Array.isArray(target) ? all : all.then((values) => values[0]);
      return options.timeout === undefined ? result : withTimeout(result, options.timeout, refs.length);
    }) as Cluster['get'],
    put<T>(value: T, options: PutOptions = {}): ObjectRef<T> {
      const id = coordinator.newId();
      coordinator.put(id, encodeRefs(value), options.broadcast === true);
      return handle(id, 'put') as ObjectRef<T>;
    },
    memory: () => coordinator.memory(),
    arrow,
    async wait<T>(target: ReadonlyArray<ObjectRef<T>>, options: WaitOptions = {}) {
      const refs = checkRefs(target, 'wait') as ObjectRef<T>[];
      const numReturns = options.numReturns ?? 1;
      if (!Number.isInteger(numReturns) || numReturns < 0) throw new ShoalError('ERR_BAD_OPTION', `wait() numReturns must be a whole number, got ${numReturns}`);
      const settled = await coordinator.waitFor(refs.map((ref) => ref.id), numReturns, options.timeout ?? null);
      const ready = refs.filter((ref) => settled.has(ref.id)).slice(0, numReturns);
      const chosen = new Set(ready);
      return { ready, pending: refs.filter((ref) => !chosen.has(ref)) };
    },
    free(target) {
      for (const ref of checkRefs(target, 'free')) coordinator.free(ref.id);
    },
    cancel(ref, options = {}) {
      coordinator.cancel(checkRefs(ref, 'cancel')[0]!.id, options.force ?? false);
    },
    status: (ref) => coordinator.taskStatus(checkRefs(ref, 'status')[0]!.id),
    workers: () => coordinator.workers(),
    actor<T extends object>(cls: new (...args: never[]) => T, options?: ActorOptions): ActorHandle<T> {
      const { name, source } = classSource(cls);
      const valid = validateActorOptions(options);
      const actorId = withArgs(`${name} constructor`, valid.args ?? [], (wireArgs) => coordinator.actors.create(name, source, wireArgs, valid));
      return actorHandle(actorId) as unknown as ActorHandle<T>;
    },
    setDefaults(options: RemoteOptions): void {
      const valid = validateOptions(options);
      if (valid.numReturns !== undefined) throw new ShoalError('ERR_BAD_OPTION', 'numReturns cannot be a default: it shapes what each call returns; set it per function');
      defaults = Object.keys(valid).length > 0 ? { ...valid } : null;
    },
    getActor<T extends object>(name: string): ActorHandle<T> {
      const actorId = typeof name === 'string' ? coordinator.actors.byName(name) : null;
      if (actorId === null) throw new ShoalError('ERR_BAD_OPTION', `no live actor is named '${String(name)}'`);
      return actorHandle(actorId) as unknown as ActorHandle<T>;
    },
    kill(target) {
      const actorId = wireActorId(target === null || typeof target !== 'object' ? null : { [ACTOR_KEY]: (target as { actorId?: unknown }).actorId });
      if (actorId === null || !coordinator.actors.has(actorId)) throw new ShoalError('ERR_BAD_OPTION', 'cluster.kill() takes an actor handle');
      coordinator.actors.kill(actorId);
    },
  };
}
