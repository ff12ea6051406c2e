/**
 * `step(state, event) → commands`: the scheduler's one entry point.
 *
 * It MUTATES `state` in place (as Dask's `local.py` does) and returns the
 * commands the driver must carry out, in order. No I/O, no clock, no
 * randomness: the same events always give the same commands. It never
 * throws on a well-typed event; reports about unknown or finished tasks, or
 * from a worker that no longer owns the task, are ignored and give no
 * commands. See state.ts for the state and a worked example.
 */
import type { TaskId } from '@shoal/protocol';
import { copiesLost, copyDropped, copyStored, failConsumers } from './copies.ts';
import { dispatch } from './dispatch.ts';
import { externalFailed, externalPending } from './external.ts';
import { rehome } from './locality.ts';
import { cancelOthers, failedRun, finishedRun, lostRuns, runsOn } from './runs.ts';
import { speculate } from './speculation.ts';
import { verifyGroup } from './verify.ts';
import { dropHandle, forgetLocation } from './objects.ts';
import { changedWorker, joinedWorker, leftWorker, wake } from './queue.ts';
import type { SchedulerState, TaskRecord, WorkerRecord } from './state.ts';
import { cancel, finish, runFailed, runLost, setBlocked, submit } from './tasks.ts';
import type { SchedulerCommand, SchedulerEvent, WorkerId } from './types.ts';
import { addWorker, removeWorker, updateWorker } from './workers.ts';

export function step(state: SchedulerState, event: SchedulerEvent): SchedulerCommand[] {
  const out: SchedulerCommand[] = [];
  switch (event.type) {
    case 'taskSubmitted':
      submit(state, verifyGroup(event.task), out);
      break;
    case 'taskFinished': {
      const task = owned(state, event.taskId, event.workerId);
      if (!task || finishedRun(state, task, event.workerId, out)) break;
      finish(state, task, event.sizes, event.durationMs, out, event.inline);
      break;
    }
    case 'taskFailed': {
      const task = owned(state, event.taskId, event.workerId);
      if (!task || failedRun(state, task, event.workerId, event.kind, out)) break;
      runFailed(state, task, event.error, event.kind, out);
      break;
    }
    case 'taskBlocked':
    case 'taskUnblocked': {
      const task = owned(state, event.taskId, event.workerId);
      if (!task || task.worker!.workerId !== event.workerId) return out; // extra runs never block
      setBlocked(state, task, event.type === 'taskBlocked');
      break;
    }
    case 'taskStraggling': {
      const task = state.tasks.get(event.taskId);
      if (task) speculate(state, task, out);
      break;
    }
    case 'taskCancelled': {
      const task = state.tasks.get(event.taskId);
      if (!task) return out;
      if (task.state === 'running') cancelOthers(state, task, event.force, out);
      cancel(state, task, event.force, out);
      break;
    }
    case 'objectStored':
      copyStored(state, event.objectId, event.size, event.workerId, out);
      break;
    case 'objectDropped':
      copyDropped(state, event.objectId, event.workerId, out);
      break;
    case 'objectPending':
      externalPending(state, event.objectId);
      break;
    case 'objectFailed':
      externalFailed(state, event.objectId, event.error, out);
      break;
    case 'objectReleased':
      dropHandle(state, event.objectId, out);
      break;
    case 'workerJoined': {
      const worker = addWorker(state, event.workerId, event.resources, event.gpuFallback === true);
      if (!worker) return out;
      joinedWorker(state, worker, out);
      break;
    }
    case 'workerUpdated': {
      const worker = state.workers.get(event.workerId);
      if (!worker) return out;
      const more = updateWorker(state, worker, event.resources, event.paused);
      if (worker.paused) rehome(state, worker, null); // tasks waiting for it by locality look elsewhere
      if (event.resources !== undefined) changedWorker(state, worker, more, out);
      else if (more) wake(state, worker);
      break;
    }
    case 'workerLost': {
      const worker = state.workers.get(event.workerId);
      if (!worker) return out;
      lose(state, worker, event.graceful === true, out);
      break;
    }
  }
  dispatch(state, out);
  return out;
}

/**
 * Forgets a lost worker: its objects lose it as a location (those whose last
 * copy it held are remade from lineage, or lost), shapes only it could run become infeasible, tasks
 * waiting for it by locality are placed again, and its runs are retried or
 * fail; then tasks that needed a lost object fail (copies.ts). O(tasks +
 * objects) (no per-worker index is kept: a loss is rare, placements are not).
 */
function lose(state: SchedulerState, worker: WorkerRecord, graceful: boolean, out: SchedulerCommand[]): void {
  const gone = forgetLocation(state, worker.workerId);
  removeWorker(state, worker);
  leftWorker(state, worker, out);
  rehome(state, worker, null);
  const runs = lostRuns(state, worker, out); // extra runs (runs.ts) settled; these are retried or fail
  // Remade (lineage.ts) before its runs are retried, so a retry waits for inputs being remade.
  const lost = copiesLost(state, gone, worker.workerId, out);
  for (const task of runs) runLost(state, task, worker.workerId, graceful, out);
  failConsumers(state, lost, out);
}

/** The task, if `workerId` runs it now (or ran it, for a cancelled run not yet answered for). */
function owned(state: SchedulerState, taskId: TaskId, workerId: WorkerId): TaskRecord | null {
  const task = state.tasks.get(taskId);
  return task && task.worker !== null && runsOn(task, workerId) ? task : null;
}
