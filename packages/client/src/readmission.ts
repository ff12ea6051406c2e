/**
 * Workers declared lost while their link stayed open (silent: a frozen tab,
 * or one whose control messages waited behind bulk data), remembered so
 * that one which speaks again is re-admitted instead of refused forever.
 *
 *   workerGone(w, 'silent') ─ remember(w, entry, held) ─┐
 *   message from w (not a worker) ─ take(w) ─▶ entry ───┴▶ coordinator re-admits w as a fresh worker
 *
 * What the coordinator does then (coordinator.ts `readmit`): the worker
 * joins the scheduler again with its old capabilities; the objects it held
 * when declared lost (their copies were forgotten, and remade or lost) are
 * released on it; results of its old runs arriving late go the late-reply
 * path, so none is counted twice. A worker whose link closes, or that stays
 * silent past `READMIT_WINDOW_MS`, is forgotten.
 */
import type { WorkerEntry } from './coordinatorTypes.ts';

/** How long a worker declared lost (its link still open) is remembered. */
export const READMIT_WINDOW_MS = 10 * 60_000;

export interface LostWorker {
  entry: WorkerEntry;
  /** Ids of the objects it held when declared lost. */
  held: string[];
}

export class Readmission {
  private readonly lost = new Map<string, LostWorker & { at: number }>();

  constructor(
    private readonly windowMs = READMIT_WINDOW_MS,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** `peerId` was declared lost with its link open. */
  remember(peerId: string, lost: LostWorker): void {
    this.lost.set(peerId, { ...lost, at: this.now() });
    // Bounded: entries past the window go whenever another is added.
    for (const [id, entry] of this.lost) if (this.now() - entry.at > this.windowMs) this.lost.delete(id);
  }

  /** Its link closed, or it joined afresh: nothing to re-admit. */
  forget(peerId: string): void {
    this.lost.delete(peerId);
  }

  /**
   * `peerId` spoke again: what it was, if it may be re-admitted (once). One
   * declared lost before its hello (a join storm starved its tab) comes back
   * with `entry.caps` null: it joins as if its link had just opened.
   */
  take(peerId: string): LostWorker | null {
    const lost = this.lost.get(peerId);
    if (!lost) return null;
    this.lost.delete(peerId);
    return this.now() - lost.at > this.windowMs ? null : lost;
  }
}
