/**
 * `cluster.data`: Ray Data's sources over a Shoal cluster. Each returns a
 * lazy `Dataset`; blocks the job gives (`fromItems`, `fromArrow`) are put
 * once and read by the tasks that need them.
 */
import { ShoalError } from '@shoal/protocol';
import { blockLib, type Block } from './blockLib.ts';
import { DEFAULT_CONTEXT, type DataCluster, type DataContext, type DataFolder } from './cluster.ts';
import { Dataset, type DatasetEnv } from './dataset.ts';
import { rangeBlockCount } from './partition.ts';
import type { SourceSpec } from './plan.ts';
import type { OperatorStats } from './streams.ts';

export interface ReadOptions {
  /** Add a `path` column naming each row's file. */
  includePaths?: boolean;
}

export interface DataApiOptions {
  /** The job's `createDataFrame` (for `toDataFrame`). */
  createDataFrame?: (table: unknown) => unknown;
  /** Called at most every 100 ms while a dataset runs, and at its end, with each operator's counters. */
  onProgress?: (stats: readonly OperatorStats[]) => void;
}

export interface DataNamespace {
  /** Rows `{id}` for id in [0, n), in `blocks` blocks (default: about `context.targetBlockBytes` each, at least one per task slot). */
  range(n: number, options?: { blocks?: number }): Dataset;
  /** Plain objects (other values become `{item}`), in `blocks` blocks (default one per slot). */
  fromItems(items: readonly unknown[], options?: { blocks?: number }): Dataset;
  /** An Arrow table's rows. */
  fromArrow(table: unknown, options?: { blocks?: number }): Dataset;
  /** A DataFrame's rows (collected through `toArrow()`). */
  fromDataFrame(df: { toArrow(): Promise<unknown> }, options?: { blocks?: number }): Promise<Dataset>;
  readParquet(paths: string | string[], options?: ReadOptions): Dataset;
  readCsv(paths: string | string[], options?: ReadOptions): Dataset;
  /** JSON lines (or one JSON array per file). */
  readJson(paths: string | string[], options?: ReadOptions): Dataset;
  /** One row `{path, bytes}` per file (bytes a Uint8Array). */
  readBinaryFiles(paths: string | string[]): Dataset;
  /** Execution settings: memory budget, block size, retries. */
  readonly context: DataContext;
  /** The URL of a data-folder file with a read grant, for tasks (e.g. `ctx.onnx.load(url)`). */
  fileUrl(path: string): Promise<string>;
}

const lib = blockLib();

export function dataNamespace(cluster: DataCluster, data: DataFolder | undefined, arrow: any, options: DataApiOptions = {}): DataNamespace {
  const context: DataContext = { ...DEFAULT_CONTEXT };
  const env: DatasetEnv = { cluster, data, context, arrow, ...(options.createDataFrame ? { createDataFrame: options.createDataFrame } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) };
  const slots = (): number => Math.max(1, cluster.slots());
  const fromBlock = (block: Block, blocks: number | undefined, name: string): Dataset => {
    const count = Math.max(1, Math.min(blocks ?? slots(), Math.max(1, block.n)));
    const refs: unknown[] = [];
    const metas: { rows: number; bytes: number }[] = [];
    for (let i = 0; i < count; i++) {
      const part = lib.slice(block, Math.floor((i * block.n) / count), Math.floor(((i + 1) * block.n) / count));
      refs.push(cluster.put(part));
      metas.push({ rows: part.n, bytes: lib.bytes(part) });
    }
    return new Dataset(env, { op: 'source', source: { kind: 'blocks', refs, metas, name } });
  };
  const files = (format: Extract<SourceSpec, { kind: 'files' }>['format']) => (paths: string | string[], opts: ReadOptions = {}): Dataset =>
    new Dataset(env, { op: 'source', source: { kind: 'files', format, paths: Array.isArray(paths) ? paths : [paths], includePaths: opts.includePaths ?? false } });
  return {
    context,
    range(n, opts = {}) {
      if (!(Number.isInteger(n) && n >= 0)) throw new ShoalError('ERR_BAD_OPTION', `range takes a whole number ≥ 0, got ${n}`);
      const blocks = opts.blocks ?? rangeBlockCount(n, context.targetBlockBytes, slots());
      return new Dataset(env, { op: 'source', source: { kind: 'range', n, blocks } });
    },
    fromItems(items, opts = {}) {
      if (!Array.isArray(items)) throw new ShoalError('ERR_BAD_OPTION', `fromItems takes an array, got ${typeof items}`);
      const rows = items.map((item) => (item !== null && typeof item === 'object' && !Array.isArray(item) ? item : { item }));
      return fromBlock(lib.fromRows(rows), opts.blocks, 'FromItems');
    },
    fromArrow(table, opts = {}) {
      return fromBlock(lib.fromArrow(table), opts.blocks, 'FromArrow');
    },
    async fromDataFrame(df, opts = {}) {
      return fromBlock(lib.fromArrow(await df.toArrow()), opts.blocks, 'FromDataFrame');
    },
    readParquet: files('parquet'),
    readCsv: files('csv'),
    readJson: files('json'),
    readBinaryFiles: (paths) => files('binary')(paths),
    async fileUrl(path) {
      if (!data) throw new ShoalError('ERR_BAD_OPTION', 'this cluster has no data folder (start it with --data DIR)');
      return data.fileUrl(path, await data.readGrant());
    },
  };
}

/** A job's cluster (the client's `Cluster`, with `dataClient`, and `createDataFrame` when DataFrames are attached). */
interface JobCluster {
  remote(fn: (...args: any[]) => unknown, options?: any): (...args: unknown[]) => unknown;
  get(refs: any, options?: any): Promise<unknown>;
  put(value: unknown): unknown;
  free(refs: any): void;
  actor(cls: any, options?: any): any;
  kill(handle: any): void;
  workers(): { caps?: { slots?: number } | null }[];
  readonly arrow: unknown;
}

/** What a job's `cluster` gains: `cluster.data`. */
export function dataApi(cluster: JobCluster, options: DataApiOptions = {}): { data: DataNamespace } {
  const extended = cluster as JobCluster & { dataClient?: DataFolder; createDataFrame?: (table: unknown) => unknown };
  const narrow: DataCluster = {
    remote: (fn, opts) => cluster.remote(fn, opts),
    get: (refs) => cluster.get(refs) as Promise<unknown[]>,
    put: (value) => cluster.put(value),
    free: (refs) => cluster.free(refs),
    actor: (cls, opts) => cluster.actor(cls, opts),
    kill: (handle) => cluster.kill(handle),
    slots: () => cluster.workers().reduce((sum, w) => sum + (w.caps?.slots ?? 1), 0),
  };
  const createDataFrame = options.createDataFrame ?? (extended.createDataFrame ? (table: unknown) => extended.createDataFrame!(table) : undefined);
  return { data: dataNamespace(narrow, extended.dataClient, cluster.arrow, { ...options, ...(createDataFrame ? { createDataFrame } : {}) }) };
}
