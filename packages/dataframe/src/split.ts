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
 * Every piece must get only its share of the input: a task's input blocks all come into its Web Worker (the
 * runtime's guard counts them) before it starts. So a cut by keys or rows first runs re-cut tasks over the
 * partition's input blocks (a few MiB of them each, one pass that writes `factor` blocks per task, as an
 * exchange does), and piece t then reads block t of every re-cut task; a run of whole blocks, or a file
 * part's row groups or bytes, needs none.
 * A mapPartitions stage (user code over the whole partition), a write (one file per partition), a stage
 * whose one task reads its whole input (a gather: a keyless final aggregate, a global limit or window),
 * and a JSON file or `range()` part are not cut: they fail with ERR_TASK_MEMORY naming stage and partition.
 */
import type { Literal, SortKey } from './expr.ts';
import { exprSql, literalSql, quoteIdent } from './sqlgen.ts';
import type { TaskSpec } from './stageTask.ts';
import type { Stage } from './stages.ts';
import { blockSizes, exchangeParts, keysHash, rangeBounds, type CompileContext, type CompiledTask, type StageResult } from './tasks.ts';


/** Pieces made of a piece each time it runs out of memory. */
export const SPLIT_FACTOR = 2;
/** At most this many pieces of one partition. */
export const MAX_SPLIT = 64;
/** Input bytes one re-cut task reads at most: blocks are grouped up to this, or a quarter of the failed task's input (a bigger block goes alone). */
export const RECUT_BYTES = 16 * 1024 * 1024;

/** How a piece was cut from its partition (kept on the piece's CompiledTask for the next cut); `of`: pieces of the partition. */
export type SplitState =
  /** Rows whose keys' second hash is `r` modulo `of`. */
  | { readonly kind: 'hash'; readonly of: number; readonly r: number }
  /** Sort keys in [lo, hi) (null: unbounded), and the null keys when `nulls` (only them when 'only'). */
  | { readonly kind: 'range'; readonly lo: Literal | null; readonly hi: Literal | null; readonly nulls: boolean | 'only'; readonly of: number }
  /** A run of the partition's rows, or a part of its file part. */
  | { readonly kind: 'rows' | 'files'; readonly of: number };

export interface SplitContext extends CompileContext {
  /** Bytes of a block that no stage result lists (a re-cut task's output). */
  readonly blockBytes?: (id: string) => number | undefined;
}

export type SplitResult =
  | {
      /** How the partition is cut, for the stage's notes. */
      readonly how: string;
      /** Tasks that cut input blocks into parts (each returns `numReturns - 1` blocks); none when whole blocks or file ranges suffice. */
      readonly recuts: readonly CompiledTask[];
      /** The pieces, in the partition's order, given each re-cut task's output block ids. */
      readonly pieces: (parts: readonly (readonly string[])[]) => CompiledTask[];
    }
  | { readonly reason: string };

/** Whether a task's failure is running out of memory: the runtime's cap (ERR_TASK_MEMORY), DuckDB's memory_limit, or V8's. */
export function isMemoryError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { code?: string; message?: string; remote?: { code?: string; message?: string } };
  if (e.code === 'ERR_TASK_MEMORY' || e.remote?.code === 'ERR_TASK_MEMORY') return true;
  const text = `${e.message ?? ''} ${e.remote?.message ?? ''}`;
  // DuckDB's come as "Out of Memory Error: ...", or inside another error ("TransactionContext Error: Failed to commit: could not allocate block ...").
  return /Out of Memory Error|could not allocate block of size|failed to allocate data of size|ERR_TASK_MEMORY|Array buffer allocation failed/.test(text);
}

/** One input table of a task: its place in `spec.tables` and its input block ids. */
interface TableInputs {
  readonly index: number;
  readonly name: string;
  readonly ids: readonly string[];
}

function tableInputs(task: CompiledTask): TableInputs[] {
  let at = 0;
  return task.spec.tables.map((t, index) => {
    const ids = task.inputs.slice(at, at + t.count);
    at += t.count;
    return { index, name: t.name, ids };
  });
}

/** Consecutive ids grouped up to `most` bytes each (an id over it alone), or into `n` runs of about equal bytes (equal counts when sizes are unknown). */
function groups(ids: readonly string[], bytes: (id: string) => number, most: number, n?: number): string[][] {
  const total = ids.reduce((s, id) => s + bytes(id), 0);
  const weight = (id: string): number => (total > 0 ? bytes(id) : 1);
  const target = n ? (total > 0 ? total : ids.length) / n : most;
  const out: string[][] = [];
  let group: string[] = [];
  let size = 0;
  let cum = 0;
  for (const id of ids) {
    const b = weight(id);
    const full = n ? out.length < n - 1 && cum + b / 2 > (out.length + 1) * target : size + b > most;
    if (group.length && full) {
      out.push(group);
      group = [];
      size = 0;
    }
    group.push(id);
    size += b;
    cum += b;
  }
  if (group.length) out.push(group);
  return out;
}

