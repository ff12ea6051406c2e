/**
 * The orders the scheduler keeps, as two-number heap keys (lower first):
 *
 *   tasks    (−priority, rank): higher priority first; within a priority,
 *            retried tasks first, then submission order (both in `rank`).
 *   shapes   the keys of their best ready task, so the best task of all
 *            comes first.
 *   workers  (load, joinSeq): least loaded first (`load` = in-flight cpu ÷
 *            offered cpu); ties go to the worker that joined first.
 */
import type { IndexedHeap, KeyedHeap } from './heap.ts';
import type { ShapeRecord, TaskRecord, WorkerRecord } from './state.ts';

/** Subtracted from a retried task's rank so that it sorts ahead of every unretried task of its priority. */
const RETRIED = 2 ** 52;

/** A rank moved ahead of every unretried task of its priority (idempotent: ranks below 0 are already retried). */
export function retried(rank: number): number {
  return rank < 0 ? rank : rank - RETRIED;
}

export function taskBefore(a: TaskRecord, b: TaskRecord): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.rank < b.rank);
}

export function pushTask(queue: KeyedHeap<TaskRecord>, task: TaskRecord): void {
  queue.push(task, -task.priority, task.rank);
}

/** Puts a shape with ready tasks into `runnable`, or re-keys it after its best task changed. */
export function placeShape(runnable: IndexedHeap<ShapeRecord>, shape: ShapeRecord): void {
  const best = shape.tasks.items[0]!;
  runnable.set(shape, -best.priority, best.rank);
}

/** Puts a worker into `byLoad`, or re-keys it after its load changed. */
export function placeWorker(byLoad: IndexedHeap<WorkerRecord>, worker: WorkerRecord): void {
  byLoad.set(worker, worker.load, worker.joinSeq);
}
