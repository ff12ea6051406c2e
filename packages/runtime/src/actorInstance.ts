/**
 * Actors inside their Web Worker: the instance, built from the class's
 * source, and its calls, run in arrival order with at most `maxConcurrency`
 * at once. Like executeTask, nothing here throws: failures are results.
 */
import { toRemoteError, type RemoteError } from '@shoal/protocol';
import { packValue } from '@shoal/objects';
import { compileFunction, executeTask, type ExecutedTask } from './execute.ts';
import type { TaskContext } from './context.ts';
import { encodeRefs } from './taskRef.ts';

/** A call's outcome, plus the instance's `checkpoint()` after it when the class has one. */
export type ActorCallResult = ExecutedTask & { checkpoint?: unknown };

interface Instance {
  object: Record<string, unknown>;
  className: string;
  maxConcurrency: number;
  running: number;
  waiting: Array<() => void>;
}

export class ActorInstances {
  private readonly instances = new Map<string, Instance>();

  /** Builds the instance (then `restore(state)` if given a checkpoint); answers the error, or null. */
  async create(actorId: string, className: string, source: string, args: unknown[], maxConcurrency: number, restore: { value: unknown } | null, workerId: string): Promise<RemoteError | null> {
    const compiled = compileFunction(className, source);
    if (!compiled.ok) return compiled.error;
    try {
      const Class = compiled.fn as unknown as new (...args: unknown[]) => Record<string, unknown>;
      const object = new Class(...args);
      if (restore) {
        if (typeof object['restore'] !== 'function') throw new TypeError(`${className} has a checkpoint but no restore(state) method`);
        await (object['restore'] as (state: unknown) => unknown).call(object, restore.value);
      }
      this.instances.set(actorId, { object, className, maxConcurrency, running: 0, waiting: [] });
      return null;
    } catch (thrown) {
      return toRemoteError(thrown, workerId);
    }
  }

  /** Runs `method(...args, ctx)` on the instance once a concurrency slot is free, in arrival order. */
  async call(actorId: string, method: string, args: unknown[], ctx: TaskContext): Promise<ActorCallResult> {
    const instance = this.instances.get(actorId);
    const fail = (message: string): ActorCallResult => ({ ok: false, error: { name: 'ShoalError', code: 'ERR_ACTOR_DIED', message, workerId: ctx.workerId } });
    if (!instance) return fail(`actor ${actorId} does not live on this worker`);
    const fn = instance.object[method];
    if (typeof fn !== 'function') {
      return { ok: false, error: { name: 'TypeError', code: 'ERR_TASK_FAILED', message: `${instance.className} has no method '${method}'`, workerId: ctx.workerId } };
    }
    if (instance.running >= instance.maxConcurrency) await new Promise<void>((resolve) => instance.waiting.push(resolve));
    instance.running += 1;
    try {
      const result: ActorCallResult = await executeTask((...callArgs: unknown[]) => (fn as (...a: unknown[]) => unknown).apply(instance.object, callArgs), args, ctx);
      const checkpoint = instance.object['checkpoint'];
      if (typeof checkpoint === 'function') {
        try {
          const packed = packValue(encodeRefs((await (checkpoint as () => unknown).call(instance.object)) ?? null));
          if (packed.inline) result.checkpoint = packed.value;
          else ctx.log(`[shoal] ${instance.className}.checkpoint() returned a value too big or binary to keep (over 64 KiB of JSON); the last one kept stays`);
        } catch (thrown) {
          ctx.log(`[shoal] ${instance.className}.checkpoint() threw: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
        }
      }
      return result;
    } finally {
      instance.running -= 1;
      instance.waiting.shift()?.();
    }
  }
}
