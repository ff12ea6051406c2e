/**
 * Actors on the wire and their options. A handle travels inside values as
 * `{"$shoalActor": "<actor id>"}` (that key is reserved, like `$shoalRef`);
 * each side turns it back into a handle with `actorProxy`, whose methods
 * submit calls the side's own way (the job's cluster, or a task's context,
 * whose worker sends them peer to peer to the actor's: runtime/src/directCalls.ts).
 */
import { ShoalError } from './errors.ts';
import { validResources, type ResourceRequest } from './options.ts';

export const ACTOR_KEY = '$shoalActor';

export interface ActorOptions {
  /** Constructor arguments (refs allowed, as in task calls). */
  args?: unknown[];
  /** A name unique among live actors: `cluster.getActor(name)` finds it. */
  name?: string;
  /** What the actor holds on its worker for its lifetime. Default none: it runs in a Web Worker of its own, beside the task slots. */
  resources?: ResourceRequest;
  /** Calls that may run at once (an async actor interleaves them at its awaits). Default 1: one after another. */
  maxConcurrency?: number;
  /** Times the actor is re-created on another worker after its worker is lost. Default 3. */
  maxRestarts?: number;
  /** Times a call that was running when the actor's worker was lost is run again on the restarted actor. Default 0: it fails with ERR_ACTOR_DIED. */
  maxTaskRetries?: number;
}

export const DEFAULT_ACTOR_OPTIONS = { maxConcurrency: 1, maxRestarts: 3, maxTaskRetries: 0 } as const;

const count = (max: number) => (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max;

const RULES: Record<keyof ActorOptions, { describe: string; valid: (value: unknown) => boolean }> = {
  args: { describe: 'an array of constructor arguments', valid: Array.isArray },
  name: { describe: 'a non-empty string of at most 200 characters', valid: (v) => typeof v === 'string' && v.length > 0 && v.length <= 200 },
  resources: { describe: 'an object {cpu?, gpu?, memory?, custom?: {name: amount}} of non-negative numbers', valid: (v) => validResources(v) && (v as ResourceRequest).gpu !== 'prefer' },
  maxConcurrency: { describe: 'an integer from 1 to 1000', valid: (v) => count(1000)(v) && (v as number) >= 1 },
  maxRestarts: { describe: 'an integer from 0 to 100', valid: count(100) },
  maxTaskRetries: { describe: 'an integer from 0 to 100', valid: count(100) },
};

const NAMES = Object.keys(RULES).join(', ');

export function validateActorOptions(options: unknown): ActorOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new ShoalError('ERR_BAD_OPTION', `actor options must be an object; valid ones are: ${NAMES}`);
  for (const [key, value] of Object.entries(options)) {
    const rule = (RULES as Record<string, (typeof RULES)[keyof ActorOptions] | undefined>)[key];
    if (!rule) throw new ShoalError('ERR_BAD_OPTION', `unknown actor option '${key}'; valid ones are: ${NAMES}`);
    if (value !== undefined && !rule.valid(value)) throw new ShoalError('ERR_BAD_OPTION', `actor option '${key}' must be ${rule.describe}`);
  }
  return options as ActorOptions;
}

/** Properties a handle answers itself; every other name is a method. */
const NOT_METHODS = new Set(['then', 'toJSON', 'constructor', 'valueOf', 'toString', 'inspect', 'asymmetricMatch', 'nodeType', '$$typeof']);

/**
 * A handle: `handle.method(...args)` is `call(method, args)`. It reads as the
 * plain object `{"$shoalActor": id}`, so it encodes to the wire as it is.
 * It is not thenable (`await handle` is the handle).
 */
export function actorProxy<R>(actorId: string, call: (method: string, args: unknown[]) => R): { readonly actorId: string } & Record<string, (...args: unknown[]) => R> {
  const target = { [ACTOR_KEY]: actorId };
  return new Proxy(target, {
    get(object, property) {
      if (property === ACTOR_KEY || property === 'actorId') return actorId;
      if (property === 'toString') return () => `ActorHandle(${actorId})`;
      if (typeof property === 'symbol' || NOT_METHODS.has(property)) return Reflect.get(object, property) as unknown;
      return (...args: unknown[]) => call(property, args);
    },
    set() {
      throw new ShoalError('ERR_BAD_OPTION', 'an actor handle is read-only: call its methods, whose state lives on the worker');
    },
  }) as never;
}

/** The actor id of a wire handle `{"$shoalActor": id}`, or null. */
export function wireActorId(value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const id = (value as Record<string, unknown>)[ACTOR_KEY];
  return typeof id === 'string' && Object.keys(value).length === 1 ? id : null;
}
