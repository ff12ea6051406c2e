/**
 * A final aggregate whose groups turn out to be one partial row each, passed through in JS instead of
 * through the engine.
 *
 * A group-by whose keys are nearly all distinct (db-benchmark's q10: six keys, 10M rows, 10M groups) has
 * nothing to combine: the map side sends its rows as they are (stageTask.ts, row by row), and the final
 * stage's engine would import every row, group them into groups of one, and export them again, at
 * DuckDB-WASM's ~50-100 MB/s each way. But the final aggregate of a group of one partial row is that row:
 * sum, min, max and first of one value are the value, and count's `coalesce(sum(c), 0)` is `c` (a partial
 * count is never null). So when a stage's final aggregate, and the projection over it, only rename the
 * partial rows' columns (`distinctFinalOp`, at compile time), its task checks in JS that no two of its rows
 * share their keys (a hash table over the key columns' bytes, `distinctFinal`): if none do, its output is its
 * input blocks' record batches as they are, under the output's column names (one copy, into ctx.outputBytes);
 * if two do, or the blocks are not plain flat Arrow, the task runs its SQL as before (the check's time lost).
 *
 * Keys are equal as GROUP BY's are: the same bytes, and nulls equal to nulls. Two rows with different keys
 * may share a hash; they are told apart by their bytes.
 */
import type { ArrowIpc, IpcRows } from './arrowIpc.ts';
import type { Expr } from './expr.ts';
import type { Plan } from './plan.ts';
import type { Stage } from './stages.ts';
import { typeOf } from './types.ts';

/** What a final-aggregate task may do in JS (TaskSpec.distinct; made by distinctFinalOp). */
export interface DistinctFinalOp {
  /** The input columns that are the group's keys. */
  readonly keys: readonly number[];
  /** The output's column names, one per input column, in the input's order. */
  readonly names: readonly string[];
  /** Input columns that must hold no nulls for a row to be its own group's value (count's partials). */
  readonly nonNull: readonly number[];
}

/**
 * The pass-through for a stage whose plan is a final aggregate (a projection over it may rename and keep its
 * columns in order) over one shuffle read of a partial aggregate's stage, when every output column is one
 * input column, in the input's order and with its type; else null.
 */
export function distinctFinalOp(stage: Stage, stages: readonly Stage[]): DistinctFinalOp | null {
  if (stage.kind !== 'sql' || stage.output.kind !== 'single' || stage.reads.length !== 1) return null;
  const read = stage.reads[0]!;
  if (read.mode !== 'shuffle' || !stages[read.stage]?.partialAgg) return null;
  let plan: Plan = stage.plan;
  const project = plan.kind === 'project' ? plan : null;
  if (project) plan = project.input;
  if (plan.kind !== 'aggregate') return null;
  const source = plan.input;
  if (source.kind !== 'source' || source.source.kind !== 'stage' || source.filters.length > 0 || source.columns !== null) return null;
  const input = source.schema;
  const at = (e: Expr): number => (e.kind === 'col' ? input.findIndex((f) => f.name === e.name) : -1);
  const nonNull: number[] = [];
  /** The input column an aggregate item is, for a group of one partial row (-1: none). */
  const one = (e: Expr): number => {
    if (e.kind === 'agg' && !e.distinct && e.arg && ['sum', 'min', 'max', 'first'].includes(e.fn)) {
      const c = at(e.arg);
      return c >= 0 && typeOf(e, input) === input[c]!.type ? c : -1;
    }
    // count: coalesce(sum(c), 0) over a partial count, never null (checked in the task).
    if (e.kind === 'call' && e.fn === 'coalesce' && e.args.length === 2 && e.args[1]!.kind === 'lit' && e.args[1]!.value === 0 && e.args[0]!.kind === 'agg' && e.args[0]!.fn === 'sum') {
      const c = at(e.args[0]!.arg ?? { kind: 'star' });
      if (c >= 0 && input[c]!.type === 'bigint') {
        nonNull.push(c);
        return c;
      }
    }
    return -1;
  };
  const keys = plan.groupBy.map(at);
  if (keys.length === 0 || keys.some((c) => c < 0)) return null;
  const aggregated: { name: string; col: number }[] = [...plan.groupBy.map((g, i) => ({ name: (g as { name: string }).name, col: keys[i]! }))];
  for (const a of plan.aggs) {
    if (a.kind !== 'alias') return null;
    aggregated.push({ name: a.name, col: one(a.arg) });
  }
  let out = aggregated;
  if (project) {
    out = [];
    for (const e of project.exprs) {
      const ref = e.kind === 'alias' ? e.arg : e;
      const name = e.kind === 'alias' ? e.name : e.kind === 'col' ? e.name : null;
      const from = ref.kind === 'col' ? aggregated.find((x) => x.name === ref.name) : undefined;
      if (name === null || !from) return null;
      out.push({ name, col: from.col });
    }
  }
  // Every input column once, in its order: the record batches then pass as they are.
  if (out.length !== input.length || out.some((o, i) => o.col !== i)) return null;
  if (stage.schema.length !== out.length || stage.schema.some((f, i) => f.name !== out[i]!.name || f.type !== input[i]!.type)) return null;
  return { keys, names: out.map((o) => o.name), nonNull };
}

