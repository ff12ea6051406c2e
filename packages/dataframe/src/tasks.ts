/**
 * From a stage to its tasks, once its inputs are done: pure (the stage, its
 * upstream stages' results and the conf in; task specs and the adaptive
 * decisions out). Adaptive execution lives here (Spark's AQE), because only
 * now are the real sizes known:
 * - coalesce: adjacent small shuffle partitions merge up to the advisory size;
 * - skew: a join partition far over the median is split by map output, each
 *   piece joined with the whole matching partition of the other side;
 * - broadcast switch: a shuffled join whose side turned out under the
 *   threshold reads the big side where it lies (Spark's local shuffle
 *   reader) and the small side whole.
 */
import { ShoalError } from '@shoal/protocol';
import type { Literal, SortKey } from './expr.ts';
import type { DataFile, Plan, Source } from './plan.ts';
export type { Plan };
import { DUCKDB_TYPE, exprSql, literalSql, quoteIdent, quoteString, schemaDdl } from './sqlgen.ts';
import type { TaskOutput, TaskSpec } from './stageTask.ts';
import type { DataFrameConf, Stage, StageOutput } from './stages.ts';
import type { SplitState } from './split.ts';

/** What a finished stage left: per task, its block refs and their sizes. */
export interface StageResult {
  /** `worker`: where the task kept its block in its engine (a cache's tasks), a placement hint. */
  /** `hashes`: per block, the block of its rows' key hashes (a hash exchange feeding a distinct gather, distinctGather.ts). */
  readonly tasks: readonly { readonly blocks: readonly string[]; readonly rows: readonly number[]; readonly bytes: readonly number[]; readonly sample?: readonly unknown[]; readonly worker?: string; readonly hashes?: readonly string[] }[];
  /** The blocks are read under these column names (a distinct gather's blocks are its input's, named as the input's). */
  readonly names?: readonly string[];
}

/** Bytes of every block of these stage results, by ref id. */
export function blockSizes(results: Iterable<StageResult | undefined>): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const r of results) for (const t of r?.tasks ?? []) t.blocks.forEach((b, j) => sizes.set(b, t.bytes[j] ?? 0));
  return sizes;
}

export interface CompiledTask {
  readonly spec: TaskSpec;
  /** Ref ids of the input blocks, in the order `spec.tables` counts them. */
  readonly inputs: readonly string[];
  readonly numReturns: number;
  /** A piece of a partition split after a memory error (split.ts): how it was cut, for the next split. */
  readonly split?: SplitState;
}

export interface CompiledStage {
  readonly tasks: readonly CompiledTask[];
  /** No tasks: the stage's result is this (upstream) stage's, as it is (a range exchange skipped for a small input). */
  readonly passThrough?: number;
  /** What adaptive execution decided, for explain() and the dashboard. */
  readonly notes: readonly string[];
}

export interface CompileContext {
  readonly conf: DataFrameConf;
  readonly results: ReadonlyMap<number, StageResult>;
  readonly stages: readonly Stage[];
  /** A URL any worker can read a data-folder file from (with a read grant). */
  readonly fileUrl: (path: string) => string;
  /** Where a write task uploads its part file. */
  readonly writeUrl?: (partIndex: number) => string;
}

export const SAMPLE_PER_TASK = 256;

/** Bytes of Parquet a scan task aims to read: bigger files are split by row groups. */
export const PARQUET_PART_BYTES = 64 * 1024 * 1024;

/**
 * A Parquet scan's partitions: a file each, or runs of adjacent row groups of
 * about PARQUET_PART_BYTES for a big file or one whose row groups were pruned
 * (`rows` is then the half-open row range read, and `groups` the row groups'
 * indexes in the file when planning knows them: the task reads only those).
 */
export function parquetParts(files: readonly DataFile[], partBytes = PARQUET_PART_BYTES): { file: DataFile; rows: [number, number] | null; groups: number[] | null }[] {
  return files.flatMap((f): { file: DataFile; rows: [number, number] | null; groups: number[] | null }[] => {
    const groups = f.rowGroups ?? [];
    const total = groups.reduce((n, g) => n + g.numRows, 0);
    const contiguous = groups.every((g, i) => i === 0 || g.firstRow === groups[i - 1]!.firstRow + groups[i - 1]!.numRows) && (groups[0]?.firstRow ?? 0) === 0;
    if (groups.length === 0 || (f.size <= partBytes && contiguous)) return [{ file: f, rows: null, groups: null }];
    const bytesPerRow = f.size / Math.max(1, total);
    const parts: { file: DataFile; rows: [number, number]; groups: number[] | null }[] = [];
    let run: typeof groups[number][] = [];
    const flush = (): void => {
      if (run.length === 0) return;
      const last = run[run.length - 1]!;
      const indexes = run.map((g) => g.index);
      parts.push({ file: f, rows: [run[0]!.firstRow, last.firstRow + last.numRows], groups: indexes.every((i) => i !== undefined) ? (indexes as number[]) : null });
      run = [];
    };
    for (const g of groups) {
      const last = run[run.length - 1];
      const adjacent = last !== undefined && g.firstRow === last.firstRow + last.numRows;
      if (run.length && (!adjacent || (g.firstRow + g.numRows - run[0]!.firstRow) * bytesPerRow > partBytes)) flush();
      run.push(g);
    }
    flush();
    return parts;
  });
}

