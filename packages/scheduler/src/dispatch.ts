/**
 * Dispatch: places ready tasks, in two passes.
 *
 *   1. Due workers (ones that gained room and have affinity tasks): their
 *      affinity queues first, best first, while the best fits. These tasks
 *      chose to wait for their holder; it serves them before anything else.
 *   2. Everything else, best task first: fresh tasks (large inputs, just
 *      ready) and shapes, merged by priority. A fresh task runs on a holder
 *      of its inputs now, joins a holder's affinity queue, or joins its
 *      shape (see locality.ts for the rule). A shape's best task goes to the
 *      least-loaded worker it fits now; a shape whose best task fits nowhere
 *      is parked (see queue.ts) and the loop goes on with the next shape, so
 *      a task that cannot run now — infeasible, or waiting for a busy gpu —
 *      never holds up tasks behind it.
 *
 * Pass 1 and the fresh tasks cost nothing when no task has large inputs.
 * Work per call: one placement search per task placed, plus one per shape
 * parked, plus the pricing of each fresh task (its inputs' copies).
 */
import { chooseHolder, pushAffinity } from './locality.ts';
import { taskBefore } from './order.ts';
import { dequeue, park, queueInShape } from './queue.ts';
import type { SchedulerState, TaskRecord } from './state.ts';
import { addRun } from './runs.ts';
import { assign } from './tasks.ts';
import type { SchedulerCommand } from './types.ts';
import { verifyWorkers } from './verify.ts';
import { findWorker, fits } from './workers.ts';

const NONE: TaskRecord[] = [];

export function dispatch(state: SchedulerState, out: SchedulerCommand[]): void {
  if (state.due.size > 0) placeDue(state, out);
  let fresh = NONE;
  if (state.fresh.length > 0) {
    fresh = state.fresh;
    state.fresh = [];
    if (fresh.length > 1) fresh.sort(byOrder);
  }
  let next = 0;
  const runnable = state.runnable;
  for (;;) {
    while (next < fresh.length && fresh[next]!.queue !== 'fresh') next++; // failed meanwhile
    const shape = runnable.size > 0 ? runnable.items[0]! : null;
    if (next < fresh.length && (shape === null || taskBefore(fresh[next]!, shape.tasks.items[0]!))) {
      placeFresh(state, fresh[next++]!, out);
      continue;
    }
    if (shape === null) return;
    const worker = findWorker(state, shape);
    if (!worker) {
      park(state, shape);
      continue;
    }
    const task = shape.tasks.items[0]!;
    const others = verifyWorkers(state, task, worker, out); // a verify task's other runs (verify.ts)
    if (others === null) {
      park(state, shape);
      continue;
    }
    dequeue(state, task);
    assign(state, task, worker, out);
    for (const other of others) addRun(state, task, other, out);
  }
}

/** Pass 1: due workers run their affinity tasks while the best fits. */
function placeDue(state: SchedulerState, out: SchedulerCommand[]): void {
  for (const worker of state.due) {
    const heap = worker.affinity;
    if (heap === null || state.workers.get(worker.workerId) !== worker) continue;
    while (heap.size > 0) {
      const task = heap.items[0]!;
      if (!fits(task.shape!, worker)) break;
      dequeue(state, task);
      assign(state, task, worker, out);
    }
  }
  state.due.clear();
}

/** A fresh task runs on a holder, waits for one, or joins its shape. */
function placeFresh(state: SchedulerState, task: TaskRecord, out: SchedulerCommand[]): void {
  const choice = chooseHolder(state, task);
  if (choice === null) {
    task.queue = null;
    queueInShape(state, task, out);
  } else if (choice.now) {
    dequeue(state, task);
    assign(state, task, choice.worker, out);
  } else {
    task.queue = null;
    pushAffinity(state, task, choice.worker);
  }
}

function byOrder(a: TaskRecord, b: TaskRecord): number {
  return taskBefore(a, b) ? -1 : taskBefore(b, a) ? 1 : 0;
}