/**
 * The pieces that replace `task` (a partition of `stage`, or a piece of one) after it ran out of memory:
 * `factor` of them, in the partition's order, or the reason it cannot be cut.
 */
export function splitTask(stage: Stage, task: CompiledTask, ctx: SplitContext, factor = SPLIT_FACTOR): SplitResult {
  if (stage.kind !== 'sql') return { reason: 'a mapPartitions stage runs user code over the whole partition, which cannot be cut' };
  if (task.spec.out.kind === 'write') return { reason: 'a write task writes its partition as one file' };
  const now = task.split?.of ?? 1;
  if (now * factor > MAX_SPLIT) return { reason: `it ran out of memory even cut into ${now} pieces` };
  // Pieces keep nothing in their engines: the stage's result takes each partition's blocks as one task's, with no one worker to name.
  const { keep: _keep, ...base } = task.spec;
  const known = blockSizes(ctx.results.values());
  const bytes = (id: string): number => known.get(id) ?? ctx.blockBytes?.(id) ?? 0;
  const inputs = tableInputs(task);
  const table = (name: string): TableInputs => inputs.find((t) => t.name === name)!;

  /**
   * Tables cut by re-cut tasks: each group of a table's blocks goes through `SELECT *` split by its
   * `expr` (0 ≤ part < factor), and piece t reads part t of each of them.
   */
  const recut = (cuts: readonly { t: TableInputs; expr: string }[], states: readonly SplitState[], how: string): SplitResult => {
    const recuts: CompiledTask[] = [];
    const byTable = new Map<number, number[]>();
    for (const { t, expr } of cuts) {
      const spec = task.spec.tables[t.index]!;
      const at: number[] = [];
      // A re-cut task holds its blocks and their parts: a quarter of what the failed task read (at most RECUT_BYTES) fits where it did not.
      const most = Math.min(RECUT_BYTES, t.ids.reduce((n, id) => n + bytes(id), 0) / 4);
      for (const g of groups(t.ids, bytes, most)) {
        at.push(recuts.length);
        const tables = [{ ...spec, count: g.length, ...(spec.keys ? { keys: g } : {}) }];
        recuts.push({ spec: { kind: 'sql', tables, files: [], sql: `SELECT * FROM ${quoteIdent(spec.name)}`, out: { kind: 'split', expr, n: states.length } }, inputs: g, numReturns: states.length + 1 });
      }
      byTable.set(t.index, at);
    }
    const pieces = (parts: readonly (readonly string[])[]): CompiledTask[] =>
      states.map((split, k) => {
        const tables = task.spec.tables.map((tb, i) => {
          const at = byTable.get(i);
          if (!at) return tb;
          // Re-cut blocks are plain bytes with the selected columns.
          const { keys: _k, select: _s, ...rest } = tb;
          return { ...rest, count: at.length };
        });
        const ids = inputs.flatMap((ti) => byTable.get(ti.index)?.map((c) => parts[c]![k]!) ?? ti.ids);
        return { ...task, spec: { ...base, tables }, inputs: ids, split };
      });
    return { how, recuts, pieces };
  };

  /** A run of rows: whole blocks in order when there are several, else the one block re-cut into runs. */
  const byRows = (names: readonly string[]): SplitResult => {
    const t = names.map(table).filter((x) => x.ids.length > 0).sort((a, b) => b.ids.length - a.ids.length)[0];
    if (!t) return { reason: 'it reads no blocks to cut' };
    if (t.ids.length >= 2) {
      const runs = groups(t.ids, bytes, Infinity, Math.min(factor, t.ids.length));
      const of = now * runs.length;
      const spec = task.spec.tables[t.index]!;
      return {
        how: 'by runs of its blocks',
        recuts: [],
        pieces: () =>
          runs.map((run) => {
            const tables = task.spec.tables.map((tb, i) => (i === t.index ? { ...tb, count: run.length, ...(spec.keys ? { keys: run } : {}) } : tb));
            const ids = inputs.flatMap((ti) => (ti.index === t.index ? run : ti.ids));
            return { ...task, spec: { ...base, tables }, inputs: ids, split: { kind: 'rows', of } };
          }),
      };
    }
    const expr = `(row_number() OVER () - 1) * ${factor} // count(*) OVER ()`;
    return recut([{ t, expr }], Array.from({ length: factor }, () => ({ kind: 'rows', of: now * factor })), 'by runs of its rows');
  };

  const reads = stage.reads.map((r) => ({ ...r, from: ctx.stages[r.stage]!, t: table(`s${r.stage}`) })).filter((r) => r.mode !== 'after');
  const shuffles = reads.filter((r) => r.mode === 'shuffle');
  if (shuffles.length > 0) {
    const outs = shuffles.map((r) => r.from.output);
    if (outs.every((o) => o.kind === 'hash')) {
      // Piece r of `of` holds the rows whose second hash h is r modulo `of`; its part k of `factor` is then (h // of) % factor.
      const [m, r] = task.split?.kind === 'hash' ? [task.split.of, task.split.r] : [1, 0];
      const cuts = shuffles.map((s) => {
        const h = `hash(${keysHash((s.from.output as { keys: readonly string[] }).keys, s.from)})`;
        return { t: s.t, expr: m === 1 ? `${h} % ${factor}` : `(${h} // ${m}) % ${factor}` };
      });
      const states = Array.from({ length: factor }, (_, k): SplitState => ({ kind: 'hash', of: m * factor, r: r + k * m }));
      return recut(cuts, states, 'by a second hash of its keys');
    }
    if (shuffles.length === 1 && outs[0]!.kind === 'roundRobin') return byRows([shuffles[0]!.t.name]);
    // Only a sort reads a range exchange (row-wise steps may follow it in the stage: a projection).
    if (shuffles.length === 1 && outs[0]!.kind === 'range') return byRange(task, ctx, factor, shuffles[0]!.from, shuffles[0]!.t, recut);
    return { reason: 'its exchange reads cannot be cut by one rule' };
  }
  const rowReads = reads.filter((r) => r.mode === 'pointwise' || r.mode === 'concat');
  if (rowReads.length > 0) return byRows(rowReads.map((r) => r.t.name));
  if (stage.scan?.kind === 'blocks') return byRows(['src']);
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
  const groupsOf = f.rowGroups && f.rowGroups.length > 1 ? f.rowGroups : null;
  const n = groupsOf ? groupsOf.length : f.range!.limit;
  const k = Math.min(factor, n);
  const of = (task.split?.of ?? 1) * k;
  const pieces = Array.from({ length: k }, (_, i): CompiledTask => {
    const [a, b] = [Math.floor((n * i) / k), Math.floor((n * (i + 1)) / k)];
    const fetch = groupsOf ? { ...f, rowGroups: groupsOf.slice(a, b) } : { ...f, range: { offset: f.range!.offset + a, limit: b - a } };
    // A CSV part's header line is in its first byte range only.
    const sql = f.format === 'csvRange' && i > 0 ? base.sql.replaceAll(`read_csv('${f.name}', header=true,`, `read_csv('${f.name}', header=false,`) : base.sql;
    return { ...task, spec: { ...base, sql, fetches: fetches.map((g, j) => (j === at ? fetch : g)) }, split: { kind: 'files', of } };
  });
  return { how: f.format === 'csvRange' ? 'by byte ranges of its file part' : groupsOf ? "by its file part's row groups" : "by its file part's rows", recuts: [], pieces: () => pieces };
}