/** Bytes of CSV a scan task aims to read: bigger files are split at line boundaries (Spark's rule: no newlines inside quoted fields). */
export const CSV_PART_BYTES = 64 * 1024 * 1024;

/** A CSV scan's partitions: a whole small file, or byte ranges of a big one (`bytes`, half-open; each task keeps the lines that start in its range). */
export function csvParts(files: readonly DataFile[], partBytes = CSV_PART_BYTES): { file: DataFile; bytes: [number, number] | null }[] {
  return files.flatMap((f): { file: DataFile; bytes: [number, number] | null }[] => {
    if (f.size <= partBytes) return [{ file: f, bytes: null }];
    const n = Math.ceil(f.size / partBytes);
    const per = Math.ceil(f.size / n);
    return Array.from({ length: n }, (_, i) => ({ file: f, bytes: [i * per, Math.min(f.size, (i + 1) * per)] as [number, number] }));
  });
}

/** Bytes each task of a file scan aims to read (Spark's maxSplitBytes): small sources are still spread over the slots. */
export function splitBytes(source: Source, conf: DataFrameConf): number {
  if (source.kind !== 'csv' && source.kind !== 'parquet') return conf.maxPartitionBytes;
  const total = source.files.reduce((n, f) => n + f.size, 0);
  return Math.min(conf.maxPartitionBytes, Math.max(conf.filesOpenCostBytes, Math.ceil(total / Math.max(1, conf.filesMinPartitions))));
}

/** A scan's partitions: what each task reads. */
export function scanPartitions(source: Source, partBytes?: number): number {
  switch (source.kind) {
    case 'blocks':
      return source.blocks.length;
    case 'range':
      return source.partitions;
    case 'parquet':
      return parquetParts(source.files, partBytes).length;
    case 'csv':
      return csvParts(source.files, partBytes).length;
    case 'json':
      return source.files.length;
    case 'stage':
    case 'pending':
    case 'cached':
      throw new ShoalError('ERR_INTERNAL', `a ${source.kind} source is not a scan`);
  }
}

function columnsSpec(schema: readonly { name: string; type: keyof typeof DUCKDB_TYPE }[]): string {
  return `{${schema.map((f) => `${quoteString(f.name)}: ${quoteString(DUCKDB_TYPE[f.type])}`).join(', ')}}`;
}

