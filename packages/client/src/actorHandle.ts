/**
 * `cluster.actor(Class)`'s handle, as the job sees it: every method of the
 * class, each returning a ref to its result. It travels to tasks and other
 * actors as `{"$shoalActor": id}` (protocol/src/actors.ts).
 */
import { ShoalError } from '@shoal/protocol';
import type { ObjectRef } from './objectRef.ts';

/** An argument may be given as the value or as a ref to it. */
type MaybeRefs<P extends unknown[]> = { [K in keyof P]: P[K] | ObjectRef<P[K]> };

/** Drops a trailing context parameter (methods get the task context last, as tasks do). */
type CallArgs<P extends unknown[]> = P extends [...infer Head, infer Last] ? (Last extends { readonly taskId: string; readonly workerId: string } ? Head : P) : P;

export type ActorHandle<T = Record<string, (...args: never[]) => unknown>> = { readonly actorId: string } & {
  [K in keyof T as T[K] extends (...args: never[]) => unknown ? K : never]: T[K] extends (...args: infer A) => infer R ? (...args: Extract<MaybeRefs<CallArgs<A>>, unknown[]>) => ObjectRef<Awaited<R>> : never;
};

/** A class's source, checked to be something a worker can rebuild. */
export function classSource(cls: unknown): { name: string; source: string } {
  if (typeof cls !== 'function') throw new ShoalError('ERR_BAD_FUNCTION', `cluster.actor() takes a class, got ${cls === null ? 'null' : typeof cls}`);
  const source = Function.prototype.toString.call(cls);
  if (!/^class\b/.test(source)) {
    throw new ShoalError('ERR_BAD_FUNCTION', `cluster.actor() takes a class (\`class Counter { … }\`); '${cls.name || 'anonymous'}' is a plain function`);
  }
  return { name: cls.name || 'Actor', source };
}
