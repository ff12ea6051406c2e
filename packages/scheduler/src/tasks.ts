/**
 * A task's lifecycle: submitted → waiting → ready → running → done, or failed
 * (with everything downstream), and back to ready when a run is retried.
 * Each function here settles the task's record, its worker's usage, its
 * objects' refcounts and the ready queue together, and appends commands.
 */
import type { RemoteError, TaskId } from '@shoal/protocol';
import { addWaiter, dropConsumer, failObject, objectOf, readyObject, releaseIfUnneeded } from './objects.ts';
import { retried } from './order.ts';
import { recordDuration } from './pipeline.ts';
import { dequeue, enqueue, wake, wakeGroup } from './queue.ts';
import type { ObjectRecord, SchedulerState, TaskRecord, WorkerRecord } from './state.ts';
import type { FailureKind, SchedulerCommand, TaskInput, TaskSpec, WorkerId } from './types.ts';
import { occupy } from './workers.ts';

/** Shared by tasks without inputs; never mutated. */
const NO_OBJECTS: ObjectRecord[] = [];
const NO_INPUTS: readonly TaskInput[] = Object.freeze([]);

/** How many 'fetch' failures (a holder left mid-transfer) a task may have before it fails with the worker's error. */
export const FETCH_RETRIES = 10;

/** Records a submitted task; it waits for its pending inputs, or fails at once if one has failed or was lost. Duplicates are ignored. */
export function submit(state: SchedulerState, spec: TaskSpec, out: SchedulerCommand[]): void {
  if (state.tasks.has(spec.taskId)) return;
  const outputs = spec.outputs.map((id) => objectOf(state, id));
  const inputs = spec.deps.length === 0 ? NO_OBJECTS : spec.deps.map((id) => objectOf(state, id));
  admit(state, spec, inputs, outputs, out);
}

/**
 * Records a task over given object records: a submission, or a finished
 * task run again from its lineage (lineage.ts), whose records may already be
 * gone from `state.objects`.
 */
export function admit(state: SchedulerState, spec: TaskSpec, inputs: ObjectRecord[], outputs: ObjectRecord[], out: SchedulerCommand[]): void {
  const task: TaskRecord = {
    spec,
    state: 'waiting',
    waitingOn: 0,
    priority: typeof spec.priority === 'number' && !Number.isNaN(spec.priority) ? spec.priority : 0,
    rank: state.nextSeq++,
    attempts: 0,
    killed: 0,
    fetchFailures: 0,
    worker: null,
    blocked: false,
    inputs,
    outputs,
    shape: null,
    reportedInfeasible: false,
    queue: null,
    affinity: null,
    heapIndex: -1,
  };
  state.tasks.set(spec.taskId, task);
  state.counts.waiting += 1;
  for (const output of outputs) if (output.state === 'pending' && output.producer === null) output.producer = spec.taskId;
  let failed: ObjectRecord | null = null;
  for (const input of inputs) {
    input.consumers += 1;
    if (input.state === 'failed' || input.state === 'lost') failed ??= input;
    else if (input.state === 'pending' && failed === null) {
      task.waitingOn += 1;
      addWaiter(input, task);
    }
  }
  if (failed) fail(state, task, failed.error!, failed.root, out);
  else if (task.waitingOn === 0) {
    state.counts.waiting -= 1;
    enqueue(state, task, out);
  }
}

/** Places a ready task (already dequeued) on `worker`. */
export function assign(state: SchedulerState, task: TaskRecord, worker: WorkerRecord, out: SchedulerCommand[]): void {
  task.state = 'running';
  task.worker = worker;
  task.attempts += 1;
  state.counts.running += 1;
  worker.assigned += 1;
  occupy(state, worker, task.shape!.demand, 1);
  const inputs = task.inputs.length === 0 ? NO_INPUTS : task.inputs.map(toInput);
  out.push({ type: 'runTask', taskId: task.spec.taskId, workerId: worker.workerId, attempt: task.attempts, inputs });
}

/** An input as `runTask` names it; `locations` is copy-on-write, so the record's array is shared. */
function toInput(object: ObjectRecord): TaskInput {
  return { objectId: object.objectId, size: object.size, locations: object.locations };
}

