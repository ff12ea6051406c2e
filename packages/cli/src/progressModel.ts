/**
 * What `shoal run`'s progress bars show, as plain data: task counts per name
 * in (the coordinator page's `taskProgress` answers), rows out. Pure: time is
 * passed in, nothing is drawn here (progressFormat.ts makes the text,
 * progress.ts draws it).
 *
 * Rows: one total, then at most `maxBars` task names in the order they were
 * first seen (a DataFrame query's stages read top-down), then one summary row
 * for the names left out. Which names get a row:
 * - all of them while there are at most `maxBars`;
 * - else a name keeps its row while it is unfinished; a finished one gives its
 *   row up to an unfinished name that has none, and so does an unfinished one
 *   that has made no progress for `staleMs` to one that made progress since;
 *   names without a row wait, most recently progressed first.
 *
 * Example (maxBars 2): `load` 4/4 done, `sum` 1/4, `save` 0/4 (submitted
 * after) → rows `sum`, `save`; summary "1 more finished (4 tasks)".
 */
import type { TaskNameCounts } from '@shoal/protocol';

export interface ProgressRow {
  label: string;
  submitted: number;
  done: number;
  failed: number;
  /** Since the name was first seen (frozen when it finished); for the total, since the model began. */
  elapsedMs: number;
  /** Time left at the rate so far; null when finished or no rate is known yet. */
  etaMs: number | null;
  finished: boolean;
}

/** The names without a row: finished ones and unfinished ones, counted together. */
export interface ProgressSummary {
  finishedNames: number;
  finishedTasks: number;
  waitingNames: number;
  waitingSubmitted: number;
  waitingDone: number;
  /** Failed tasks among all of the names left out. */
  failed: number;
}

export interface ProgressView {
  total: ProgressRow;
  rows: ProgressRow[];
  summary: ProgressSummary | null;
}

export interface ProgressModelOptions {
  /** Rows for task names (the total and summary rows come on top). Default 8. */
  maxBars?: number;
  /** An unfinished name with no progress this long may lose its row to a busier one. Default 2000 ms. */
  staleMs?: number;
}

interface NameState extends TaskNameCounts {
  /** First-seen order. */
  order: number;
  firstSeenAt: number;
  /** When done + failed last grew (or first seen). */
  lastProgressAt: number;
  /** When done + failed first grew past 0, and the count then (for the rate). */
  rateFrom: { at: number; ended: number } | null;
  finishedAt: number | null;
}

export class ProgressModel {
  readonly #maxBars: number;
  readonly #staleMs: number;
  readonly #startedAt: number;
  readonly #names = new Map<string, NameState>();
  /** Names with a row, in no particular order (rows are sorted when viewed). */
  #shown: NameState[] = [];
  #totalRateFrom: { at: number; ended: number } | null = null;

  constructor(startedAt: number, options: ProgressModelOptions = {}) {
    this.#startedAt = startedAt;
    this.#maxBars = Math.max(1, options.maxBars ?? 8);
    this.#staleMs = options.staleMs ?? 2000;
  }

  /** Whether any task has been seen. */
  get empty(): boolean {
    return this.#names.size === 0;
  }

