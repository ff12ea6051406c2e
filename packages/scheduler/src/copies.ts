/**
 * Copies of objects come and go: a worker stores one (`objectStored`, a put
 * or a fetched copy), drops one (`objectDropped`), or is lost with all of
 * its copies (`workerLost`, see step.ts).
 *
 * When the last copy of an object goes, the object is lost: `objectLost`
 * goes out, and every task that still needs it and has not started (waiting
 * or ready) fails with ERR_OBJECT_LOST — through `fail`, so its dependents
 * fail too, naming it. A run already started keeps going (its worker may
 * have the bytes already); if it is retried later, it fails then (tasks.ts
 * `requeue`). A task submitted later naming the object fails at once. A new
 * copy stored makes it ready again. But first, an object whose producer's
 * lineage is kept is remade instead (lineage.ts): its producer runs again
 * and its consumers wait; only what cannot be remade is lost.
 *
 * Finding the tasks that need a lost object scans every task: O(tasks), but
 * only when a last copy goes, which is rare.
 */
import type { ObjectId } from '@shoal/protocol';
import { remake } from './lineage.ts';
import { rehome } from './locality.ts';
import { dropLocation, loseObject } from './objects.ts';
import type { ObjectRecord, SchedulerState, TaskRecord } from './state.ts';
import { fail, stored } from './tasks.ts';
import type { SchedulerCommand, WorkerId } from './types.ts';

/**
 * A copy was stored. From a worker that is not present (a late message) it
 * is ignored, except that a pending put with no producer whose only copy
 * that was is lost at once (nothing else will ever store it).
 */
export function copyStored(state: SchedulerState, objectId: ObjectId, size: number, workerId: WorkerId | null, out: SchedulerCommand[]): void {
  if (workerId === null || state.workers.has(workerId)) return stored(state, objectId, size, workerId, out);
  const object = state.objects.get(objectId);
  if (!object || object.state !== 'pending' || object.producer !== null) return;
  loseObject(object, `object ${objectId} was lost: a task put it on worker ${workerId}, which had already left (put objects cannot be recomputed)`, out);
  failConsumers(state, [object], out);
}

/**
 * A holder dropped its copy. Tasks waiting for that worker because of this
 * object are priced again; if it was the last copy, the object is lost.
 * Unknown objects, objects not ready, and holders it did not list: a no-op.
 */
export function copyDropped(state: SchedulerState, objectId: ObjectId, workerId: WorkerId | null, out: SchedulerCommand[]): void {
  const object = state.objects.get(objectId);
  if (!object || object.state !== 'ready' || !object.locations.includes(workerId)) return;
  const last = dropLocation(object, workerId);
  const worker = workerId === null ? undefined : state.workers.get(workerId);
  if (worker) rehome(state, worker, (task) => task.inputs.includes(object));
  if (!last || remake(state, [object], out).length === 0) return;
  const where = workerId === null ? 'the coordinator' : `worker ${workerId}`;
  loseObject(object, `object ${objectId} was lost: its last copy, on ${where}, was dropped${why(object)}`, out);
  failConsumers(state, [object], out);
}

/**
 * `worker` was lost with these objects' last copies (already dropped from
 * their locations): each is remade from lineage if it can be, else lost.
 * Answers the lost ones.
 */
export function copiesLost(state: SchedulerState, objects: readonly ObjectRecord[], workerId: WorkerId, out: SchedulerCommand[]): ObjectRecord[] {
  const lost = objects.length === 0 ? [] : remake(state, objects, out);
  for (const object of lost) loseObject(object, `object ${object.objectId} was lost: its last copy was on worker ${workerId}, which left${why(object)}`, out);
  return lost;
}

/** Why a lost object could not be remade, for its error message. */
function why(object: ObjectRecord): string {
  if (object.lineage === null) return ' (a put object cannot be recomputed)';
  if (object.lineage.rebuilds >= object.lineage.spec.maxRetries) return ` (its task was already run again ${object.lineage.rebuilds} times, its maxRetries)`;
  return ' (an input of its task cannot be recomputed)';
}

/**
 * After `lost` were lost: fails every waiting or ready task with a lost
 * input, with that input's error (the first lost one in `deps` order), in
 * submission order. Scans the tasks only if some lost object has consumers.
 */
export function failConsumers(state: SchedulerState, lost: readonly ObjectRecord[], out: SchedulerCommand[]): void {
  if (!lost.some((object) => object.consumers > 0)) return;
  const doomed: Array<[TaskRecord, ObjectRecord]> = [];
  for (const task of state.tasks.values()) {
    if (task.state !== 'waiting' && task.state !== 'ready') continue;
    const input = task.inputs.find((object) => object.state === 'lost');
    if (input) doomed.push([task, input]);
  }
  // A task failed as a dependent of an earlier one is no longer waiting: skip it.
  for (const [task, input] of doomed) if (task.state === 'waiting' || task.state === 'ready') fail(state, task, input.error!, null, out);
}
