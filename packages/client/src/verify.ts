/**
 * `verify: n`, the coordinator's half: the scheduler runs the task on n
 * distinct workers (scheduler/src/verify.ts); this compares what they report.
 *
 * Each successful result is reduced to a digest per output: an inline JSON
 * value by its canonical JSON (object keys sorted), a stored output by the
 * xxHash32 checksum of its encoded bytes that the worker reports with it
 * (runtime/src/values.ts), and its size. A result that arrives while other
 * runs still run is kept (as a digest; a stored copy of it is released) and
 * its run is finished in the scheduler, which frees its worker. The last
 * result is accepted as the task's if every digest agrees. At the first
 * disagreement the task fails with ERR_VERIFY_MISMATCH naming both workers
 * (retried with the task's `retryExceptions`, as any exception). Digests are
 * dropped when the task is run again (a new attempt) or ends.
 *
 * What it catches: a worker that returns a wrong result, on purpose or by a
 * fault. What it does not: n colluding workers, or a task whose result is
 * not deterministic (random numbers, timing, ids of objects it `put`).
 */
import type { ControlMessage, TaskResult } from '@shoal/protocol';
import { runsOf, taskInfo } from '@shoal/scheduler';
import type { EventPort, Records, SchedulerPort } from './coordinatorTypes.ts';
import { summarize } from './taskEvents.ts';

type TaskDone = Extract<ControlMessage, { type: 'taskDone' }>;

/** What verifying needs of the coordinator. */
export type VerifierHost = SchedulerPort & Pick<Records, 'tasks' | 'plane'> & Pick<EventPort, 'on'>;

interface Seen {
  attempts: number;
  results: Array<{ workerId: string; digest: string; shown: string }>;
}

export class Verifier {
  private readonly wanted = new Map<string, number>();
  private readonly seen = new Map<string, Seen>();

  constructor(private readonly coordinator: VerifierHost) {
    coordinator.on('taskEnded', (taskId) => {
      this.wanted.delete(taskId);
      this.seen.delete(taskId);
    });
  }

  /** Whether `taskId` is a verify task (its runs report checksums of their stored outputs). */
  wants(taskId: string): boolean {
    return this.wanted.has(taskId);
  }

  /** A task submitted with `verify: n` (n > 1). */
  track(taskId: string, n: number): void {
    if (n > 1) this.wanted.set(taskId, n);
  }

  /**
   * A `taskDone` from `workerId`: true if handled here (kept to compare, or
   * failed for a mismatch); false to go on as usual (not a verify task, a
   * failure or late reply, or the last result, which agrees with the others).
   */
  taskDone(workerId: string, message: TaskDone): boolean {
    const { taskId, result } = message;
    const task = this.coordinator.tasks.get(taskId);
    if (!task || !this.wanted.has(taskId) || !result.ok) return false;
    const runs = runsOf(this.coordinator.scheduler, taskId);
    if (!runs.includes(workerId)) return false;
    const attempts = taskInfo(this.coordinator.scheduler, taskId)?.attempts ?? 0;
    let seen = this.seen.get(taskId);
    if (!seen || seen.attempts !== attempts) this.seen.set(taskId, (seen = { attempts, results: [] }));
    const { digest, shown } = digestOf(result, task.outputs.length);
    const other = seen.results.find((earlier) => earlier.digest !== digest);
    const last = runs.length === 1;
    if (!other && last) {
      this.seen.delete(taskId);
      return false;
    }
    this.releaseStored(workerId, taskId, result, task.outputs);
    if (other) {
      this.seen.delete(taskId);
      const message = `verify: workers ${other.workerId} and ${workerId} returned different results (${other.shown} vs ${shown})`;
      const error = { name: 'ShoalError', code: 'ERR_VERIFY_MISMATCH' as const, message, workerId };
      this.coordinator.apply({ type: 'taskFailed', taskId, workerId, error, kind: 'exception' });
      return true;
    }
    seen.results.push({ workerId, digest, shown });
    this.coordinator.apply({ type: 'taskFinished', taskId, workerId, sizes: [], durationMs: message.durationMs });
    return true;
  }

  private releaseStored(workerId: string, taskId: string, result: Extract<TaskResult, { ok: true }>, outputs: readonly string[]): void {
    for (const output of result.stored ?? []) {
      const objectId = outputs.length === 1 ? taskId : `${taskId}.${output.index}`;
      this.coordinator.plane.release(objectId, [workerId]);
    }
  }
}

/** A result's digest (equal exactly when the results agree) and a short form of it for error messages. */
export function digestOf(result: Extract<TaskResult, { ok: true }>, count: number): { digest: string; shown: string } {
  const values = count === 1 ? [result.value] : Array.isArray(result.value) ? result.value : [result.value];
  const stored = new Map((result.stored ?? []).map((output) => [output.index, output]));
  const parts = Array.from({ length: count }, (_, i) => {
    const kept = stored.get(i);
    if (kept) return `stored ${kept.size} B, xxHash32 ${kept.checksum === undefined ? 'none' : `0x${kept.checksum.toString(16).padStart(8, '0')}`}`;
    return `json ${canonicalJson(values[i])}`;
  });
  const digest = parts.join('\u0000');
  return { digest, shown: summarize(parts.length === 1 ? parts[0] : parts, 80) };
}

/** JSON with every object's keys sorted, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(inner).sort()) sorted[key] = (inner as Record<string, unknown>)[key];
    return sorted;
  }) ?? 'undefined';
}
