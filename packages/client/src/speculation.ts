/**
 * Speculative execution, the coordinator's half: the scheduler has no clock,
 * so this watches the task stream and tells it which runs straggle.
 *
 * Tasks submitted with `speculation: true` (or under the coordinator's
 * `speculation` default) are tracked per group (remote function): when each
 * was dispatched, and how long the finished ones took (coordinator-side wall
 * time, dispatch to result). While any such task runs, a timer checks every
 * `CHECK_MS` with the scheduler's pure policy (`findStragglers`: ≥ 75% of the
 * group finished, a run past max(1.5 × median, 100 ms)) and applies
 * `taskStraggling` for each straggler; if the scheduler started a copy (a
 * worker had room), a `speculated` task event and a log line say so. The
 * first result wins; the scheduler cancels the other run (runs.ts).
 */
import { DEFAULT_SPECULATION, findStragglers, median, runsOf, type SpeculationPolicy } from '@shoal/scheduler';
import type { EventPort, Records, SchedulerPort } from './coordinatorTypes.ts';

/** How often running speculative tasks are checked, in ms. */
export const CHECK_MS = 50;

/** What speculation needs of the coordinator. */
export type SpeculationHost = SchedulerPort & Pick<Records, 'tasks'> & EventPort;

interface Tracked {
  group: string;
  /** When its current attempt was dispatched (null: not yet). */
  startedAt: number | null;
  attempt: number;
  /** A copy was started for this attempt. */
  speculated: boolean;
}

interface Group {
  submitted: number;
  finished: number[];
}

export class Speculation {
  private readonly tasks = new Map<string, Tracked>();
  private readonly groups = new Map<string, Group>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly coordinator: SpeculationHost,
    private readonly policy: SpeculationPolicy = DEFAULT_SPECULATION,
  ) {
    coordinator.on('task', (event) => {
      const tracked = this.tasks.get(event.taskId);
      if (!tracked) return;
      if (event.kind === 'dispatched' && (tracked.startedAt === null || event.attempt !== tracked.attempt)) {
        tracked.startedAt = event.t;
        tracked.attempt = event.attempt;
        tracked.speculated = false;
        this.arm();
      } else if (event.kind === 'finished' && tracked.startedAt !== null) {
        this.groups.get(tracked.group)?.finished.push(event.t - tracked.startedAt);
      }
    });
    coordinator.on('taskEnded', (taskId) => {
      this.tasks.delete(taskId);
      if (this.tasks.size === 0) this.disarm();
    });
  }

  /** A task submitted with speculation on; `group` is its function's id. */
  track(taskId: string, group: string): void {
    this.tasks.set(taskId, { group, startedAt: null, attempt: 0, speculated: false });
    let stats = this.groups.get(group);
    if (!stats) this.groups.set(group, (stats = { submitted: 0, finished: [] }));
    stats.submitted += 1;
  }

  /** One check (the timer's); exposed for tests. */
  check(now = Date.now()): void {
    const running = new Map<string, Array<{ taskId: string; elapsedMs: number }>>();
    for (const [taskId, tracked] of this.tasks) {
      if (tracked.startedAt === null || tracked.speculated) continue;
      let list = running.get(tracked.group);
      if (!list) running.set(tracked.group, (list = []));
      list.push({ taskId, elapsedMs: now - tracked.startedAt });
    }
    for (const [group, list] of running) {
      const stats = this.groups.get(group)!;
      for (const taskId of findStragglers({ submitted: stats.submitted, finished: stats.finished, running: list }, this.policy)) {
        const before = runsOf(this.coordinator.scheduler, taskId);
        if (before.length !== 1) continue; // not running now, or already has a copy
        this.coordinator.apply({ type: 'taskStraggling', taskId });
        const after = runsOf(this.coordinator.scheduler, taskId);
        if (after.length < 2) continue; // no worker had room: asked again at the next check
        const tracked = this.tasks.get(taskId)!;
        tracked.speculated = true;
        const elapsedMs = now - tracked.startedAt!;
        const medianMs = median(stats.finished);
        const copy = after[after.length - 1]!;
        this.coordinator.notify('task', { kind: 'speculated', t: now, taskId, workerId: copy, original: before[0]!, elapsedMs, medianMs });
        const taskName = this.coordinator.tasks.get(taskId)?.name ?? taskId;
        const text = `speculated: running for ${elapsedMs} ms on ${before[0]} (median of finished peers ${Math.round(medianMs)} ms); a copy started on ${copy}, the first result wins`;
        this.coordinator.notify('taskLog', { taskId, taskName, workerId: 'scheduler', level: 'info', text });
      }
    }
  }

  private arm(): void {
    this.timer ??= setInterval(() => this.check(), CHECK_MS);
  }

  private disarm(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
