/**
 * `cluster.remote(fn)`: wraps a function so that calling it submits a task.
 * The function ships to workers as source text, so it must be self-contained.
 */
import { ShoalError } from '@shoal/protocol';
import type { ObjectRef } from './objectRef.ts';
import { validateOptions, type RemoteOptions } from '@shoal/protocol';

/** Drops a trailing task-context parameter from a function's parameter list. */
type CallArgs<P extends unknown[]> = P extends [...infer Head, infer Last]
  ? Last extends { readonly taskId: string; readonly workerId: string }
    ? Head
    : P
  : P;

/** An argument may be given as the value or as a ref to it. */
type MaybeRefs<P extends unknown[]> = { [K in keyof P]: P[K] | ObjectRef<P[K]> };

export type AnyFunction = (...args: never[]) => unknown;

export interface RemoteFunction<F extends AnyFunction> {
  /**
   * Submits one task; returns a ref to its result at once (with
   * `numReturns: n`, an array of n refs, one per returned value).
   */
  (...args: MaybeRefs<CallArgs<Parameters<F>>>): ObjectRef<Awaited<ReturnType<F>>>;
  /** The same function with other options. */
  options(options: RemoteOptions): RemoteFunction<F>;
  readonly taskName: string;
}

export type Submit = (fnId: string, name: string, args: unknown[], options: RemoteOptions) => ObjectRef | ObjectRef[];

export function checkShippable(fn: unknown): string {
  if (typeof fn !== 'function') {
    throw new ShoalError('ERR_BAD_FUNCTION', `cluster.remote() takes a function, got ${fn === null ? 'null' : typeof fn}`);
  }
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new ShoalError('ERR_BAD_FUNCTION', `'${fn.name || 'anonymous'}' is a native or bound function, which cannot ship as source; wrap it: (x) => Math.sqrt(x)`);
  }
  return source;
}

export function makeRemoteFunction<F extends AnyFunction>(fnId: string, fn: F, options: RemoteOptions, submit: Submit): RemoteFunction<F> {
  const taskName = options.name ?? (fn.name || 'task');
  const call = (...args: unknown[]) => submit(fnId, taskName, args, options);
  Object.defineProperty(call, 'name', { value: taskName });
  Object.defineProperty(call, 'taskName', { value: taskName });
  Object.defineProperty(call, 'options', {
    value: (next: RemoteOptions) => makeRemoteFunction(fnId, fn, { ...options, ...validateOptions(next) }, submit),
  });
  Object.defineProperty(call, 'remote', {
    get() {
      throw new ShoalError(
        'ERR_BAD_FUNCTION',
        `Shoal remote functions are called directly: ${taskName}(args) submits a task and returns a ref. There is no .remote() as in Ray.`,
      );
    },
  });
  return call as unknown as RemoteFunction<F>;
}
