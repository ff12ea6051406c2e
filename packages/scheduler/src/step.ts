/**
 * `step(state, event) → commands`: the scheduler's one entry point.
 * See state.ts for the state and a worked example.
 */
import type { ObjectId, RemoteError, TaskId } from '@shoal/protocol';
import { capacity, type SchedulerState } from './state.ts';
import type { ObjectRecord, SchedulerCommand, SchedulerEvent, TaskRecord, WorkerRecord } from './types.ts';

export function step(state: SchedulerState, event: SchedulerEvent): SchedulerCommand[] {
  const out: SchedulerCommand[] = [];
  switch (event.type) {
    case 'taskSubmitted':
      submit(state, event.task.taskId, event, out);
      break;
    case 'objectStored':
      objectReady(state, event.objectId);
      break;
    case 'taskFinished': {
      const task = ownTask(state, event.taskId, event.workerId);
      if (!task) return out;
      release(state, task);
      task.state = 'done';
      objectReady(state, task.spec.output);
      break;
    }
    case 'taskFailed': {
      const task = ownTask(state, event.taskId, event.workerId);
      if (!task) return out;
      release(state, task);
      fail(state, task, event.error, null, out);
      break;
    }
    case 'workerJoined':
      state.workers.set(event.workerId, { workerId: event.workerId, slots: Math.max(1, event.slots), assigned: new Set() });
      break;
    case 'workerLost':
      workerLost(state, event.workerId, out);
      break;
  }
  dispatch(state, out);
  return out;
}

function object(state: SchedulerState, id: ObjectId): ObjectRecord {
  let record = state.objects.get(id);
  if (!record) state.objects.set(id, (record = { state: { kind: 'pending', producer: null }, waiters: new Set() }));
  return record;
}

function submit(state: SchedulerState, taskId: TaskId, event: Extract<SchedulerEvent, { type: 'taskSubmitted' }>, out: SchedulerCommand[]): void {
  if (state.tasks.has(taskId)) return;
  const task: TaskRecord = { spec: event.task, state: 'waiting', waitingOn: new Set(), workerId: null, attempts: 0 };
  state.tasks.set(taskId, task);
  const output = object(state, event.task.output);
  output.state = { kind: 'pending', producer: taskId };
  for (const dep of event.task.deps) {
    const input = object(state, dep);
    if (input.state.kind === 'ready') continue;
    if (input.state.kind === 'failed') {
      fail(state, task, input.state.error, input.state.root, out);
      return;
    }
    task.waitingOn.add(dep);
    input.waiters.add(taskId);
  }
  if (task.waitingOn.size === 0) makeReady(state, task);
}

function makeReady(state: SchedulerState, task: TaskRecord, front = false): void {
  task.state = 'ready';
  task.workerId = null;
  if (front) state.ready.unshift(task.spec.taskId);
  else state.ready.push(task.spec.taskId);
}

function objectReady(state: SchedulerState, id: ObjectId): void {
  const record = object(state, id);
  record.state = { kind: 'ready' };
  for (const waiter of record.waiters) {
    const task = state.tasks.get(waiter);
    if (!task || task.state !== 'waiting') continue;
    task.waitingOn.delete(id);
    if (task.waitingOn.size === 0) makeReady(state, task);
  }
  record.waiters.clear();
}

/** Fails a task and, transitively, everything waiting on its output. */
function fail(state: SchedulerState, task: TaskRecord, error: RemoteError, upstream: TaskId | null, out: SchedulerCommand[]): void {
  const pending: Array<[TaskRecord, TaskId | null]> = [[task, upstream]];
  while (pending.length > 0) {
    const [current, cause] = pending.pop()!;
    if (current.state === 'failed' || current.state === 'done') continue;
    current.state = 'failed';
    out.push({ type: 'failTask', taskId: current.spec.taskId, error, upstream: cause });
    const output = object(state, current.spec.output);
    output.state = { kind: 'failed', producer: current.spec.taskId, root: cause ?? current.spec.taskId, error };
    for (const waiter of output.waiters) {
      const next = state.tasks.get(waiter);
      if (next) pending.push([next, cause ?? current.spec.taskId]);
    }
    output.waiters.clear();
  }
}

/** The task, if `workerId` still owns it (late replies from a lost worker are ignored). */
function ownTask(state: SchedulerState, taskId: TaskId, workerId: string): TaskRecord | null {
  const task = state.tasks.get(taskId);
  return task && task.state === 'running' && task.workerId === workerId ? task : null;
}

function release(state: SchedulerState, task: TaskRecord): void {
  if (task.workerId) state.workers.get(task.workerId)?.assigned.delete(task.spec.taskId);
  task.workerId = null;
}

function workerLost(state: SchedulerState, workerId: string, out: SchedulerCommand[]): void {
  const worker = state.workers.get(workerId);
  if (!worker) return;
  state.workers.delete(workerId);
  for (const taskId of [...worker.assigned].reverse()) {
    const task = state.tasks.get(taskId);
    if (!task || task.state !== 'running') continue;
    if (task.attempts <= task.spec.maxRetries) {
      makeReady(state, task, true);
    } else {
      task.workerId = null;
      const error: RemoteError = {
        name: 'ShoalError',
        code: 'ERR_WORKER_LOST',
        message: `worker ${workerId} was lost while running the task, and its ${task.spec.maxRetries} retries are spent`,
        workerId,
      };
      fail(state, task, error, null, out);
    }
  }
}

/** Places ready tasks on the least-loaded workers with room. */
function dispatch(state: SchedulerState, out: SchedulerCommand[]): void {
  while (state.ready.length > 0) {
    const worker = leastLoaded(state);
    if (!worker) return;
    const taskId = state.ready.shift()!;
    const task = state.tasks.get(taskId);
    if (!task || task.state !== 'ready') continue;
    task.state = 'running';
    task.workerId = worker.workerId;
    task.attempts += 1;
    worker.assigned.add(taskId);
    out.push({ type: 'runTask', taskId, workerId: worker.workerId, attempt: task.attempts });
  }
}

function leastLoaded(state: SchedulerState): WorkerRecord | null {
  let best: WorkerRecord | null = null;
  let bestLoad = Number.POSITIVE_INFINITY;
  for (const worker of state.workers.values()) {
    const room = capacity(state, worker) - worker.assigned.size;
    if (room <= 0) continue;
    const load = worker.assigned.size / worker.slots;
    if (load < bestLoad) {
      best = worker;
      bestLoad = load;
    }
  }
  return best;
}
