/**
 * `verify: n`: a task runs on n distinct workers at once, and the driver
 * compares their results (client/src/verify.ts); runs.ts settles the runs.
 *
 * Placement: dispatch finds the primary worker as for any task, then n − 1
 * other present workers the task could fit with a deeper pipeline (free gpu,
 * memory and custom resources; the cpu pipeline bound is not applied to the
 * copies, so they never wait for two workers to have room at the same
 * moment). With fewer such workers the shape is parked until a worker joins
 * or frees room; if fewer than n present workers could ever run it, the
 * task is reported once with `taskInfeasible` and waits (for more workers).
 *
 * Verify tasks never take the locality path (their runs are on several
 * workers anyway), and their group gets a suffix, so their shapes never mix
 * with plain tasks of the same function: a parked verify shape does not hold
 * those back.
 */
import { fitsTotals } from './resources.ts';
import type { SchedulerState, TaskRecord, WorkerRecord } from './state.ts';
import type { SchedulerCommand, TaskSpec } from './types.ts';
import { fitsDeeper } from './workers.ts';

const NONE: WorkerRecord[] = [];

/** Runs the task needs (1 unless `verify` says more). */
export function verifyCount(spec: TaskSpec): number {
  const n = spec.verify;
  return typeof n === 'number' && Number.isInteger(n) && n > 1 ? n : 1;
}

/** The spec a verify task is recorded with: its own group (see above). Plain specs pass through. */
export function verifyGroup(spec: TaskSpec): TaskSpec {
  const n = verifyCount(spec);
  return n === 1 ? spec : { ...spec, group: `${spec.group}\u0000verify${n}` };
}

/**
 * The other workers for the task's extra runs, least loaded first, or null if
 * there are not enough now (the caller parks its shape). Empty for a plain task.
 */
export function verifyWorkers(state: SchedulerState, task: TaskRecord, primary: WorkerRecord, out: SchedulerCommand[]): WorkerRecord[] | null {
  const n = verifyCount(task.spec);
  if (n === 1) return NONE;
  const shape = task.shape!;
  const found: WorkerRecord[] = [];
  for (const worker of state.byLoad.items) if (worker !== primary && fitsDeeper(shape, worker)) found.push(worker);
  if (found.length >= n - 1) {
    found.sort((a, b) => a.load - b.load || a.joinSeq - b.joinSeq);
    return found.slice(0, n - 1);
  }
  if (!task.reportedInfeasible) {
    let able = 0;
    for (const worker of state.workers.values()) if (fitsTotals(shape.demand, worker.offer)) able += 1;
    if (able < n) {
      task.reportedInfeasible = true;
      const reason = `verify: ${n} needs ${n} distinct workers that can run it, and ${able === 1 ? 'only 1 is' : `only ${able} are`} present`;
      out.push({ type: 'taskInfeasible', taskId: task.spec.taskId, reason });
    }
  }
  return null;
}
