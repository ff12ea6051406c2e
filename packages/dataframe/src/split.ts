/**
 * Split on retry: a stage task that ran out of memory (the runtime's memory guard, ERR_TASK_MEMORY, or
 * DuckDB's memory_limit, "Out of Memory Error") is not the action's end. Its partition is cut into pieces
 * that each hold a share of its rows, and the pieces run instead (executor.ts); a piece that runs out of
 * memory again is cut again, up to MAX_SPLIT pieces of the partition. Pure: the failed task, its stage and
 * the finished stages in; the pieces' tasks, or why the partition cannot be cut, out.
 *
 * How a partition is cut depends on what the stage reads:
 * - a hash exchange (a final aggregate, a shuffled join's two sides, distinct, a keyed window, a keyed
 *   repartition's reader): by a second hash of the exchange's keys, `hash(hash(keys)) % m = r`, the same on
 *   both sides of a join, so rows with equal keys stay in one piece and each piece's output is a share of
 *   the partition's;
 * - a sort's range exchange: by sub-ranges of the sort key, cut at the upstream sample's keys that fall in
 *   the partition's range, pieces in the sort's order (a hot key is never cut);
 * - rows as they are (stored blocks scanned, a pointwise or round-robin read, a union's input): by runs of
 *   rows, in order;
 * - a file's part: a Parquet part by its row groups or rows, a CSV part by its byte range.
 * Each piece's task loads only its rows into the engine, a chunk at a time (stageTask.ts, `spec.piece`).
 * A mapPartitions stage (user code over the whole partition), a write (one file per partition), a stage
 * whose one task reads its whole input (a gather: a keyless final aggregate, a global limit or window),
 * and a JSON file or `range()` part are not cut: they fail with ERR_TASK_MEMORY naming stage and partition.
 */
import type { Literal, SortKey } from './expr.ts';
import { exprSql, literalSql } from './sqlgen.ts';
import type { PieceTable, TaskSpec } from './stageTask.ts';
import type { Stage } from './stages.ts';
import { exchangeParts, keysHash, rangeBounds, type CompileContext, type CompiledTask, type StageResult } from './tasks.ts';

/** Pieces made of a piece each time it runs out of memory. */
export const SPLIT_FACTOR = 2;
/** At most this many pieces of one partition. */
export const MAX_SPLIT = 64;
/** Arrow bytes a piece loads into the engine at a time. */
export const PIECE_CHUNK_BYTES = 8 * 1024 * 1024;

/** How a piece was cut from its partition (kept on the piece's CompiledTask for the next cut). */
export type SplitState =
  /** Rows whose keys' second hash is `r` modulo `m`. */
  | { readonly kind: 'hash'; readonly m: number; readonly r: number }
  /** The r-th of m runs of rows. */
  | { readonly kind: 'rows'; readonly m: number; readonly r: number }
  /** Sort keys in [lo, hi) (null: unbounded), and the null keys when `nulls`; `of`: pieces of the partition. */
  | { readonly kind: 'range'; readonly lo: Literal | null; readonly hi: Literal | null; readonly nulls: boolean; readonly of: number }
  /** A part of a file scan's part; `of`: pieces of the partition. */
  | { readonly kind: 'files'; readonly of: number };

export type SplitResult = { readonly tasks: readonly CompiledTask[]; readonly how: string } | { readonly reason: string };

/** Whether a task's failure is running out of memory: the runtime's cap (ERR_TASK_MEMORY), DuckDB's memory_limit, or V8's. */
export function isMemoryError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { code?: string; message?: string; remote?: { code?: string; message?: string } };
  if (e.code === 'ERR_TASK_MEMORY' || e.remote?.code === 'ERR_TASK_MEMORY') return true;
  const text = `${e.message ?? ''} ${e.remote?.message ?? ''}`;
  // DuckDB's come as "Out of Memory Error: ...", or inside another error ("TransactionContext Error: Failed to commit: could not allocate block ...").
  return /Out of Memory Error|could not allocate block of size|failed to allocate data of size|ERR_TASK_MEMORY|Array buffer allocation failed/.test(text);
}

const pieces = (task: CompiledTask): number => {
  const s = task.split;
  return !s ? 1 : s.kind === 'hash' || s.kind === 'rows' ? s.m : s.of;
};

/** The spec every piece starts from: SQL in the engine (not the kernels, not a gather), nothing kept. */
function pieceBase(spec: TaskSpec): TaskSpec {
  const { arrow: _arrow, keep: _keep, concat: _concat, piece: _piece, ...rest } = spec;
  // Stored blocks are read from their bytes (a kept table would be the whole partition's rows again).
  return { ...rest, tables: rest.tables.map(({ keys: _keys, ...t }) => t) };
}

const withTables = (task: CompiledTask, spec: TaskSpec, tables: Record<string, PieceTable>, split: SplitState): CompiledTask => ({
  ...task,
  spec: { ...spec, piece: { tables, chunkBytes: PIECE_CHUNK_BYTES } },
  split,
});

