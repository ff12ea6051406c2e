/**
 * Pure decisions about blocks (no I/O, table-tested): how `range` is cut,
 * how `repartition` slices its inputs, how many blocks each operator may
 * hold under the memory budget, and where `limit` cuts.
 */
import type { ReadSpec } from './blockTask.ts';

/** `range(n)` as `blocks` read tasks of nearly equal size (the first ones one row longer). */
export function rangeReads(n: number, blocks: number): ReadSpec[] {
  const count = Math.max(1, Math.min(blocks, Math.max(1, n)));
  const base = Math.floor(n / count);
  const extra = n % count;
  const reads: ReadSpec[] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = start + base + (i < extra ? 1 : 0);
    reads.push({ kind: 'range', start, end });
    start = end;
  }
  return reads;
}

/** Blocks for `range(n)`: about `targetBlockBytes` each (rows of one float64), at least `minBlocks` when there are rows enough. */
export function rangeBlockCount(n: number, targetBlockBytes: number, minBlocks: number): number {
  const bySize = Math.ceil((n * 8) / Math.max(8, targetBlockBytes));
  return Math.max(1, Math.min(Math.max(bySize, minBlocks), Math.max(1, n)));
}

export interface SliceOf {
  /** Index of the input block. */
  block: number;
  start: number;
  end: number;
}

/** `repartition(n)`: each output's slices of the inputs (by their row counts), so outputs differ by at most one row. */
export function repartitionSlices(rows: readonly number[], n: number): SliceOf[][] {
  const total = rows.reduce((a, b) => a + b, 0);
  const outputs: SliceOf[][] = [];
  let block = 0;
  let offset = 0;
  for (let i = 0; i < n; i++) {
    let want = Math.floor(total / n) + (i < total % n ? 1 : 0);
    const slices: SliceOf[] = [];
    while (want > 0 && block < rows.length) {
      const available = rows[block]! - offset;
      if (available <= 0) {
        block++;
        offset = 0;
        continue;
      }
      const take = Math.min(want, available);
      slices.push({ block, start: offset, end: offset + take });
      offset += take;
      want -= take;
    }
    outputs.push(slices);
  }
  return outputs;
}

/**
 * Blocks one operator may hold at once (running, plus finished and not yet
 * taken downstream): the budget shared by the operators, each block counted
 * twice (it lives on as the next operator's input until that task is done).
 * At least 1, at most `maxWindow`.
 */
export function operatorWindow(budgetBytes: number, blockBytes: number, operators: number, maxWindow: number): number {
  const fit = Math.floor(budgetBytes / (2 * Math.max(1, operators) * Math.max(1, blockBytes)));
  return Math.max(1, Math.min(maxWindow, fit));
}

/** `limit`: how many rows of a block of `rows` to keep when `taken` rows are already out; 0 means stop. */
export function limitCut(taken: number, rows: number, limit: number): number {
  return Math.max(0, Math.min(rows, limit - taken));
}

/** `split(n)`: block indices per part, round robin by rows (greedy: each block to the part with fewest rows). */
export function splitBlocks(rows: readonly number[], n: number): number[][] {
  const parts: number[][] = Array.from({ length: n }, () => []);
  const totals = new Array<number>(n).fill(0);
  rows.forEach((r, i) => {
    let best = 0;
    for (let p = 1; p < n; p++) if (totals[p]! < totals[best]!) best = p;
    parts[best]!.push(i);
    totals[best]! += r;
  });
  return parts;
}
