/**
 * Objects: metadata only (state, size, locations), and when to let them go.
 *
 * `locations` lists every copy (a worker id, or null for the coordinator):
 * the first where it was made, then copies as workers report them. It is
 * copy-on-write (a change replaces the array) so commands can share it. When
 * the last copy goes the object is 'lost' (see copies.ts).
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

/** Shared by objects not stored anywhere; replaced, never mutated. */
const NOWHERE: ReadonlyArray<WorkerId | null> = Object.freeze([]);

/** The object's record, created pending (held, no producer) if unknown. */
export function objectOf(state: SchedulerState, objectId: ObjectId): ObjectRecord {
  let record = state.objects.get(objectId);
  if (!record) {
    record = { objectId, state: 'pending', held: true, consumers: 0, producer: null, lineage: null, dependents: 0, size: 0, locations: NOWHERE, waiters: null, root: null, error: null };
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
 * Marks the object ready (or, if it already was, adds a location; a lost one
 * is ready again) and answers the tasks that waited for it. A failed object
 * stays failed. The first size reported stays (a copy has the same bytes).
 */
export function readyObject(object: ObjectRecord, size: number, location: WorkerId | null): TaskRecord[] | null {
  if (object.state === 'failed' || object.state === 'released') return null;
  if (object.state !== 'ready' || object.size === 0) object.size = Number.isFinite(size) && size > 0 ? size : 0;
  if (object.state === 'lost' || object.state === 'evicted') {
    object.error = null;
    object.root = null;
  }
  object.state = 'ready';
  if (object.locations.length === 0) object.locations = [location];
  else if (!object.locations.includes(location)) object.locations = [...object.locations, location];
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

/**
 * Releases the object if nothing can need it any more: `releaseObject` goes
 * out and its record is marked 'released' and deleted — or, while a kept
 * lineage names it as an input (`dependents` > 0) and it has lineage itself,
 * kept as 'evicted' (its value released, its lineage kept). A deleted record
 * with lineage lets go of that lineage; the last output to go drops it
 * (`dropLineage`), which may in turn release its inputs' evicted records
 * (iteratively: a long chain must not overflow the stack).
 */
export function releaseIfUnneeded(state: SchedulerState, start: ObjectRecord, out: SchedulerCommand[]): void {
  const stack = [start];
  while (stack.length > 0) {
    const object = stack.pop()!;
    if (object.held || object.consumers > 0 || object.state === 'pending' || object.state === 'released') continue;
    const evicted = object.state === 'evicted';
    if (object.dependents > 0 && object.lineage !== null) {
      if (evicted) continue;
      out.push({ type: 'releaseObject', objectId: object.objectId, locations: object.locations });
      object.state = 'evicted';
      object.locations = NOWHERE;
      object.waiters = null;
      continue;
    }
    object.state = 'released';
    state.objects.delete(object.objectId);
    if (!evicted) out.push({ type: 'releaseObject', objectId: object.objectId, locations: object.locations });
    const lineage = object.lineage;
    if (lineage === null || --lineage.alive > 0) continue;
    out.push({ type: 'dropLineage', taskId: lineage.spec.taskId });
    for (const input of lineage.inputs) {
      input.dependents -= 1;
      stack.push(input);
    }
  }
}

/** Marks a lost or evicted object pending again: its producer is about to run again (lineage.ts). */
export function remaking(object: ObjectRecord): void {
  object.state = 'pending';
  object.locations = NOWHERE;
  object.waiters = null;
  object.root = null;
  object.error = null;
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

/** Drops one copy; answers whether it was the object's last (the caller then marks it lost). */
export function dropLocation(object: ObjectRecord, location: WorkerId | null): boolean {
  const locations = object.locations;
  if (!locations.includes(location)) return false;
  object.locations = locations.length === 1 ? NOWHERE : locations.filter((held) => held !== location);
  return object.locations.length === 0;
}

/**
 * A worker is gone: drop it from every object's locations; answers the
 * objects whose last copy it held. O(objects): a loss is rare, and this
 * keeps no per-worker index to update on every object made or released.
 */
export function forgetLocation(state: SchedulerState, workerId: WorkerId): ObjectRecord[] {
  const lost: ObjectRecord[] = [];
  for (const object of state.objects.values()) if (dropLocation(object, workerId)) lost.push(object);
  return lost;
}

/**
 * Every copy is gone: the object is lost (a pending put, too, whose only
 * copy was on a worker already gone). `objectLost` goes out; the tasks that
 * still need it are the caller's to fail (copies.ts).
 */
export function loseObject(object: ObjectRecord, message: string, out: SchedulerCommand[]): void {
  object.state = 'lost';
  object.locations = NOWHERE;
  object.waiters = null;
  object.root = null;
  object.error = { name: 'ShoalError', code: 'ERR_OBJECT_LOST', message };
  out.push({ type: 'objectLost', objectId: object.objectId });
}