/**
 * The pieces that replace `task` (partition `part` of `stage`, or a piece of it) after it ran out of
 * memory: `factor` of them, in the partition's order, or the reason it cannot be cut.
 */
export function splitTask(stage: Stage, task: CompiledTask, ctx: CompileContext, factor = SPLIT_FACTOR): SplitResult {
  if (stage.kind !== 'sql') return { reason: 'a mapPartitions stage runs user code over the whole partition, which cannot be cut' };
  if (task.spec.out.kind === 'write') return { reason: 'a write task writes its partition as one file' };
  const now = pieces(task);
  if (now * factor > MAX_SPLIT) return { reason: `it ran out of memory even cut into ${now} pieces` };
  const base = pieceBase(task.spec);
  const reads = stage.reads.map((r, i) => ({ ...r, i, table: `s${r.stage}`, from: ctx.stages[r.stage]! }));
  const shuffles = reads.filter((r) => r.mode === 'shuffle');
  const t = task.split;

  const byRows = (tables: readonly string[], how: string): SplitResult => {
    const [m, r] = t?.kind === 'rows' ? [t.m, t.r] : [1, 0];
    const tasks = Array.from({ length: factor }, (_, k) => {
      const at: [number, number] = [m * factor, r * factor + k];
      return withTables(task, base, Object.fromEntries(tables.map((name) => [name, { rows: at }])), { kind: 'rows', m: at[0], r: at[1] });
    });
    return { tasks, how };
  };

  if (shuffles.length > 0) {
    const outs = shuffles.map((r) => r.from.output);
    if (outs.every((o) => o.kind === 'hash')) {
      const [m, r] = t?.kind === 'hash' ? [t.m, t.r] : [1, 0];
      const tasks = Array.from({ length: factor }, (_, k) => {
        const at = { m: m * factor, r: r + k * m };
        const tables = Object.fromEntries(shuffles.map((s) => [s.table, { where: `hash(${keysHash((s.from.output as { keys: readonly string[] }).keys, s.from)}) % ${at.m} = ${at.r}` }]));
        return withTables(task, base, tables, { kind: 'hash', ...at });
      });
      return { tasks, how: 'by a second hash of its keys' };
    }
    if (shuffles.length === 1 && outs[0]!.kind === 'roundRobin') return byRows([shuffles[0]!.table], 'by runs of rows');
    if (shuffles.length === 1 && outs[0]!.kind === 'range' && stage.plan.kind === 'sort') return byRange(task, ctx, factor, base, shuffles[0]!.from, shuffles[0]!.table);
    return { reason: 'its exchange reads cannot be cut by one rule' };
  }
  const rowReads = reads.filter((r) => r.mode === 'pointwise' || r.mode === 'concat');
  if (rowReads.length > 0) return byRows(rowReads.map((r) => r.table), 'by runs of rows');
  if (stage.scan?.kind === 'blocks') return byRows(['src'], 'by runs of rows');
  if (stage.scan?.kind === 'parquet' || stage.scan?.kind === 'csv') return byFile(task, factor, base);
  if (stage.scan) return { reason: `a ${stage.scan.kind} scan's partition is read whole` };
  return { reason: 'its one task reads the whole input (a gather)' };
}

/** A file scan's part cut into `factor`: a Parquet part's row groups or rows, a CSV part's byte range. */
function byFile(task: CompiledTask, factor: number, base: TaskSpec): SplitResult {
  const fetches = base.fetches ?? [];
  const at = fetches.findIndex((f) => (f.rowGroups?.length ?? 0) > 1 || (f.range && f.range.limit > 1));
  if (at < 0) return { reason: 'its file part is one row group or a whole file, which is read whole' };
  const f = fetches[at]!;
  const of = (task.split?.kind === 'files' ? task.split.of : 1) * factor;
  const cuts = (n: number): [number, number][] => {
    const k = Math.min(factor, n);
    return Array.from({ length: k }, (_, i) => [Math.floor((n * i) / k), Math.floor((n * (i + 1)) / k)]);
  };
  const tasks = (f.rowGroups && f.rowGroups.length > 1 ? cuts(f.rowGroups.length) : cuts(f.range!.limit)).map(([a, b], i) => {
    const fetch = f.rowGroups && f.rowGroups.length > 1 ? { ...f, rowGroups: f.rowGroups.slice(a, b) } : { ...f, range: { offset: f.range!.offset + a, limit: b - a } };
    // A CSV part's header line is in its first byte range only.
    const sql = f.format === 'csvRange' && i > 0 ? base.sql.replaceAll(`read_csv('${f.name}', header=true,`, `read_csv('${f.name}', header=false,`) : base.sql;
    const spec: TaskSpec = { ...base, sql, fetches: fetches.map((g, j) => (j === at ? fetch : g)) };
    return { ...task, spec, split: { kind: 'files', of } as SplitState };
  });
  return { tasks, how: f.format === 'csvRange' ? 'by byte ranges of its file part' : f.rowGroups && f.rowGroups.length > 1 ? "by its file part's row groups" : "by its file part's rows" };
}