/** The range stage's bounds, as its tasks cut by them (tasks.ts taskOutput), and the samples they came from. */
function rangeBoundsOf(range: Stage, ctx: CompileContext): { bounds: Literal[]; samples: unknown[]; skipped: boolean } {
  const o = range.output as { kind: 'range'; key: SortKey; n: number };
  const upstream = ctx.results.get((range.reads.find((r) => r.mode === 'after') ?? range.reads[0]!).stage)!;
  const samples = upstream.tasks.flatMap((t) => t.sample ?? []);
  // A range exchange skipped for a small input (compileStage) passed its input on as it was: one range, every key.
  const skipped = ctx.results.get(range.id) === upstream;
  return { bounds: rangeBounds(samples, exchangeParts(range, ctx, o.n), o.key), samples, skipped };
}

const less = (a: Literal, b: Literal): boolean => (a as number | string) < (b as number | string);

type Recut = (cuts: readonly { t: TableInputs; expr: string }[], states: readonly SplitState[], how: string) => SplitResult;

/** A sort's partition (or piece) cut at the sample's keys within its key range, pieces in the sort's order. */
function byRange(task: CompiledTask, ctx: CompileContext, factor: number, range: Stage, t: TableInputs, recut: Recut): SplitResult {
  const key = (range.output as { key: SortKey }).key;
  const { bounds, samples, skipped } = rangeBoundsOf(range, ctx);
  let state = task.split?.kind === 'range' ? task.split : skipped ? { kind: 'range' as const, lo: null, hi: null, nulls: true, of: 1 } : null;
  if (!state) {
    // The range parts this task read: its input blocks' places in the range stage's outputs.
    const place = new Map<string, number>();
    for (const r of ctx.results.get(range.id)?.tasks ?? []) r.blocks.forEach((b, j) => place.set(b, j));
    const js = t.ids.map((id) => place.get(id)).filter((j): j is number => j !== undefined);
    if (js.length === 0) return { reason: 'its rows could not be placed in the range exchange' };
    const parts = bounds.length + 1;
    const [j1, j2] = [Math.min(...js), Math.max(...js)];
    // Parts are in the sort's order; in ascending key order part j is part parts-1-j of a descending sort.
    const [a1, a2] = key.ascending ? [j1, j2] : [parts - 1 - j2, parts - 1 - j1];
    const nullPart = key.nullsFirst ? 0 : parts - 1;
    state = { kind: 'range', lo: a1 > 0 ? bounds[a1 - 1]! : null, hi: a2 < parts - 1 ? bounds[a2]! : null, nulls: j1 <= nullPart && nullPart <= j2, of: 1 };
  }
  if (state.nulls === 'only') return { reason: 'its rows are the null sort keys, which cannot be cut' };
  const { lo, hi } = state;
  const inside = (samples.filter((v) => v !== null && v !== undefined && !(typeof v === 'number' && Number.isNaN(v))) as Literal[])
    .filter((v) => (lo === null || !less(v, lo)) && (hi === null || less(v, hi)))
    .sort((a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0));
  const cuts: Literal[] = [];
  for (let i = 1; i < factor; i++) {
    const v = inside[Math.floor((i * inside.length) / factor)];
    if (v !== undefined && less(inside[0]!, v) && (cuts.length === 0 || less(cuts[cuts.length - 1]!, v))) cuts.push(v);
  }
  const k = exprSql(key.expr, range.schema);
  let states: SplitState[];
  if (cuts.length === 0) {
    // One key in the sample: the null keys, if this part holds them, are still a piece of their own.
    if (!state.nulls || inside.length === 0) return { reason: 'the sample holds no second sort key within its range to cut it at (one hot key?)' };
    const of = state.of * 2;
    const [nulls, keys] = [{ kind: 'range', lo: null, hi: null, nulls: 'only', of } as const, { ...state, nulls: false, of }];
    states = key.nullsFirst ? [nulls, keys] : [keys, nulls];
  } else {
    // Ascending key order: [lo, c1), [c1, c2), ... [ck, hi); the sort's order reverses it when descending.
    const edges = [lo, ...cuts, hi];
    const asc = Array.from({ length: cuts.length + 1 }, (_, i) => ({ lo: edges[i]!, hi: edges[i + 1]! }));
    const ordered = key.ascending ? asc : asc.reverse();
    const of = state.of * ordered.length;
    states = ordered.map((r, i): SplitState => ({ kind: 'range', lo: r.lo, hi: r.hi, nulls: state!.nulls !== false && (key.nullsFirst ? i === 0 : i === ordered.length - 1), of }));
  }
  // Each row is in one piece's range (NaN is over every number, so in the top one), so the last needs no test.
  const where = states.map((s) => {
    const r = s as Extract<SplitState, { kind: 'range' }>;
    if (r.nulls === 'only') return `(${k}) IS NULL`;
    const cond = [r.lo === null ? null : `(${k}) >= ${literalSql(r.lo)}`, r.hi === null ? null : `(${k}) < ${literalSql(r.hi)}`].filter((c) => c !== null).join(' AND ') || 'TRUE';
    return r.nulls ? `(${k}) IS NULL OR (${cond})` : `(${k}) IS NOT NULL AND (${cond})`;
  });
  const expr = `CASE ${where.slice(0, -1).map((w, i) => `WHEN ${w} THEN ${i}`).join(' ')} ELSE ${where.length - 1} END`;
  return recut([{ t, expr }], states, 'by sub-ranges of its sort key');
}

/** Task results as the stage's result takes them: pieces of an exchange write are tasks of their own, any other's blocks are the partition's, in order. */
export function mergePieces(stage: Stage, outcomes: StageResult['tasks']): StageResult['tasks'] {
  const o = stage.output.kind;
  if (outcomes.length <= 1 || o === 'hash' || o === 'range' || o === 'roundRobin') return outcomes;
  const samples = outcomes.flatMap((t) => t.sample ?? []);
  return [{ blocks: outcomes.flatMap((t) => t.blocks), rows: outcomes.flatMap((t) => t.rows), bytes: outcomes.flatMap((t) => t.bytes), ...(outcomes.some((t) => t.sample) ? { sample: samples } : {}) }];
}
