/**
 * Dispatch: places ready tasks, best first, each on the least-loaded worker
 * it fits now. A shape whose best task fits nowhere is parked (see queue.ts)
 * and the loop goes on with the next shape, so a task that cannot run now —
 * infeasible, or waiting for a busy gpu — never holds up tasks behind it.
 * Work per call: one placement search per task placed, plus one per shape parked.
 */
import { dequeue, park } from './queue.ts';
import type { SchedulerState } from './state.ts';
import { assign } from './tasks.ts';
import type { SchedulerCommand } from './types.ts';
import { findWorker } from './workers.ts';

export function dispatch(state: SchedulerState, out: SchedulerCommand[]): void {
  const runnable = state.runnable;
  while (runnable.size > 0) {
    const shape = runnable.items[0]!;
    const worker = findWorker(state, shape);
    if (!worker) {
      park(state, shape);
      continue;
    }
    const task = shape.tasks.items[0]!;
    dequeue(state, task);
    assign(state, task, worker, out);
  }
}