/** The FROM item a scan leaf reads for partition `i`, and the files it registers. */
export function scanLeaf(leaf: Extract<Plan, { kind: 'source' }>, part: number | readonly number[], ctx: CompileContext, files: { name: string; url: string }[], tables: TaskSpec['tables'][number][], inputs: string[], fetches: NonNullable<TaskSpec['fetches']>[number][] = []): { from: string; reading: string } {
  const s = leaf.source;
  // Several partitions in one task: kept blocks of one worker (compileStage.ts mergeKept).
  const parts = typeof part === 'number' ? [part] : part;
  const i = parts[0]!;
  const file = (f: DataFile): string => {
    const name = `f${files.length}_${f.path.split('/').pop()!.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
    files.push({ name, url: ctx.fileUrl(f.path) });
    return quoteString(name);
  };
  switch (s.kind) {
    case 'blocks':
      {
        const cols = leaf.columns && leaf.columns.length < leaf.schema.length ? leaf.columns : null;
        const fields = cols ? leaf.schema.filter((f) => cols.includes(f.name)) : leaf.schema;
        // A stored block never changes: the worker's engine keeps it as a table under its object id (Engine.keep).
        const keys = parts.map((j) => s.blocks[j]!);
        tables.push({ name: 'src', ddl: schemaDdl(fields), count: keys.length, keys, ...(cols ? { select: fields.map((f) => f.name) } : {}) });
        inputs.push(...keys);
      }
      return { from: '"src"', reading: parts.length === 1 ? `block ${i}` : `blocks ${parts.join(', ')}` };
    case 'range': {
      const count = Math.max(0, Math.ceil((s.end - s.start) / s.step));
      const per = Math.ceil(count / s.partitions);
      const a = s.start + Math.min(count, i * per) * s.step;
      const b = s.start + Math.min(count, (i + 1) * per) * s.step;
      return { from: `(SELECT range AS "id" FROM range(${a}, ${b}, ${s.step}))`, reading: `range part ${i}` };
    }
    case 'parquet': {
      // Decoded in the task by the engine's Parquet codec (only this partition's rows), then scanned as a table.
      const part = parquetParts(s.files, splitBytes(s, ctx.conf))[i]!;
      const f = part.file;
      const name = `pq${fetches.length}`;
      // Only the columns the plan reads, and only this part's row groups when their indexes are known (HTTP Range reads).
      const pick = leaf.columns && leaf.columns.length > 0 && leaf.columns.length < leaf.schema.length ? leaf.columns : null;
      fetches.push({
        name,
        url: ctx.fileUrl(f.path),
        format: 'parquet',
        ...(part.groups ? { rowGroups: part.groups } : part.rows ? { range: { offset: part.rows[0], limit: part.rows[1] - part.rows[0] } } : {}),
        ...(pick ? { pick } : {}),
      });
      return { from: quoteIdent(name), reading: `${f.path}${part.rows ? ` rows ${part.rows[0]}-${part.rows[1]}` : ''} (partition ${i})` };
    }
    case 'csv': {
      const part = csvParts(s.files, splitBytes(s, ctx.conf))[i]!;
      const f = part.file;
      if (!part.bytes) return { from: `read_csv(${file(f)}, header=${s.options.header}, delim=${quoteString(s.options.delimiter)}, columns=${columnsSpec(leaf.schema)}, auto_detect=false)`, reading: `${f.path} (partition ${i})` };
      // A byte range of a big file: the task fetches it (whole lines only) and the engine reads it as its own CSV.
      const [start, end] = part.bytes;
      const name = `csv${fetches.length}.csv`;
      fetches.push({ name, url: ctx.fileUrl(f.path), format: 'csvRange', range: { offset: start, limit: end - start } });
      const header = s.options.header && start === 0;
      return { from: `read_csv(${quoteString(name)}, header=${header}, delim=${quoteString(s.options.delimiter)}, columns=${columnsSpec(leaf.schema)}, auto_detect=false)`, reading: `${f.path} bytes ${start}-${end} (partition ${i})` };
    }
    case 'json': {
      const f = s.files[i]!;
      const name = `js${fetches.length}.csv`;
      fetches.push({ name, url: ctx.fileUrl(f.path), format: 'json', columns: leaf.schema.map((c) => ({ name: c.name })) });
      return { from: `read_csv(${quoteString(name)}, header=false, delim=',', quote='"', escape='"', columns=${columnsSpec(leaf.schema)}, auto_detect=false)`, reading: `${f.path} (partition ${i})` };
    }
    case 'stage':
      return { from: `"s${s.stage}"`, reading: `stage ${s.stage}` };
    case 'pending':
    case 'cached':
      throw new ShoalError('ERR_INTERNAL', 'an unresolved source reached the planner');
  }
}

/** Key columns as hashed for an exchange: numbers as DOUBLE, so both sides of a join agree whatever their integer width. */
export function hashExpr(keys: readonly string[], stage: Stage, n: number): string {
  return `${keysHash(keys, stage)} % ${n}`;
}

/** `hash(keys...)` over `stage`'s output, as hashExpr takes it modulo the parts (split.ts hashes it again to cut a partition). */
export function keysHash(keys: readonly string[], stage: Stage): string {
  const cols = keys.map((k) => {
    const f = stage.schema.find((x) => x.name === k);
    const numeric = f && ['int', 'bigint', 'float', 'double'].includes(f.type);
    return numeric ? `CAST(${quoteIdent(k)} AS DOUBLE)` : quoteIdent(k);
  });
  return `hash(${cols.join(', ')})`;
}

/** Bytes an exchange's part aims at: a part must fit a task's memory with the engine's sort or hash table around it. */
export const EXCHANGE_PART_BYTES = 64 * 1024 * 1024;

/**
 * How many parts a sort's range exchange, or a growable hash exchange, cuts its rows into: `n` (the shuffle
 * partitions), or one per EXCHANGE_PART_BYTES of input, at most 8n, so that a task over a big input (a sort,
 * an aggregate whose groups are as many as its rows) fits a task's memory; adaptive execution coalesces the
 * parts that turn out small. The input is the blocks the stage reads or, when it reads none (a range stage
 * that makes the rows again), the cached blocks it scans.
 */
export function exchangeParts(stage: Stage, ctx: CompileContext, n: number): number {
  const read = stage.reads.reduce((s, r) => s + (ctx.results.get(r.stage)?.tasks ?? []).reduce((a, t) => a + t.bytes.reduce((x, y) => x + y, 0), 0), 0);
  const bytes = read > 0 ? read : stage.scan?.kind === 'blocks' ? stage.scan.bytes : stage.estimatedBytes;
  return Math.min(8 * n, Math.max(n, Math.ceil(bytes / Math.max(EXCHANGE_PART_BYTES, ctx.conf.advisoryPartitionBytes))));
}

/**
 * Range bounds from the upstream samples: `n - 1` cut points in the key's order. A value that fills more than
 * one cut (a hot key) stays repeated: the parts between its repeats take its rows in turns (rangeExpr, and the
 * kernels' split), so one key does not put most rows on one task. Without samples, no bounds (one part).
 */
export function rangeBounds(samples: readonly unknown[], n: number, key: SortKey): Literal[] {
  const values = samples.filter((v) => v !== null && v !== undefined && !(typeof v === 'number' && Number.isNaN(v))) as (number | string | boolean)[];
  values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const bounds: Literal[] = [];
  for (let i = 1; i < n; i++) {
    const v = values[Math.floor((i * values.length) / n)];
    if (v !== undefined) bounds.push(v);
  }
  return bounds;
}

/** The partition expression of a range exchange: nulls to the end the sort puts them. */
function rangeExpr(keySql: string, bounds: readonly Literal[], key: SortKey): string {
  const c = `(${keySql})`;
  const parts = bounds.length + 1;
  // A hot key's repeated bounds (rangeBounds): its rows go to the parts from its first repeat to the one after
  // its last, in turns by row number (deterministic for the same input, as a recomputed task needs).
  const hot: string[] = [];
  for (let i = 0; i < bounds.length; i++) {
    if (i > 0 && bounds[i - 1] === bounds[i]) continue;
    let j = i;
    while (j + 1 < bounds.length && bounds[j + 1] === bounds[i]) j++;
    if (j > i) hot.push(`WHEN ${c} = ${literalSql(bounds[i]!)} THEN ${i} + (row_number() OVER () % ${j - i + 2})`);
  }
  const arms = [...hot, ...bounds.map((b, i) => `WHEN ${c} < ${literalSql(b)} THEN ${i}`)].join(' ');
  // No bounds (no rows were sampled): one partition.
  const asc = bounds.length ? `(CASE ${arms} ELSE ${parts - 1} END)` : '0';
  const ordered = key.ascending ? asc : `(${parts - 1} - ${asc})`;
  return `(CASE WHEN ${c} IS NULL THEN ${key.nullsFirst ? 0 : parts - 1} ELSE ${ordered} END)`;
}

/** A task's output; `bounds` for a range exchange (also given to the JS kernels, arrowKernels.ts). */
export function taskOutput(stage: Stage, ctx: CompileContext, partIndex: number): { out: TaskOutput; blocks: number; bounds?: Literal[] } {
  const o: StageOutput = stage.output;
  switch (o.kind) {
    case 'single':
      return { out: { kind: 'single' }, blocks: 1 };
    case 'hash': {
      const n = o.grow ? exchangeParts(stage, ctx, o.n) : o.n;
      return { out: { kind: 'split', expr: hashExpr(o.keys, stage, n), n }, blocks: n };
    }
    case 'roundRobin':
      return { out: { kind: 'split', expr: `(row_number() OVER () + ${partIndex}) % ${o.n}`, n: o.n }, blocks: o.n };
    case 'sample':
      return { out: { kind: 'sample', expr: exprSql(o.key.expr, stage.schema), size: SAMPLE_PER_TASK, ...(o.only ? { only: true } : {}) }, blocks: o.only ? 0 : 1 };
    case 'range': {
      // The samples come from the stage it reads (pointwise), or waits for (after).
      const upstream = ctx.results.get((stage.reads.find((r) => r.mode === 'after') ?? stage.reads[0]!).stage)!;
      const samples = upstream.tasks.flatMap((t) => t.sample ?? []);
      const bounds = rangeBounds(samples, exchangeParts(stage, ctx, o.n), o.key);
      return { out: { kind: 'split', expr: rangeExpr(exprSql(o.key.expr, stage.schema), bounds, o.key), n: bounds.length + 1 }, blocks: bounds.length + 1, bounds };
    }
    case 'write':
      if (!ctx.writeUrl) throw new ShoalError('ERR_INTERNAL', 'a write stage needs writeUrl');
      return { out: { kind: 'write', format: o.format, url: ctx.writeUrl(partIndex) }, blocks: 0 };
  }
}