/** What a task runs: the blocks as one stream under the output's names, or null (a key repeats, or the blocks are not plain flat Arrow). */
export type DistinctFinal = (op: DistinctFinalOp, blocks: readonly Uint8Array[]) => { block: Uint8Array; rows: number } | null;

/**
 * The task side (self-contained: it ships as source text in the stage function, stageFunction.ts). `ipc`
 * reads the blocks in place; `arrow` (the task's apache-arrow) writes the renamed schema; `alloc` makes
 * the output (ctx.outputBytes).
 */
export function distinctFinal(ipc: ArrowIpc, arrow: any, alloc?: (byteLength: number) => Uint8Array): DistinctFinal {
  return (op, blocks) => {
    const rows: IpcRows | null = ipc.read(blocks);
    if (!rows || rows.fields.length !== op.names.length) return null;
    const { fields, batches, count } = rows;
    const keys = op.keys.map((c) => {
      let first = 0;
      for (let k = 0; k < c; k++) first += fields[k]!.layout === 'var' ? 3 : 2;
      return { c, first, layout: fields[c]!.layout, width: fields[c]!.width };
    });
    if (batches.some((b) => op.nonNull.some((c) => b.nulls[c]! > 0))) return null;

    // Each row's hash over its keys' bytes (nulls hash as a marker of their own).
    const scratch = ((globalThis as { __shoalDistinctScratch?: { slots: Int32Array; rowHash: Uint32Array } }).__shoalDistinctScratch ??= { slots: new Int32Array(0), rowHash: new Uint32Array(0) });
    let size = 1024;
    while (size < 2 * count) size *= 2;
    // Kept on the Web Worker's global between tasks: every page of a new ArrayBuffer costs a page fault (README.md).
    if (scratch.slots.length < size) scratch.slots = new Int32Array(size);
    const slots = scratch.slots;
    slots.fill(0, 0, size);
    const mask = size - 1;
    const bit = (bits: Uint8Array, i: number): number => (bits[i >> 3]! >> (i & 7)) & 1;
    /** Per batch, per key: its validity (null: no nulls), offsets (var), values (bool: a bitmap) and width. */
    type KeyView = { valid: Uint8Array | null; offsets: Int32Array | null; data: Uint8Array; width: number; bool: boolean };
    const views: KeyView[][] = batches.map((b) =>
      keys.map((k) => ({
        valid: b.nulls[k.c]! > 0 ? b.bufs[k.first]! : null,
        offsets: k.layout === 'var' ? new Int32Array(b.bufs[k.first + 1]!.buffer, b.bufs[k.first + 1]!.byteOffset, b.bufs[k.first + 1]!.byteLength >> 2) : null,
        data: k.layout === 'var' ? b.bufs[k.first + 2]! : b.bufs[k.first + 1]!,
        width: k.width,
        bool: k.layout === 'bool',
      })),
    );
    /** Whether row i1 of batch v1 and row i2 of batch v2 hold the same keys. */
    const sameKeys = (v1: KeyView[], i1: number, v2: KeyView[], i2: number): boolean => {
      for (let k = 0; k < v1.length; k++) {
        const a = v1[k]!;
        const b = v2[k]!;
        const n1 = a.valid !== null && !bit(a.valid, i1);
        const n2 = b.valid !== null && !bit(b.valid, i2);
        if (n1 || n2) {
          if (n1 !== n2) return false;
          continue;
        }
        if (a.bool) {
          if (bit(a.data, i1) !== bit(b.data, i2)) return false;
          continue;
        }
        const f1 = a.offsets ? a.offsets[i1]! : i1 * a.width;
        const t1 = a.offsets ? a.offsets[i1 + 1]! : f1 + a.width;
        const f2 = b.offsets ? b.offsets[i2]! : i2 * b.width;
        const t2 = b.offsets ? b.offsets[i2 + 1]! : f2 + b.width;
        if (t1 - f1 !== t2 - f2) return false;
        for (let j = 0; j < t1 - f1; j++) if (a.data[f1 + j] !== b.data[f2 + j]) return false;
      }
      return true;
    };
    const batchOf = (row: number): number => {
      let lo = 0;
      let hi = batches.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (batches[mid]!.first <= row) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    };
    // Each row's hash, a key column at a time (tight loops, one per layout): FNV-1a over the key's bytes
    // (a string's length first), a null as a marker of its own.
    const rowHash = scratch.rowHash.length >= count ? scratch.rowHash : (scratch.rowHash = new Uint32Array(count));
    rowHash.fill(0x811c9dc5, 0, count);
    for (let k = 0; k < keys.length; k++) {
      for (let bi = 0; bi < batches.length; bi++) {
        const kv = views[bi]![k]!;
        const base = batches[bi]!.first;
        const n = batches[bi]!.length;
        const data = kv.data;
        if (kv.offsets) {
          const offsets = kv.offsets;
          for (let i = 0; i < n; i++) {
            const from = offsets[i]!;
            const to = offsets[i + 1]!;
            let h = Math.imul(rowHash[base + i]! ^ (to - from), 0x01000193);
            for (let j = from; j < to; j++) h = Math.imul(h ^ data[j]!, 0x01000193);
            rowHash[base + i] = h;
          }
        } else if (kv.bool) {
          for (let i = 0; i < n; i++) rowHash[base + i] = Math.imul(rowHash[base + i]! ^ (bit(data, i) + 1), 0x01000193);
        } else {
          const w = kv.width;
          if (w % 4 === 0 && data.byteOffset % 4 === 0) {
            // 32-bit words at a time (integers, floats, dates: a buffer of them is 4-aligned, arrowIpc.ts).
            const words = new Int32Array(data.buffer, data.byteOffset, (n * w) >> 2);
            const ww = w >> 2;
            for (let i = 0; i < n; i++) {
              let h = rowHash[base + i]!;
              for (let j = i * ww, to = j + ww; j < to; j++) h = Math.imul(h ^ words[j]!, 0x01000193);
              rowHash[base + i] = h;
            }
          } else
            for (let i = 0; i < n; i++) {
              let h = rowHash[base + i]!;
              for (let j = i * w, to = j + w; j < to; j++) h = Math.imul(h ^ data[j]!, 0x01000193);
              rowHash[base + i] = h;
            }
        }
        if (kv.valid) {
          const valid = kv.valid;
          for (let i = 0; i < n; i++) if (!bit(valid, i)) rowHash[base + i] = Math.imul(rowHash[base + i]! ^ 0x9e3779b9, 0x01000193);
        }
      }
    }
    // Then every row into an open-addressing table of row numbers; an equal hash is checked on the keys' bytes.
    for (let bi = 0; bi < batches.length; bi++) {
      const b = batches[bi]!;
      const v = views[bi]!;
      for (let i = 0; i < b.length; i++) {
        const h = rowHash[b.first + i]!;
        let s = (h ^ (h >>> 15)) & mask;
        for (;;) {
          const held = slots[s]!;
          if (held === 0) {
            slots[s] = b.first + i + 1;
            break;
          }
          if (rowHash[held - 1] === h) {
            const ob = batchOf(held - 1);
            if (sameKeys(views[ob]!, held - 1 - batches[ob]!.first, v, i)) return null;
          }
          s = (s + 1) & mask;
        }
      }
    }

    // Every group is one row: the output is the batches as they are, under a schema with the output's names.
    const given = new arrow.MessageReader(blocks.find((x) => x.byteLength > 0)).readSchema();
    if (!given || given.fields.length !== op.names.length) return null;
    const renamed = new arrow.Schema(given.fields.map((f: any, i: number) => new arrow.Field(op.names[i], f.type, f.nullable, f.metadata)), given.metadata);
    const written = arrow.tableToIPC(new arrow.Table(renamed), 'stream') as Uint8Array;
    const schemaEnd = 8 + new DataView(written.buffer, written.byteOffset, written.byteLength).getInt32(4, true);
    const parts: Uint8Array[] = [written.subarray(0, schemaEnd)];
    for (const stream of blocks) {
      for (const { pos, end, type, marked } of ipc.messages(stream)) {
        // Batches pass as they are (the pre-1.0 framing, without the continuation marker, is left to the engine).
        if (type === 3 && marked) parts.push(stream.subarray(pos, end));
        else if (type !== 1) return null;
      }
    }
    const total = parts.reduce((n, p) => n + p.byteLength, 8);
    const out = alloc ? alloc(total) : new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    out.set([255, 255, 255, 255, 0, 0, 0, 0], at);
    return { block: out, rows: count };
  };
}
