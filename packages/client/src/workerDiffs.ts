/**
 * The worker list as batched diffs. Anything that changes a worker's row (a
 * finished task, a store report, a pause) marks it changed in O(1); once per
 * `WORKERS_DIFF_MS` the marks become one diff: summaries of the changed
 * workers and the ids of those that left. A room of 500 workers finishing
 * thousands of tasks a second costs one small diff per tick, not one full
 * list per task.
 *
 *   changed('w1'); changed('w2'); removed('w3')   ── 100 ms ──▶  publish({changed: [w1, w2], removed: ['w3']})
 */
import type { WorkerSummary } from '@shoal/protocol';
import type { WorkersDiff } from './coordinatorTypes.ts';

/** The worker list's changes are gathered this long, then published as one diff. */
export const WORKERS_DIFF_MS = 100;

export class WorkerDiffs {
  private readonly changedIds = new Set<string>();
  private readonly removedIds = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    /** A worker's row now, or null if it has none (not greeted yet, or gone). */
    private readonly summaryOf: (peerId: string) => WorkerSummary | null,
    private readonly publish: (diff: WorkersDiff) => void,
    private readonly delayMs = WORKERS_DIFF_MS,
  ) {}

  changed(peerId: string): void {
    this.changedIds.add(peerId);
    this.schedule();
  }

  removed(peerId: string): void {
    this.changedIds.delete(peerId);
    this.removedIds.add(peerId);
    this.schedule();
  }

  /** Publishes what was gathered now (the timer's job; also for tests). */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.changedIds.size === 0 && this.removedIds.size === 0) return;
    const changed: WorkerSummary[] = [];
    for (const peerId of this.changedIds) {
      const summary = this.summaryOf(peerId);
      if (summary) changed.push(summary);
    }
    const removed = [...this.removedIds];
    this.changedIds.clear();
    this.removedIds.clear();
    this.publish({ changed, removed });
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }
}
