/**
 * The public API a job receives: `remote` and `get` now; `put`, `wait`,
 * `actor` and friends slot in beside them.
 */
import { ShoalError, type WorkerSummary } from '@shoal/protocol';
import type { Coordinator } from './coordinator.ts';
import { ObjectRef, isObjectRef } from './objectRef.ts';
import { validateOptions, type RemoteOptions } from './options.ts';
import { checkShippable, makeRemoteFunction, type AnyFunction, type RemoteFunction } from './remoteFunction.ts';

export interface GetOptions {
  /** Milliseconds to wait before failing with ERR_TIMEOUT. Default: wait forever. */
  timeout?: number;
}

export interface Cluster {
  /**
   * Wraps `fn` so that calling it runs it as a task on a worker.
   *
   * `fn` ships as source text, so it must be self-contained: no references to
   * variables outside it, no imports. It receives the call's arguments (refs
   * already replaced by their values) followed by the task context, which is
   * also `this` for non-arrow functions.
   *
   * ```js
   * const square = cluster.remote((x) => x * x);
   * const ref = square(4);              // ObjectRef, returned at once
   * await cluster.get(ref);             // 16
   * ```
   * @throws ShoalError ERR_BAD_FUNCTION if `fn` is not a shippable function,
   *   ERR_BAD_OPTION for an unknown or ill-typed option.
   */
  remote<F extends AnyFunction>(fn: F, options?: RemoteOptions): RemoteFunction<F>;

  /**
   * Waits for one ref's value, or for every value of an array of refs (in order).
   * Rejects with the task's error: ERR_TASK_FAILED carries the remote message
   * and stack in `error.remote`; ERR_DEPENDENCY_FAILED names the input that failed.
   */
  get<T>(ref: ObjectRef<T>, options?: GetOptions): Promise<T>;
  get<T>(refs: ReadonlyArray<ObjectRef<T>>, options?: GetOptions): Promise<T[]>;

  /** The workers that are connected now. */
  workers(): WorkerSummary[];
}

export function createCluster(coordinator: Coordinator): Cluster {
  const submit = coordinator.submit.bind(coordinator);
  return {
    remote<F extends AnyFunction>(fn: F, options?: RemoteOptions): RemoteFunction<F> {
      const source = checkShippable(fn);
      const valid = validateOptions(options);
      const fnId = coordinator.registerFunction(valid.name ?? (fn.name || 'task'), source);
      return makeRemoteFunction(fnId, fn, valid, submit);
    },
    get: ((target: ObjectRef | readonly ObjectRef[], options: GetOptions = {}) => {
      const refs = Array.isArray(target) ? target : [target];
      for (const ref of refs) {
        if (!isObjectRef(ref)) throw new ShoalError('ERR_BAD_OPTION', `cluster.get() takes refs, got ${ref === null ? 'null' : typeof ref}`);
      }
      const all = Promise.all(refs.map((ref: ObjectRef) => coordinator.objects.wait(ref.id)));
      const result = Array.isArray(target) ? all : all.then((values) => values[0]);
      return options.timeout === undefined ? result : withTimeout(result, options.timeout, refs.length);
    }) as Cluster['get'],
    workers: () => coordinator.workers(),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, count: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new ShoalError('ERR_TIMEOUT', `get() of ${count} ref(s) timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
