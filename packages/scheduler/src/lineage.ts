/**
 * Lineage reconstruction (Spark's RDD lineage, Ray's object reconstruction):
 * an object whose every copy is gone is made again by running the task that
 * made it again, and its inputs first if they are gone too, recursively.
 *
 * What is kept: a finished task's spec stays on its outputs' records as a
 * `Lineage` (tasks.ts `keepLineage`) while any of those records lives, and
 * its inputs' records stay too ('evicted': their values are released as
 * before, only the metadata stays) while a kept lineage names them. When the
 * last output record goes, the lineage goes (`dropLineage`, so the driver
 * can forget the function and arguments) and its inputs may go in turn
 * (objects.ts `releaseIfUnneeded`). Memory is thus bounded by the objects
 * the user (or a pending task) still holds, plus their ancestry back to the
 * nearest put or held object — a long chain whose only the last ref is held
 * keeps one small record per link, as in Ray.
 *
 * Rules:
 * - A lost object with lineage is remade eagerly (not on the next `get`):
 *   its outputs that are gone become pending again (`reconstructTask`), its
 *   producer is admitted again over the same records (ahead of nothing: a
 *   fresh task of its priority), and tasks that need it wait again.
 * - Each lineage may be run again at most `spec.maxRetries` times; past
 *   that, or if an input cannot be remade (a put, a released record), the
 *   object is lost as before: `objectLost`, and its consumers fail with
 *   ERR_OBJECT_LOST.
 * - Objects without lineage cannot be remade: a `put` by the job is stored
 *   on the coordinator, which never leaves, so only objects a task `put` on
 *   a worker that left are lost this way.
 * - A run already going on when its input is remade keeps going (its worker
 *   may have the bytes); if it fails to fetch them it waits for the new copy
 *   (tasks.ts, kind 'fetch').
 */
import type { ObjectId } from '@shoal/protocol';
import { addWaiter, remaking } from './objects.ts';
import { dequeue } from './queue.ts';
import type { Lineage, ObjectRecord, SchedulerState } from './state.ts';
import { admit } from './tasks.ts';
import type { SchedulerCommand } from './types.ts';

/**
 * Tries to remake `objects` (their last copy just went); answers those that
 * cannot be remade, for the caller to lose. Tasks waiting or ready that need
 * an object made pending again go back to waiting for it.
 */
export function remake(state: SchedulerState, objects: readonly ObjectRecord[], out: SchedulerCommand[]): ObjectRecord[] {
  const cannot: ObjectRecord[] = [];
  const pending = new Set<ObjectRecord>();
  for (const object of objects) if (!rebuild(state, object, pending, out)) cannot.push(object);
  if (pending.size > 0) waitAgain(state, pending);
  return cannot;
}

/**
 * Makes `object` pending again by running its producer again (inputs first).
 * Answers false if it cannot: no lineage, its rebuilds are spent, or an
 * input cannot be had (then nothing above that input runs again; inputs
 * already remade stay so). Depth-first over the ancestry with an explicit
 * stack, so a long lost chain cannot overflow the call stack; a lineage
 * runs when its last input is settled (post-order), so inputs are admitted
 * before their consumers.
 */
function rebuild(state: SchedulerState, object: ObjectRecord, pending: Set<ObjectRecord>, out: SchedulerCommand[]): boolean {
  const first = begin(state, object, pending);
  if (first !== 'go') return first === 'done';
  const stack: Array<{ lineage: Lineage; next: number }> = [{ lineage: object.lineage!, next: 0 }];
  let failed = false;
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const inputs = frame.lineage.inputs;
    if (!failed && frame.next < inputs.length) {
      const input = inputs[frame.next++]!;
      if (input.state === 'pending' || (input.state === 'ready' && !gone(input))) continue;
      const verdict = gone(input) ? begin(state, input, pending) : 'fail';
      if (verdict === 'go') stack.push({ lineage: input.lineage!, next: 0 });
      else if (verdict === 'fail') failed = true;
      continue;
    }
    stack.pop();
    if (!failed) rerun(state, frame.lineage, pending, out);
  }
  return !failed;
}

/** Whether `object` (gone) is remade already ('done': its producer runs again now), cannot be ('fail'), or needs its producer run ('go'). */
function begin(state: SchedulerState, object: ObjectRecord, pending: Set<ObjectRecord>): 'done' | 'fail' | 'go' {
  const lineage = object.lineage;
  if (lineage === null) return 'fail';
  if (state.tasks.has(lineage.spec.taskId)) {
    // Already running again (for another of its outputs): it will make this one too.
    remaking(object);
    pending.add(object);
    return 'done';
  }
  return lineage.rebuilds >= lineage.spec.maxRetries ? 'fail' : 'go';
}

/** Runs a lineage again (its inputs are ready or pending): its gone outputs are pending again, and the task is admitted over the same records. */
function rerun(state: SchedulerState, lineage: Lineage, pending: Set<ObjectRecord>, out: SchedulerCommand[]): void {
  lineage.rebuilds += 1;
  const outputs: ObjectId[] = [];
  for (const output of lineage.outputs) {
    if (!gone(output)) continue;
    remaking(output);
    pending.add(output);
    outputs.push(output.objectId);
  }
  out.push({ type: 'reconstructTask', taskId: lineage.spec.taskId, outputs });
  admit(state, lineage.spec, lineage.inputs, lineage.outputs, out);
}

/** Its value is nowhere: lost, evicted, or ready with its last copy just gone (not yet marked lost). */
function gone(object: ObjectRecord): boolean {
  return object.state === 'lost' || object.state === 'evicted' || (object.state === 'ready' && object.locations.length === 0);
}

/**
 * Tasks that were waiting or ready and need an object that is pending again
 * wait for it (a ready one leaves the queue). Tasks admitted by `rebuild`
 * already wait for it (they are in its waiters). O(tasks), only on a loss.
 */
function waitAgain(state: SchedulerState, pending: ReadonlySet<ObjectRecord>): void {
  for (const task of state.tasks.values()) {
    if (task.state !== 'waiting' && task.state !== 'ready') continue;
    for (const input of task.inputs) {
      if (!pending.has(input) || input.waiters?.includes(task)) continue;
      if (task.state === 'ready') {
        dequeue(state, task);
        task.state = 'waiting';
        state.counts.waiting += 1;
      }
      task.waitingOn += 1;
      addWaiter(input, task);
    }
  }
}
