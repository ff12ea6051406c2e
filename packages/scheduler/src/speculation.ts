/**
 * Speculative execution (Spark's `spark.speculation`): a run that takes far
 * longer than its finished peers gets a copy on another worker, and the first
 * to finish wins (runs.ts settles the two runs).
 *
 * The scheduler has no clock, so the driver decides which runs straggle, with
 * `findStragglers` below (pure: it is handed the times), and tells the
 * scheduler with a `taskStraggling` event. The scheduler then starts the copy
 * on the least-loaded other worker the task fits now, if any; with none, the
 * event is a no-op and the driver may say it again later.
 *
 * Policy, per group (one remote function): once at least `quantile` (0.75) of
 * the group's submitted tasks with speculation on have finished, a run whose
 * elapsed time exceeds max(`multiplier` (1.5) × the median duration of the
 * finished ones, `minMs` (100 ms)) straggles. Each task gets one copy at most.
 *
 *   group f: 8 submitted, 6 finished in [10, 10, 12, 12, 14, 90] ms (median 13)
 *   running: t7 for 150 ms, t8 for 40 ms        quantile 6/8 = 0.75 ≥ 0.75
 *   threshold max(1.5 × 13, 100) = 100 ms  →  t7 straggles; t8 does not
 */
import type { TaskId } from '@shoal/protocol';
import { addRun, hasOthers } from './runs.ts';
import type { SchedulerState, TaskRecord, WorkerRecord } from './state.ts';
import type { SchedulerCommand } from './types.ts';
import { fits } from './workers.ts';

export interface SpeculationPolicy {
  /** Fraction of a group's submitted tasks that must be finished before any is speculated. Default 0.75. */
  quantile: number;
  /** A run straggles past this many times the median finished duration. Default 1.5. */
  multiplier: number;
  /** ...and past this many milliseconds. Default 100. */
  minMs: number;
}

export const DEFAULT_SPECULATION: Readonly<SpeculationPolicy> = { quantile: 0.75, multiplier: 1.5, minMs: 100 };

/** One group's figures, as the driver keeps them. */
export interface GroupTimes {
  /** Tasks of the group submitted with speculation on. */
  submitted: number;
  /** Durations (ms) of those that finished. */
  finished: readonly number[];
  /** Runs not yet speculated: how long each has run so far. */
  running: ReadonlyArray<{ taskId: TaskId; elapsedMs: number }>;
}

/** The median of `values` (the mean of the middle two for an even count); NaN if empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The running tasks of a group that straggle under `policy`, longest first. */
export function findStragglers(group: GroupTimes, policy: SpeculationPolicy = DEFAULT_SPECULATION): TaskId[] {
  if (group.finished.length === 0 || group.running.length === 0) return [];
  if (group.finished.length < policy.quantile * group.submitted) return [];
  const threshold = Math.max(policy.multiplier * median(group.finished), policy.minMs);
  return group.running
    .filter((run) => run.elapsedMs > threshold)
    .sort((a, b) => b.elapsedMs - a.elapsedMs)
    .map((run) => run.taskId);
}

/**
 * `taskStraggling`: starts a copy of a running, unblocked task that has no
 * extra run yet (and is not a verify task) on the least-loaded other worker
 * it fits now (earliest join on ties). Otherwise a no-op.
 */
export function speculate(state: SchedulerState, task: TaskRecord, out: SchedulerCommand[]): void {
  if (task.state !== 'running' || task.blocked || !task.worker || hasOthers(task) || (task.spec.verify ?? 1) > 1) return;
  const shape = task.shape!;
  let best: WorkerRecord | null = null;
  for (const worker of state.byLoad.items) {
    if (worker === task.worker || !fits(shape, worker)) continue;
    if (best === null || worker.load < best.load || (worker.load === best.load && worker.joinSeq < best.joinSeq)) best = worker;
  }
  if (best) addRun(state, task, best, out);
}