/** The owner finished the run: outputs become ready there, dependents are released. */
export function finish(state: SchedulerState, task: TaskRecord, sizes: readonly number[], durationMs: number, out: SchedulerCommand[], inline?: readonly boolean[]): void {
  const workerId = task.worker!.workerId;
  unassign(state, task);
  if (task.state === 'failed') return forget(state, task); // a cancelled run, answered
  state.counts.running -= 1;
  task.state = 'done';
  forget(state, task);
  const group = task.shape!.group;
  if (recordDuration(state, group, durationMs)) wakeGroup(state, group);
  keepLineage(task);
  const outputs = task.outputs;
  for (let i = 0; i < outputs.length; i++) {
    const output = outputs[i]!;
    wakeWaiters(state, readyObject(output, sizes[i] ?? 0, inline?.[i] === true ? null : workerId), out);
    releaseIfUnneeded(state, output, out);
  }
  for (const input of task.inputs) dropConsumer(state, input, out);
}

/** The owner reports a failed run: retried if its kind and retries allow, else the task fails. */
export function runFailed(state: SchedulerState, task: TaskRecord, error: RemoteError, kind: FailureKind, out: SchedulerCommand[]): void {
  unassign(state, task);
  if (task.state === 'failed') return forget(state, task); // a cancelled run, answered
  if (kind === 'fetch' && ++task.fetchFailures <= FETCH_RETRIES) {
    task.attempts -= 1; // not the task's fault
    return requeue(state, task, out);
  }
  const retryable = kind === 'device' || ((kind === 'exception' || kind === 'timeout') && task.spec.retryExceptions === true);
  if (retryable && task.attempts <= task.spec.maxRetries) requeue(state, task, out);
  else fail(state, task, error, null, out);
}

/**
 * Its worker was lost (already removed): retried if retries allow, else fails
 * with ERR_WORKER_LOST — or, the `killedWorkersLimit`-th time its worker died
 * while running it (a worker that left `graceful`ly does not count), with
 * ERR_TASK_KILLED_WORKERS.
 */
export function runLost(state: SchedulerState, task: TaskRecord, workerId: WorkerId, graceful: boolean, out: SchedulerCommand[]): void {
  task.worker = null;
  task.blocked = false;
  if (task.state === 'failed') return forget(state, task); // a cancelled run
  if (!graceful) task.killed += 1;
  const limit = task.spec.killedWorkersLimit ?? state.config.killedWorkersLimit;
  if (task.killed >= limit) {
    const message = `the task's worker was lost while running it ${limit} times (last: ${workerId}); it is not retried again, in case it is what kills them`;
    return fail(state, task, { name: 'ShoalError', code: 'ERR_TASK_KILLED_WORKERS', message, workerId }, null, out);
  }
  if (task.attempts <= task.spec.maxRetries) return requeue(state, task, out);
  const error: RemoteError = {
    name: 'ShoalError',
    code: 'ERR_WORKER_LOST',
    message: `worker ${workerId} was lost while running the task, and its ${task.spec.maxRetries} retries are spent`,
    workerId,
  };
  fail(state, task, error, null, out);
}

/**
 * The user cancelled the task. Waiting or ready: it fails with ERR_CANCELLED
 * (and everything downstream). Running: also `cancelTask` to its worker; the
 * run keeps its resources until the worker answers. Otherwise a no-op.
 */
export function cancel(state: SchedulerState, task: TaskRecord, force: boolean, out: SchedulerCommand[]): void {
  if (task.state === 'failed' || task.state === 'done') return;
  if (task.state === 'running') out.push({ type: 'cancelTask', taskId: task.spec.taskId, workerId: task.worker!.workerId, force });
  fail(state, task, { name: 'ShoalError', code: 'ERR_CANCELLED', message: 'task was cancelled' }, null, out);
}

/** The run waits inside `ctx.get` (blocked) or resumed: its demand stops or starts counting against its worker. Idempotent. */
export function setBlocked(state: SchedulerState, task: TaskRecord, blocked: boolean): void {
  const worker = task.worker;
  if (!worker || task.blocked === blocked) return;
  task.blocked = blocked;
  worker.blockedCount += blocked ? 1 : -1;
  occupy(state, worker, task.shape!.demand, blocked ? -1 : 1);
  if (blocked) wake(state, worker);
}

