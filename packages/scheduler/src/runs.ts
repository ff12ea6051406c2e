/**
 * Extra runs: a task running on more than one worker at once.
 *
 *   speculation  one copy of a straggling run (`taskStraggling`,
 *                speculation.ts). The first run to finish wins: the other is
 *                force-cancelled and its resources freed at once. A run that
 *                fails, or whose worker is lost, while the other still runs
 *                is simply dropped: the other carries on.
 *   verify n     n runs on distinct workers, placed together (verify.ts). A
 *                run that finishes while others still run is absorbed (its
 *                resources freed; the driver keeps its result to compare); the
 *                last one finishes the task. A run that fails, or whose worker
 *                is lost, cancels the others: the task is retried or fails as
 *                one run would.
 *
 * The task's `worker` is its primary run (the one `taskInfo` names and that may
 * block inside `ctx.get`); `others` holds the rest, never blocked. Each run
 * counts in its worker's `assigned` and usage. A cancelled extra run is
 * forgotten at once (it was force-cancelled: its Web Worker is gone), so its
 * late reply is ignored like any reply from a worker that no longer runs the task.
 */
import type { TaskId } from '@shoal/protocol';
import { wake } from './queue.ts';
import type { ObjectRecord, SchedulerState, TaskRecord, WorkerRecord } from './state.ts';
import { setBlocked } from './tasks.ts';
import type { FailureKind, SchedulerCommand, WorkerId } from './types.ts';
import { occupy } from './workers.ts';

/** Whether the task has extra runs now. */
export function hasOthers(task: TaskRecord): boolean {
  return task.others !== undefined && task.others.length > 0;
}

function isVerify(task: TaskRecord): boolean {
  return (task.spec.verify ?? 1) > 1;
}

/** Every worker running the task now, its primary first (empty unless running). */
export function runsOf(state: SchedulerState, taskId: TaskId): WorkerId[] {
  const task = state.tasks.get(taskId);
  if (!task || task.state !== 'running' || !task.worker) return [];
  return [task.worker.workerId, ...(task.others ?? []).map((worker) => worker.workerId)];
}

/** Whether `workerId` runs the task now (its primary or an extra run). */
export function runsOn(task: TaskRecord, workerId: WorkerId): boolean {
  if (task.worker?.workerId === workerId) return true;
  return task.others?.some((worker) => worker.workerId === workerId) ?? false;
}

/** Starts an extra run of a running task on `worker` (same attempt number: it spends no retry). */
export function addRun(state: SchedulerState, task: TaskRecord, worker: WorkerRecord, out: SchedulerCommand[]): void {
  (task.others ??= []).push(worker);
  worker.assigned += 1;
  occupy(state, worker, task.shape!.demand, 1);
  const inputs = task.inputs.map(toInput);
  out.push({ type: 'runTask', taskId: task.spec.taskId, workerId: worker.workerId, attempt: task.attempts, inputs });
}

function toInput(object: ObjectRecord) {
  return { objectId: object.objectId, size: object.size, locations: object.locations };
}

/**
 * A run on `workerId` finished. True if that was absorbed (a verify run with
 * others still running); false if the task now finishes as usual, with
 * `workerId` as its primary run (a speculation's loser cancelled).
 */
export function finishedRun(state: SchedulerState, task: TaskRecord, workerId: WorkerId, out: SchedulerCommand[]): boolean {
  if (!hasOthers(task) || task.state !== 'running') return false;
  promote(state, task, workerId);
  if (isVerify(task)) {
    demote(state, task);
    return true;
  }
  cancelOthers(state, task, true, out);
  return false;
}

/**
 * A run on `workerId` failed. True if absorbed (speculation: the other run
 * carries on); false if the task now fails or is retried as usual, with
 * `workerId` as its primary run and no other runs (verify: they are cancelled).
 */
export function failedRun(state: SchedulerState, task: TaskRecord, workerId: WorkerId, _kind: FailureKind, out: SchedulerCommand[]): boolean {
  if (!hasOthers(task) || task.state !== 'running') return false;
  promote(state, task, workerId);
  if (!isVerify(task)) {
    demote(state, task);
    return true;
  }
  cancelOthers(state, task, true, out);
  return false;
}

/** Force-cancels every extra run (their workers' resources are freed now). */
export function cancelOthers(state: SchedulerState, task: TaskRecord, force: boolean, out: SchedulerCommand[]): void {
  const others = task.others;
  if (!others || others.length === 0) return;
  task.others = undefined;
  for (const worker of others) {
    out.push({ type: 'cancelTask', taskId: task.spec.taskId, workerId: worker.workerId, force });
    release(state, task, worker);
  }
}

/**
 * `worker` is lost (already removed): settles extra runs on it, and answers the
 * tasks whose run there must be retried or fail (tasks.ts `runLost`).
 * Speculation: the other run carries on (promoted if the primary was lost).
 * Verify: the task's other runs are cancelled, and it is retried as one run.
 */
export function lostRuns(state: SchedulerState, worker: WorkerRecord, out: SchedulerCommand[]): TaskRecord[] {
  const runs: TaskRecord[] = [];
  if (worker.assigned === 0) return runs;
  for (const task of state.tasks.values()) {
    const others = task.others;
    const primary = task.worker === worker;
    const extra = others !== undefined && others.includes(worker);
    if (!primary && !extra) continue;
    if (!others || others.length === 0) {
      runs.push(task);
      continue;
    }
    if (extra) others.splice(others.indexOf(worker), 1); // its accounting went with the worker
    if (!isVerify(task)) {
      if (primary) {
        // The copy carries on as the primary; the lost run's usage went with its worker.
        task.worker = others.shift()!;
        task.blocked = false;
      }
      continue;
    }
    cancelOthers(state, task, true, out);
    if (extra) {
      // The primary lives on a present worker: cancel it and free its resources; runLost then retries the task.
      const kept = task.worker!;
      out.push({ type: 'cancelTask', taskId: task.spec.taskId, workerId: kept.workerId, force: true });
      if (task.blocked) setBlocked(state, task, false);
      release(state, task, kept);
      task.worker = worker; // runLost names the lost worker
    }
    runs.push(task);
  }
  return runs;
}

/** Makes the run on `workerId` the primary; the old primary joins `others` (unblocked first). */
function promote(state: SchedulerState, task: TaskRecord, workerId: WorkerId): void {
  if (task.worker!.workerId === workerId) return;
  const others = task.others!;
  const index = others.findIndex((worker) => worker.workerId === workerId);
  if (task.blocked) setBlocked(state, task, false);
  const old = task.worker!;
  task.worker = others[index]!;
  others[index] = old;
}

/** Drops the primary run (it finished or failed): the first extra run becomes primary, and the dropped run's resources are freed. */
function demote(state: SchedulerState, task: TaskRecord): void {
  if (task.blocked) setBlocked(state, task, false);
  const done = task.worker!;
  task.worker = task.others!.shift()!;
  release(state, task, done);
}

/** An unblocked run on `worker` stops counting there. */
function release(state: SchedulerState, task: TaskRecord, worker: WorkerRecord): void {
  if (state.workers.get(worker.workerId) !== worker) return; // lost: its accounting went with it
  worker.assigned -= 1;
  occupy(state, worker, task.shape!.demand, -1);
  wake(state, worker);
}
