/**
 * Objects: metadata only (state, size, locations), and when to let them go.
 *
 * An object is kept while it is `held` (the user's handle exists; cleared by
 * `objectReleased`) or has `consumers` (tasks that list it in deps and have
 * neither finished nor failed). Once neither is true and it is ready or
 * failed, `releaseObject {objectId, locations}` is emitted and the record is
 * deleted. A pending object is kept until it settles, then released at once.
 */
import type { ObjectId, RemoteError, TaskId } from '@shoal/protocol';
import type { ObjectRecord, SchedulerState, TaskRecord } from './state.ts';
import type { SchedulerCommand, WorkerId } from './types.ts';

/** Shared by objects not yet stored anywhere; replaced, never mutated, once they are. */
const NOWHERE: Array<WorkerId | null> = [];

/** The object's record, created pending (held, no producer) if unknown. */
export function objectOf(state: SchedulerState, objectId: ObjectId): ObjectRecord {
  let record = state.objects.get(objectId);
  if (!record) {
    record = { objectId, state: 'pending', held: true, consumers: 0, producer: null, size: 0, locations: NOWHERE, waiters: null, root: null, error: null };
    state.objects.set(objectId, record);
  }
  return record;
}

/** Notes that `task` waits for the pending `object`. */
export function addWaiter(object: ObjectRecord, task: TaskRecord): void {
  if (object.waiters) object.waiters.push(task);
  else object.waiters = [task];
}

/**
 * Marks the object ready (or, if it already was, adds a location) and
 * answers the tasks that waited for it. A failed object stays failed.
 */
export function readyObject(object: ObjectRecord, size: number, location: WorkerId | null): TaskRecord[] | null {
  if (object.state === 'failed' || object.state === 'released') return null;
  object.state = 'ready';
  object.size = Number.isFinite(size) && size > 0 ? size : 0;
  if (object.locations.length === 0) object.locations = [location];
  else if (!object.locations.includes(location)) object.locations.push(location);
  const waiters = object.waiters;
  object.waiters = null;
  return waiters;
}

/** Marks a pending object failed by `root`'s `error`; answers the tasks that waited for it. */
export function failObject(object: ObjectRecord, root: TaskId, error: RemoteError): TaskRecord[] | null {
  if (object.state !== 'pending') return null;
  object.state = 'failed';
  object.root = root;
  object.error = error;
  const waiters = object.waiters;
  object.waiters = null;
  return waiters;
}

/** Releases the object if nothing can need it any more (its record is marked 'released' and deleted). */
export function releaseIfUnneeded(state: SchedulerState, object: ObjectRecord, out: SchedulerCommand[]): void {
  if (object.held || object.consumers > 0 || object.state === 'pending' || object.state === 'released') return;
  object.state = 'released';
  state.objects.delete(object.objectId);
  const locations = object.locations === NOWHERE ? [] : object.locations;
  out.push({ type: 'releaseObject', objectId: object.objectId, locations });
}

/** A consumer task finished or failed: it no longer needs `object`. */
export function dropConsumer(state: SchedulerState, object: ObjectRecord, out: SchedulerCommand[]): void {
  object.consumers -= 1;
  releaseIfUnneeded(state, object, out);
}

/** The user's handle is gone (`objectReleased`); idempotent, unknown ids are ignored. */
export function dropHandle(state: SchedulerState, objectId: ObjectId, out: SchedulerCommand[]): void {
  const object = state.objects.get(objectId);
  if (!object || !object.held) return;
  object.held = false;
  releaseIfUnneeded(state, object, out);
}

/**
 * A worker is gone: drop it from every object's locations (re-computation
 * from lineage is not done here). O(objects): a loss is rare, and this keeps
 * no per-worker index to update on every object made or released.
 */
export function forgetLocation(state: SchedulerState, workerId: WorkerId): void {
  for (const object of state.objects.values()) {
    const at = object.locations.indexOf(workerId);
    if (at >= 0) object.locations.splice(at, 1);
  }
}