/** A copy is stored (a `put`, or a copy a worker fetched): a pending object becomes ready, and tasks waiting for it may too. */
export function stored(state: SchedulerState, objectId: string, size: number, workerId: WorkerId | null, out: SchedulerCommand[]): void {
  const object = objectOf(state, objectId);
  wakeWaiters(state, readyObject(object, size, workerId), out);
  releaseIfUnneeded(state, object, out);
}

/**
 * Fails `task` with `error` and, breadth first, every task waiting on its
 * outputs, naming the root as their `upstream`. `upstream` is the task that
 * caused `task`'s own failure (null: itself). Records are deleted, except a
 * run still held by its worker (cancelled), which keeps its resources.
 */
export function fail(state: SchedulerState, task: TaskRecord, error: RemoteError, upstream: TaskId | null, out: SchedulerCommand[]): void {
  const root = upstream ?? task.spec.taskId;
  detach(state, task);
  const queue = [task];
  for (let i = 0; i < queue.length; i++) {
    const current = queue[i]!;
    out.push({ type: 'failTask', taskId: current.spec.taskId, error, upstream: current === task ? upstream : root });
    if (!current.worker) forget(state, current);
    for (const input of current.inputs) dropConsumer(state, input, out);
    for (const output of current.outputs) {
      for (const waiter of failObject(output, root, error) ?? []) {
        if (waiter.state !== 'waiting') continue;
        detach(state, waiter);
        queue.push(waiter);
      }
      releaseIfUnneeded(state, output, out);
    }
  }
}

/**
 * Back to the queue ahead of everything of its priority (its worker already
 * let go); but if an input was lost meanwhile, it cannot run again: it fails
 * with that input's ERR_OBJECT_LOST. If an input is being remade (pending
 * again, lineage.ts), it waits for it.
 */
function requeue(state: SchedulerState, task: TaskRecord, out: SchedulerCommand[]): void {
  for (const input of task.inputs) if (input.state === 'lost') return fail(state, task, input.error!, null, out);
  state.counts.running -= 1;
  task.rank = retried(task.rank);
  for (const input of task.inputs) {
    if (input.state !== 'pending') continue;
    task.waitingOn += 1;
    addWaiter(input, task);
  }
  if (task.waitingOn > 0) {
    task.state = 'waiting';
    state.counts.waiting += 1;
    return;
  }
  enqueue(state, task, out);
}

/**
 * A task that just finished keeps its spec as lineage on its outputs (once:
 * a run from lineage finds it there), so a lost output can be remade, and
 * counts as a dependent of each input, whose record is then kept (evicted)
 * until the lineage goes (objects.ts `releaseIfUnneeded`).
 */
function keepLineage(task: TaskRecord): void {
  const outputs = task.outputs;
  if (outputs.some((output) => output.lineage !== null)) return;
  const alive = outputs.filter((output) => output.state !== 'released').length;
  if (alive === 0) return;
  const lineage = { spec: task.spec, inputs: task.inputs, outputs, alive, rebuilds: 0 };
  for (const output of outputs) if (output.state !== 'released') output.lineage = lineage;
  for (const input of task.inputs) input.dependents += 1;
}

function wakeWaiters(state: SchedulerState, waiters: TaskRecord[] | null, out: SchedulerCommand[]): void {
  if (!waiters) return;
  for (const waiter of waiters) {
    if (waiter.state !== 'waiting' || --waiter.waitingOn > 0) continue;
    state.counts.waiting -= 1;
    enqueue(state, waiter, out);
  }
}

/** Takes a live task out of its state's count (and the ready queue) and marks it failed. */
function detach(state: SchedulerState, task: TaskRecord): void {
  if (task.state === 'waiting') state.counts.waiting -= 1;
  else if (task.state === 'ready') dequeue(state, task);
  else if (task.state === 'running') state.counts.running -= 1;
  task.state = 'failed';
}

/** Its worker lets go of it: its demand stops counting there (if it counted), which may wake blocked shapes. */
function unassign(state: SchedulerState, task: TaskRecord): void {
  const worker = task.worker;
  if (!worker) return;
  task.worker = null;
  worker.assigned -= 1;
  if (task.blocked) {
    task.blocked = false;
    worker.blockedCount -= 1;
    return;
  }
  occupy(state, worker, task.shape!.demand, -1);
  wake(state, worker);
}

/** Deletes a live task's record (called once per record: while it lives, the map holds it under its id). */
function forget(state: SchedulerState, task: TaskRecord): void {
  state.tasks.delete(task.spec.taskId);
}
