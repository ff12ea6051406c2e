/**
 * Objects made outside the scheduler's tasks: actor calls' results. The
 * driver announces one (`objectPending`) when the call is made, so tasks can
 * wait for it; then it is stored (`objectStored`, as a put is) or fails
 * (`objectFailed`), failing the tasks that waited for it. It has no lineage:
 * once every copy is gone it is lost, like a put.
 */
import type { ObjectId, RemoteError } from '@shoal/protocol';
import { failObject, objectOf, releaseIfUnneeded } from './objects.ts';
import type { SchedulerState } from './state.ts';
import { fail } from './tasks.ts';
import type { SchedulerCommand } from './types.ts';

/** Records a pending object with no producer task (held until `objectReleased`). */
export function externalPending(state: SchedulerState, objectId: ObjectId): void {
  objectOf(state, objectId);
}

/** The pending object will never be made: tasks waiting for it fail, naming it as their upstream. */
export function externalFailed(state: SchedulerState, objectId: ObjectId, error: RemoteError, out: SchedulerCommand[]): void {
  const object = state.objects.get(objectId);
  if (!object || object.producer !== null) return;
  for (const waiter of failObject(object, objectId, error) ?? []) if (waiter.state === 'waiting') fail(state, waiter, error, objectId, out);
  releaseIfUnneeded(state, object, out);
}
