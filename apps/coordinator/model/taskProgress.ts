/**
 * Task counts per name for `shoal run`'s progress bars, read through
 * `window.shoalCoordinator.taskProgress(since)` (protocol/src/page.ts).
 *
 * The CLI polls (every 200 ms) instead of the page pushing: a job of 100k tasks
 * costs the page O(1) per task event and the CLI one small answer per poll,
 * with the names that changed since the last one. Nothing runs when nobody
 * asks, and the CLI's last poll after the job returns sees the final counts.
 *
 * Example: submitted a, b (name `load`), finished a → `since(0)` answers
 * `{seq: 3, names: [{name: 'load', submitted: 2, done: 1, failed: 0}]}`;
 * `since(3)` answers `{seq: 3, names: []}` until the next event.
 */
import type { TaskEvent } from '@shoal/client';
import type { TaskNameCounts, TaskProgressUpdate } from '@shoal/protocol';

interface Entry extends TaskNameCounts {
  /** The `seq` of this name's last change. */
  changed: number;
}

export class TaskProgressFeed {
  #seq = 0;
  readonly #byName = new Map<string, Entry>();
  /** Tasks submitted and not yet finished or failed: `finished` events carry no name. */
  readonly #open = new Map<string, Entry>();

  apply(event: TaskEvent): void {
    switch (event.kind) {
      case 'submitted': {
        if (this.#open.has(event.taskId)) return;
        let entry = this.#byName.get(event.name);
        if (entry === undefined) {
          entry = { name: event.name, submitted: 0, done: 0, failed: 0, changed: 0 };
          this.#byName.set(event.name, entry);
        }
        entry.submitted++;
        this.#open.set(event.taskId, entry);
        return this.#touch(entry);
      }
      case 'finished':
      case 'failed': {
        const entry = this.#open.get(event.taskId);
        // Unknown: submitted before this feed listened, or already counted.
        if (entry === undefined) return;
        this.#open.delete(event.taskId);
        if (event.kind === 'finished') entry.done++;
        else entry.failed++;
        return this.#touch(entry);
      }
      default:
        return;
    }
  }

  /** The names whose counts changed after `since`, as totals; O(names). */
  since(since: number): TaskProgressUpdate {
    const names: TaskNameCounts[] = [];
    if (since < this.#seq) {
      for (const { name, submitted, done, failed, changed } of this.#byName.values()) {
        if (changed > since) names.push({ name, submitted, done, failed });
      }
    }
    return { seq: this.#seq, names };
  }

  #touch(entry: Entry): void {
    entry.changed = ++this.#seq;
  }
}
