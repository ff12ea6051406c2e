/**
 * Arrow kernels for a sort's three stages, run on the blocks' IPC bytes in JS
 * instead of through the engine: sample the key, split the rows into key
 * ranges, sort one range. DuckDB-WASM imports Arrow at ~50 MB/s and exports it
 * at ~60 MB/s (a 10M-row sort paid both twice: 40 of its 50 s); these read the
 * IPC in place, order rows with an LSD radix sort on the key's bits, and gather
 * every column straight into the output stream's body (one copy).
 *
 * What they take: flat columns (integers, floats, dates, times, timestamps,
 * fixed-size binary, booleans, UTF-8 and binary with 32-bit offsets), with or
 * without nulls, in uncompressed IPC streams, and a key column of integers or
 * floats. Anything else (dictionaries, nested or large types, compression, a
 * schema that differs between blocks) returns null and the stage runs its SQL.
 * Order matches the engine's: NaN after every number, nulls first or last as
 * asked; ties in no particular order.
 *
 * Self-contained: the stage task ships as source text (stageFunction.ts), so
 * nothing here refers to anything outside `arrowKernels`; it is given the IPC
 * reader and writer (arrowIpc.ts) as `ipc`.
 */
import type { ArrowIpc, IpcCol, IpcRows } from './arrowIpc.ts';

export interface SortKeyOptions {
  /** The key column's name. */
  readonly key: string;
  readonly ascending: boolean;
  readonly nullsFirst: boolean;
}

/** What a stage task asks of the kernels (TaskSpec.arrow; made by compileStage). */
export interface ArrowStageOp extends SortKeyOptions {
  readonly op: 'sample' | 'split' | 'sort' | 'head';
  /** head: the first `n` rows, in the blocks' order (no key). */
  readonly n?: number;
  /** split: the range bounds. */
  readonly bounds?: readonly number[];
  /** sample: how many keys; `only`: no block, just the sample (the next stage reads the rows where they lie). */
  readonly size?: number;
  readonly only?: boolean;
  /**
   * sort: the ordered rows as this many streams of (nearly) equal row counts, in order (default 1): about the
   * size of the task's input blocks, so that a later task's outputs can take their recycled memory
   * (ctx.recycle; compileStage.ts `sortChunks`).
   */
  readonly chunks?: number;
}

export interface ArrowKernels {
  /** The IPC reader and writer the kernels run on (arrowIpc.ts). */
  readonly ipc: ArrowIpc;
  /**
   * A stage task's whole work, as dataframeStage returns it (`[...blocks, stats]`, or the stats alone for a
   * sample with no block), or null when the kernels cannot take these blocks. `concat` joins IPC streams
   * (a sample passes its rows on as they came); `started` is the task's start, for its stats.
   */
  stage(op: ArrowStageOp, blocks: readonly Uint8Array[], concat: (streams: Uint8Array[]) => Uint8Array | null, started: number): unknown;
  /** Up to `size` keys (non-null, as numbers) picked at random from the blocks' rows, and the row count; null if unsupported. */
  sample(blocks: readonly Uint8Array[], key: string, size: number): { rows: number; sample: number[] } | null;
  /** The rows cut into `bounds.length + 1` key ranges, in the sort's order (the engine's `rangeExpr`); null if unsupported. */
  split(blocks: readonly Uint8Array[], options: SortKeyOptions & { readonly bounds: readonly number[] }): { blocks: Uint8Array[]; rows: number[] } | null;
  /** The rows ordered by the key, as `chunks` streams (default 1) of nearly equal row counts; null if unsupported. */
  sort(blocks: readonly Uint8Array[], options: SortKeyOptions & { readonly chunks?: number }): { blocks: Uint8Array[]; rows: number[] } | null;
}