  /** Takes new totals for some names (the ones that changed), seen at `now`. */
  apply(counts: readonly TaskNameCounts[], now: number): void {
    for (const { name, submitted, done, failed } of counts) {
      let state = this.#names.get(name);
      if (state === undefined) {
        state = { name, submitted: 0, done: 0, failed: 0, order: this.#names.size, firstSeenAt: now, lastProgressAt: now, rateFrom: null, finishedAt: null };
        this.#names.set(name, state);
      }
      const before = state.done + state.failed;
      Object.assign(state, { submitted, done, failed });
      const ended = done + failed;
      if (ended > before) {
        state.lastProgressAt = now;
        // The first batch seen is where the rate starts (its tasks may have taken any time before).
        state.rateFrom ??= { at: now, ended };
      }
      const finished = ended >= submitted;
      if (finished) state.finishedAt ??= now;
      else state.finishedAt = null;
    }
    if (this.#totalRateFrom === null) {
      const ended = this.#sum((s) => s.done + s.failed);
      if (ended > 0) this.#totalRateFrom = { at: now, ended };
    }
    this.#choose(now);
  }

  view(now: number): ProgressView {
    const all = [...this.#names.values()];
    const submitted = this.#sum((s) => s.submitted);
    const done = this.#sum((s) => s.done);
    const failed = this.#sum((s) => s.failed);
    const finished = all.every((s) => s.finishedAt !== null);
    const lastFinish = finished ? Math.max(...all.map((s) => s.finishedAt!)) : now;
    const total: ProgressRow = {
      label: 'total',
      submitted,
      done,
      failed,
      elapsedMs: Math.max(0, (all.length > 0 && finished ? lastFinish : now) - this.#startedAt),
      etaMs: finished ? null : eta(this.#totalRateFrom, done + failed, submitted, now),
      finished: all.length > 0 && finished,
    };

    const shown = new Set(this.#shown);
    const rows = [...this.#shown].sort((a, b) => a.order - b.order).map((s) => row(s, now));
    let summary: ProgressSummary | null = null;
    for (const state of all) {
      if (shown.has(state)) continue;
      summary ??= { finishedNames: 0, finishedTasks: 0, waitingNames: 0, waitingSubmitted: 0, waitingDone: 0, failed: 0 };
      summary.failed += state.failed;
      if (state.finishedAt !== null) {
        summary.finishedNames++;
        summary.finishedTasks += state.submitted;
      } else {
        summary.waitingNames++;
        summary.waitingSubmitted += state.submitted;
        summary.waitingDone += state.done;
      }
    }
    return { total, rows, summary };
  }

  #choose(now: number): void {
    const all = [...this.#names.values()];
    if (all.length <= this.#maxBars) {
      this.#shown = all;
      return;
    }
    const shown = new Set(this.#shown);
    // Names without a row that want one: unfinished, busiest (most recent progress) first, then the earliest seen.
    const waiting = all.filter((s) => !shown.has(s) && s.finishedAt === null).sort((a, b) => b.lastProgressAt - a.lastProgressAt || a.order - b.order);
    for (const candidate of waiting) {
      if (shown.size < this.#maxBars) {
        shown.add(candidate);
        continue;
      }
      const victim = this.#victim(shown, candidate, now);
      if (victim === undefined) break;
      shown.delete(victim);
      shown.add(candidate);
    }
    // Free rows go to the most recently finished names.
    if (shown.size < this.#maxBars) {
      const finished = all.filter((s) => !shown.has(s) && s.finishedAt !== null).sort((a, b) => b.finishedAt! - a.finishedAt! || a.order - b.order);
      for (const state of finished.slice(0, this.#maxBars - shown.size)) shown.add(state);
    }
    this.#shown = [...shown];
  }

  /** The row `candidate` may take: the longest-finished name's, else the stalest unfinished one's if it is stale and `candidate` moved since. */
  #victim(shown: Set<NameState>, candidate: NameState, now: number): NameState | undefined {
    let finished: NameState | undefined;
    let stale: NameState | undefined;
    for (const state of shown) {
      if (state.finishedAt !== null) {
        if (finished === undefined || state.finishedAt < finished.finishedAt!) finished = state;
      } else if (now - state.lastProgressAt >= this.#staleMs && state.lastProgressAt < candidate.lastProgressAt) {
        if (stale === undefined || state.lastProgressAt < stale.lastProgressAt) stale = state;
      }
    }
    return finished ?? stale;
  }

  #sum(of: (state: NameState) => number): number {
    let sum = 0;
    for (const state of this.#names.values()) sum += of(state);
    return sum;
  }
}

function row(state: NameState, now: number): ProgressRow {
  const finished = state.finishedAt !== null;
  return {
    label: state.name,
    submitted: state.submitted,
    done: state.done,
    failed: state.failed,
    elapsedMs: Math.max(0, (state.finishedAt ?? now) - state.firstSeenAt),
    etaMs: finished ? null : eta(state.rateFrom, state.done + state.failed, state.submitted, now),
    finished,
  };
}

/** Remaining tasks at the rate seen since `from`; null before there is a rate. */
function eta(from: { at: number; ended: number } | null, ended: number, submitted: number, now: number): number | null {
  if (from === null || ended <= from.ended || now <= from.at) return null;
  const msPerTask = (now - from.at) / (ended - from.ended);
  return Math.max(0, Math.round((submitted - ended) * msPerTask));
}
