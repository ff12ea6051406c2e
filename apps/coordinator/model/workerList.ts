/**
 * The workers table's model: the connected workers, kept up to date from the
 * coordinator's batched `workersDiff`s (O(changed) per diff, not O(workers)),
 * and which rows a scrolled viewport shows, so the table renders only those
 * (a room of hundreds of workers stays cheap to redraw).
 *
 *   diff {changed: [w3'], removed: ['w1']} ─▶ rows (join order) ─▶ visibleWindow(scrollTop, height) ─▶ rows[start, end)
 *
 * Up to `VIRTUALIZE_AFTER` workers every row is rendered; past that, rows
 * have a fixed height and only those in view (plus `overscan` each side) are.
 */
import type { WorkerSummary } from '@shoal/protocol';

/** Past this many workers, the table renders only the rows in view. */
export const VIRTUALIZE_AFTER = 50;
/** A row's height when virtualized (CSS px). */
export const ROW_PX = 44;
/** The scrolled table's height when virtualized (CSS px). */
export const VIEWPORT_PX = 480;

export interface WorkersDiffLike {
  changed: readonly WorkerSummary[];
  removed: readonly string[];
}

export interface RowWindow {
  /** Rows [start, end) are rendered. */
  start: number;
  end: number;
  /** Space above and below them, standing in for the rows not rendered. */
  padTop: number;
  padBottom: number;
}

export class WorkerListModel {
  private readonly rows = new Map<string, WorkerSummary>();
  private ordered: WorkerSummary[] | null = null;
  /** Bumped on every change, so views redraw only when something changed. */
  version = 0;

  /** Applies one diff: changed rows are added or replaced (keeping their place), removed ones go. */
  apply(diff: WorkersDiffLike): void {
    if (diff.changed.length === 0 && diff.removed.length === 0) return;
    for (const summary of diff.changed) {
      if (!this.rows.has(summary.peerId)) this.ordered = null;
      this.rows.set(summary.peerId, summary);
    }
    for (const peerId of diff.removed) if (this.rows.delete(peerId)) this.ordered = null;
    if (this.ordered) this.ordered = this.ordered.map((row) => this.rows.get(row.peerId)!);
    this.version += 1;
  }

  /** Replaces the whole list (what a full `workers()` answer says), as a diff against the current one. */
  replace(workers: readonly WorkerSummary[]): void {
    const present = new Set(workers.map((worker) => worker.peerId));
    this.apply({ changed: workers, removed: [...this.rows.keys()].filter((peerId) => !present.has(peerId)) });
  }

  get size(): number {
    return this.rows.size;
  }

  has(peerId: string): boolean {
    return this.rows.has(peerId);
  }

  /** Every worker, in the order they joined. */
  list(): readonly WorkerSummary[] {
    this.ordered ??= [...this.rows.values()];
    return this.ordered;
  }

  /** The rows a viewport shows: all of them up to VIRTUALIZE_AFTER, else those in view. */
  window(scrollTop: number, viewportPx: number = VIEWPORT_PX, rowPx: number = ROW_PX, overscan = 5): RowWindow {
    return this.size <= VIRTUALIZE_AFTER ? { start: 0, end: this.size, padTop: 0, padBottom: 0 } : visibleWindow(this.size, scrollTop, viewportPx, rowPx, overscan);
  }
}

/** Rows of `rowPx` each, `count` in all, seen through `viewportPx` scrolled by `scrollTop`: which to render, and the space around them. */
export function visibleWindow(count: number, scrollTop: number, viewportPx: number, rowPx: number, overscan = 5): RowWindow {
  const first = Math.floor(Math.max(0, scrollTop) / rowPx);
  const start = Math.max(0, Math.min(count, first - overscan));
  const end = Math.min(count, first + Math.ceil(Math.max(viewportPx, rowPx) / rowPx) + 1 + overscan);
  return { start, end: Math.max(start, end), padTop: start * rowPx, padBottom: (count - Math.max(start, end)) * rowPx };
}