export function arrowKernels(ipc: ArrowIpc): ArrowKernels {
  type Rows = IpcRows;
  /** Where the current stage's time goes: reading the blocks, ordering or cutting the rows, writing the output. */
  let phases = { load: 0, run: 0, export: 0 };
  const timed = <T>(phase: 'load' | 'export', work: () => T): T => {
    const t = performance.now();
    try {
      return work();
    } finally {
      phases[phase] += performance.now() - t;
    }
  };
  const read = (blocks: readonly Uint8Array[], options?: { maxRows?: number }): Rows | null => timed('load', () => ipc.read(blocks, options));
  const write = (rows: Rows, sizes: readonly number[], partOf: Uint32Array | null, slotOf: Uint32Array): Uint8Array[] => timed('export', () => ipc.write(rows, sizes, partOf, slotOf));
  /** A key column made contiguous. */
  const keyOf = (rows: Rows, c: number): IpcCol => timed('load', () => ipc.column(rows, c));
  /**
   * Row-sized index arrays, kept on the Web Worker's global between tasks (the kernels are made anew for
   * each task): every page of a big new ArrayBuffer costs a page fault (12 µs a page on a VM without huge
   * pages; README.md), so these are reused. One array per name, used by one stage at a time (a stage runs
   * synchronously); what they hold is stale, so each use writes every element it later reads.
   */
  const scratchArrays: Map<string, Uint32Array> = ((globalThis as { __shoalKernelScratch?: Map<string, Uint32Array> }).__shoalKernelScratch ??= new Map());
  const scratch = (name: string, n: number): Uint32Array => {
    if (n > 16 * 2 ** 20) return new Uint32Array(n); // over 64 MB: not kept
    let array = scratchArrays.get(name);
    if (!array || array.length < n) scratchArrays.set(name, (array = new Uint32Array(Math.max(n, Math.ceil((array?.length ?? 0) * 1.25)))));
    return array.subarray(0, n);
  };
  /** Where each row goes when `order` lists every row in its new order. */
  const slotsOf = (order: Uint32Array): Uint32Array => {
    const slots = scratch('slots', order.length);
    for (let i = 0; i < order.length; i++) slots[order[i]!] = i;
    return slots;
  };

  // --- Keys ---
  const keyField = (rows: Rows, key: string): number => {
    const c = rows.fields.findIndex((f) => f.name === key);
    return c >= 0 && rows.fields[c]!.num && [1, 2, 4, 8].includes(rows.fields[c]!.width) ? c : -1;
  };
  /** Row `r`'s key as a number (int64 beyond 2^53 rounds, which keeps order). */
  const numberAt = (rows: Rows, c: number, key: IpcCol): ((r: number) => number) => {
    const { width, num } = rows.fields[c]!;
    const d = key.data;
    const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    if (num!.float) return width === 8 ? (r) => v.getFloat64(8 * r, true) : (r) => v.getFloat32(4 * r, true);
    if (width === 8) return num!.signed ? (r) => v.getInt32(8 * r + 4, true) * 4294967296 + v.getUint32(8 * r, true) : (r) => v.getUint32(8 * r + 4, true) * 4294967296 + v.getUint32(8 * r, true);
    if (width === 4) return num!.signed ? (r) => v.getInt32(4 * r, true) : (r) => v.getUint32(4 * r, true);
    if (width === 2) return num!.signed ? (r) => v.getInt16(2 * r, true) : (r) => v.getUint16(2 * r, true);
    return num!.signed ? (r) => v.getInt8(r) : (r) => v.getUint8(r);
  };
  /** Rows by whether their key is null (in row order). */
  const byNull = (rows: Rows, key: IpcCol): { keyed: Uint32Array; nulls: Uint32Array } => {
    const valid = key.valid;
    const all = scratch('all', rows.count);
    for (let i = 0; i < rows.count; i++) all[i] = i;
    if (!valid) return { keyed: all, nulls: new Uint32Array(0) };
    const keyed: number[] = [];
    const nulls: number[] = [];
    for (let i = 0; i < rows.count; i++) (valid[i] ? keyed : nulls).push(i);
    return { keyed: Uint32Array.from(keyed), nulls: Uint32Array.from(nulls) };
  };
  /**
   * `keyed` ordered by the key's value ascending: an LSD radix sort on the key made into an unsigned integer
   * with the same order (floats: sign flipped, negatives' bits inverted, every NaN one NaN above +Infinity),
   * in digits of at most 11 bits (2,048 buckets: each pass writes to few enough places at once to stay in
   * cache; 16-bit digits wrote to 65,536). The key's words move with the row numbers, so every pass reads
   * its input in order; all digits' counts come from one pass first, and a digit that is the same for every
   * row (the high bits of a range's keys) is skipped.
   */
  const radixOrder = (rows: Rows, c: number, key: IpcCol, keyed: Uint32Array): Uint32Array => {
    const { width, num } = rows.fields[c]!;
    const d = key.data;
    const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    const m = keyed.length;
    const wide = width === 8;
    let lo = scratch('lo', m);
    let hi = wide ? scratch('hi', m) : null;
    let order = scratch('order', m);
    for (let j = 0; j < m; j++) {
      const r = keyed[j]!;
      order[j] = r;
      if (wide) {
        let h = v.getUint32(8 * r + 4, true);
        let l = v.getUint32(8 * r, true);
        if (num!.float) {
          if ((h & 0x7ff00000) === 0x7ff00000 && ((h & 0xfffff) | l) !== 0) {
            h = 0x7ff80000;
            l = 0;
          }
          if (h >>> 31) {
            h = ~h >>> 0;
            l = ~l >>> 0;
          } else h = (h | 0x80000000) >>> 0;
        } else if (num!.signed) h = (h ^ 0x80000000) >>> 0;
        hi![j] = h;
        lo[j] = l;
      } else if (num!.float) {
        let x = v.getUint32(4 * r, true);
        if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) x = 0x7fc00000;
        lo[j] = x >>> 31 ? ~x >>> 0 : (x | 0x80000000) >>> 0;
      } else {
        const x = width === 4 ? v.getUint32(4 * r, true) : width === 2 ? v.getUint16(2 * r, true) : v.getUint8(r);
        const sign = 2 ** (8 * width - 1);
        lo[j] = num!.signed ? (x ^ sign) >>> 0 : x;
      }
    }
    // Digits: bits 0-10, 11-21 and 22-31 of the low word, then of the high word.
    const SHIFTS = [0, 11, 22];
    const digits = wide ? 6 : 3;
    const counts = new Uint32Array(digits * 2048);
    for (let j = 0; j < m; j++) {
      const l = lo[j]!;
      counts[l & 2047]!++;
      counts[2048 + ((l >>> 11) & 2047)]!++;
      counts[4096 + (l >>> 22)]!++;
    }
    if (hi) {
      for (let j = 0; j < m; j++) {
        const h = hi[j]!;
        counts[6144 + (h & 2047)]!++;
        counts[8192 + ((h >>> 11) & 2047)]!++;
        counts[10240 + (h >>> 22)]!++;
      }
    }
    // The second buffers borrow arrays the caller only fills after the sort (each kept array is live memory
    // that the Web Worker's memory guard counts between tasks).
    let lo2 = scratch('part', m);
    let hi2 = hi ? scratch('slots', m) : null;
    let order2 = scratch('spare', m);
    for (let digit = 0; digit < digits; digit++) {
      const base = digit * 2048;
      let used = 0;
      for (let k = 0; k < 2048; k++) if (counts[base + k]! > 0) used++;
      if (used <= 1) continue;
      let sum = 0;
      for (let k = 0; k < 2048; k++) {
        const x = counts[base + k]!;
        counts[base + k] = sum;
        sum += x;
      }
      const shift = SHIFTS[digit % 3]!;
      if (digit < 3) {
        // Low word's digits: the high word (if any) moves along for its passes to come.
        for (let j = 0; j < m; j++) {
          const l = lo[j]!;
          const p = base + ((l >>> shift) & 2047);
          const at = counts[p]!;
          counts[p] = at + 1;
          order2[at] = order[j]!;
          lo2[at] = l;
          if (hi) hi2![at] = hi[j]!;
        }
        [lo, lo2] = [lo2, lo];
        if (hi) [hi, hi2] = [hi2!, hi];
      } else {
        for (let j = 0; j < m; j++) {
          const h = hi![j]!;
          const p = base + ((h >>> shift) & 2047);
          const at = counts[p]!;
          counts[p] = at + 1;
          order2[at] = order[j]!;
          hi2![at] = h;
        }
        [hi, hi2] = [hi2!, hi];
      }
      [order, order2] = [order2, order];
    }
    return order;
  };

  const kernels: ArrowKernels = {
    ipc,
    stage(op, blocks, concat, started) {
      phases = { load: 0, run: 0, export: 0 };
      const t = performance.now();
      const stats = (rows: number[], bytes: number[], extra: object = {}) => {
        const ms = performance.now() - started;
        phases.run = performance.now() - t - phases.load - phases.export;
        return { rows, bytes, ms, phases, arrow: true, ...extra };
      };
      if (op.op === 'sample') {
        const picked = kernels.sample(blocks, op.key, op.size ?? 256);
        if (!picked) return null;
        if (op.only) return stats([picked.rows], [0], { sample: picked.sample });
        const block = concat([...blocks]);
        return block ? [block, stats([picked.rows], [block.byteLength], { sample: picked.sample })] : null;
      }
      if (op.op === 'head') {
        const rows = read(blocks, { maxRows: op.n ?? 0 });
        if (!rows) return null;
        const m = Math.min(op.n ?? 0, rows.count);
        const slots = scratch('slots', rows.count).fill(0xffffffff);
        for (let i = 0; i < m; i++) slots[i] = i;
        const [block] = write(rows, [m], null, slots);
        return [block, stats([m], [block.byteLength])];
      }
      if (op.op === 'split') {
        const parts = kernels.split(blocks, { ...op, bounds: op.bounds ?? [] });
        return parts ? [...parts.blocks, stats(parts.rows, parts.blocks.map((b) => b.byteLength))] : null;
      }
      const sorted = kernels.sort(blocks, op);
      return sorted ? [...sorted.blocks, stats(sorted.rows, sorted.blocks.map((b) => b.byteLength))] : null;
    },
    sample(blocks, name, size) {
      const rows = read(blocks);
      const c = rows ? keyField(rows, name) : -1;
      if (!rows || c < 0) return null;
      const key = keyOf(rows, c);
      const { keyed } = byNull(rows, key);
      const at = numberAt(rows, c, key);
      const picked: number[] = [];
      for (let i = 0; i < keyed.length && picked.length < size; i++) {
        // A partial Fisher-Yates shuffle: the first `size` rows of a uniformly random order.
        const j = i + Math.floor(Math.random() * (keyed.length - i));
        [keyed[i], keyed[j]] = [keyed[j]!, keyed[i]!];
        picked.push(at(keyed[i]!));
      }
      return { rows: rows.count, sample: picked };
    },
    split(blocks, o) {
      const rows = read(blocks);
      const c = rows ? keyField(rows, o.key) : -1;
      if (!rows || c < 0) return null;
      const parts = o.bounds.length + 1;
      const bounds = Float64Array.from(o.bounds);
      const key = keyOf(rows, c);
      const at = numberAt(rows, c, key);
      const valid = key.valid;
      // Each row's part, and its place there (parts keep the rows' order).
      const part = scratch('part', rows.count);
      const slots = scratch('slots', rows.count);
      const sizes = new Array<number>(parts).fill(0);
      for (let r = 0; r < rows.count; r++) {
        let p: number;
        if (valid && !valid[r]) p = o.nullsFirst ? 0 : parts - 1;
        else {
          // How many bounds are <= the key (NaN: all of them): the engine's CASE WHEN key < bound.
          const x = at(r);
          let a = 0;
          let b = bounds.length;
          while (a < b) {
            const mid = (a + b) >> 1;
            if (x < bounds[mid]!) b = mid;
            else a = mid + 1;
          }
          // A key equal to repeated bounds (a hot key) may go to any part from the first of them to the one after
          // the last (its rows sort last in the first, alone in those between, first in the last): spread by row.
          if (a > 1 && bounds[a - 1] === x && bounds[a - 2] === x) {
            let lo = a - 1;
            while (lo > 0 && bounds[lo - 1] === x) lo--;
            a = lo + (r % (a - lo + 1));
          }
          p = o.ascending ? a : parts - 1 - a;
        }
        part[r] = p;
        slots[r] = sizes[p]!++;
      }
      return { blocks: write(rows, sizes, part, slots), rows: sizes };
    },
    sort(blocks, o) {
      const rows = read(blocks);
      const c = rows ? keyField(rows, o.key) : -1;
      if (!rows || c < 0) return null;
      const key = keyOf(rows, c);
      const { keyed, nulls } = byNull(rows, key);
      const order = radixOrder(rows, c, key, keyed);
      if (!o.ascending) order.reverse();
      const ix = scratch('ix', rows.count);
      ix.set(o.nullsFirst ? nulls : order, 0);
      ix.set(o.nullsFirst ? order : nulls, o.nullsFirst ? nulls.length : order.length);
      const m = rows.count;
      const k = Math.max(1, Math.min(o.chunks ?? 1, m || 1));
      if (k === 1) return { blocks: write(rows, [m], null, slotsOf(ix)), rows: [m] };
      // Chunk p holds sorted positions floor(p·m/k) .. floor((p+1)·m/k) - 1.
      const sizes = Array.from({ length: k }, (_, p) => Math.floor(((p + 1) * m) / k) - Math.floor((p * m) / k));
      const part = scratch('part', m);
      const slots = scratch('slots', m);
      for (let p = 0, s = 0; p < k; p++) {
        for (let j = 0; j < sizes[p]!; j++, s++) {
          const r = ix[s]!;
          part[r] = p;
          slots[r] = j;
        }
      }
      return { blocks: write(rows, sizes, part, slots), rows: sizes };
    },
  };
  return kernels;
}