/** The range stage's bounds, as its tasks cut by them (tasks.ts taskOutput). */
function rangeBoundsOf(range: Stage, ctx: CompileContext): { bounds: Literal[]; samples: unknown[] } {
  const o = range.output as { kind: 'range'; key: SortKey; n: number };
  const upstream = ctx.results.get((range.reads.find((r) => r.mode === 'after') ?? range.reads[0]!).stage)!;
  const samples = upstream.tasks.flatMap((t) => t.sample ?? []);
  return { bounds: rangeBounds(samples, exchangeParts(range, ctx, o.n), o.key), samples };
}

const less = (a: Literal, b: Literal): boolean => (a as number | string) < (b as number | string);

/** A sort's partition (or piece) cut at the sample's keys within its key range, pieces in the sort's order. */
function byRange(task: CompiledTask, ctx: CompileContext, factor: number, base: TaskSpec, range: Stage, table: string): SplitResult {
  const key = (range.output as { key: SortKey }).key;
  const { bounds, samples } = rangeBoundsOf(range, ctx);
  let state = task.split?.kind === 'range' ? task.split : null;
  if (!state) {
    // The range parts this task read: its input blocks' places in the range stage's outputs.
    const place = new Map<string, number>();
    for (const t of ctx.results.get(range.id)?.tasks ?? []) t.blocks.forEach((b, j) => place.set(b, j));
    const js = task.inputs.map((id) => place.get(id)).filter((j): j is number => j !== undefined);
    if (js.length === 0) return { reason: 'its rows could not be placed in the range exchange' };
    const parts = bounds.length + 1;
    const [j1, j2] = [Math.min(...js), Math.max(...js)];
    // Parts are in the sort's order; in ascending key order part j is part parts-1-j of a descending sort.
    const [a1, a2] = key.ascending ? [j1, j2] : [parts - 1 - j2, parts - 1 - j1];
    const nullPart = key.nullsFirst ? 0 : parts - 1;
    state = { kind: 'range', lo: a1 > 0 ? bounds[a1 - 1]! : null, hi: a2 < parts - 1 ? bounds[a2]! : null, nulls: j1 <= nullPart && nullPart <= j2, of: 1 };
  }
  const { lo, hi } = state;
  const inside = (samples.filter((v) => v !== null && v !== undefined && !(typeof v === 'number' && Number.isNaN(v))) as Literal[])
    .filter((v) => (lo === null || !less(v, lo)) && (hi === null || less(v, hi)))
    .sort((a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0));
  const cuts: Literal[] = [];
  for (let i = 1; i < factor; i++) {
    const v = inside[Math.floor((i * inside.length) / factor)];
    if (v !== undefined && (inside[0] === undefined || less(inside[0], v)) && (cuts.length === 0 || less(cuts[cuts.length - 1]!, v))) cuts.push(v);
  }
  if (cuts.length === 0) return { reason: 'the sample holds no second sort key within its range to cut it at (one hot key?)' };
  // Ascending key order: [lo, c1), [c1, c2), ... [ck, hi); the sort's order reverses it when descending.
  const edges = [lo, ...cuts, hi];
  const asc = Array.from({ length: cuts.length + 1 }, (_, i) => ({ lo: edges[i]!, hi: edges[i + 1]! }));
  const ordered = key.ascending ? asc : asc.reverse();
  const k = exprSql(key.expr, range.schema);
  const of = state.of * ordered.length;
  const tasks = ordered.map((r, i) => {
    const nulls = state!.nulls && (key.nullsFirst ? i === 0 : i === ordered.length - 1);
    const cond = [r.lo === null ? null : `(${k}) >= ${literalSql(r.lo)}`, r.hi === null ? null : `(${k}) < ${literalSql(r.hi)}`].filter((c) => c !== null).join(' AND ') || 'TRUE';
    const where = nulls ? `((${k}) IS NULL OR (${cond}))` : `((${k}) IS NOT NULL AND (${cond}))`;
    return withTables(task, base, { [table]: { where } }, { kind: 'range', lo: r.lo, hi: r.hi, nulls, of });
  });
  return { tasks, how: 'by sub-ranges of its sort key' };
}

/** Task results as the stage's result takes them: pieces of an exchange write are tasks of their own, any other's blocks are the partition's, in order. */
export function mergePieces(stage: Stage, outcomes: StageResult['tasks']): StageResult['tasks'] {
  const o = stage.output.kind;
  if (outcomes.length <= 1 || o === 'hash' || o === 'range' || o === 'roundRobin') return outcomes;
  const samples = outcomes.flatMap((t) => t.sample ?? []);
  return [{ blocks: outcomes.flatMap((t) => t.blocks), rows: outcomes.flatMap((t) => t.rows), bytes: outcomes.flatMap((t) => t.bytes), ...(outcomes.some((t) => t.sample) ? { sample: samples } : {}) }];
}
