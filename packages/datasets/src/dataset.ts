/**
 * `Dataset`: a lazy, immutable plan with Ray Data's verbs. Transforms add a
 * node; consuming calls (`count`, `take`, `iterBatches`, `write.parquet`,
 * `toDataFrame`, `materialize`) run it through the streaming executor.
 */
import { ShoalError } from '@shoal/protocol';
import { blockLib, type BatchFormat, type Block } from './blockLib.ts';
import { datasetTaskFunction, type TransformStep } from './blockTask.ts';
import { datasetError, inputLost } from './errors.ts';
import type { DataCluster, DataContext, DataFolder } from './cluster.ts';
import { execute, type Execution } from './executor.ts';
import { splitBlocks } from './partition.ts';
import { explain, fnName, type PlanNode } from './plan.ts';
import type { BlockHandle, OperatorStats } from './streams.ts';

export interface MapBatchesOptions {
  /** Rows per call (default: the whole block). */
  batchSize?: number;
  /** What the function receives: 'columns' (default: `{name: array}`), 'rows' or 'arrow'. */
  batchFormat?: BatchFormat;
  /** A class: the pool's size, `n` or `[min, max]` (autoscaling). Functions: ignored. */
  concurrency?: number | [number, number];
  /** A class: its constructor's arguments. */
  constructorArgs?: unknown[];
  /** A function: extra arguments after the batch. */
  fnArgs?: unknown[];
  /** A class: an actor idle this long (ms) is retired while the pool is above its minimum (default 2000). */
  idleTimeoutMs?: number;
  /** Accepted for Ray compatibility; actors hold no resources today. */
  resources?: Record<string, number>;
}

export interface IterOptions {
  batchSize?: number;
  batchFormat?: BatchFormat;
  /** Blocks fetched ahead of the one being read (default 1). */
  prefetchBatches?: number;
}

/** What a dataset needs from its namespace: the cluster, the data folder, settings and hooks. */
export interface DatasetEnv {
  readonly cluster: DataCluster;
  readonly data: DataFolder | undefined;
  readonly context: DataContext;
  readonly arrow: any;
  /** The job's `createDataFrame` (from @shoal/dataframe), for `toDataFrame`. */
  readonly createDataFrame?: (table: unknown) => unknown;
  readonly onProgress?: (stats: readonly OperatorStats[]) => void;
}

const lib = blockLib();
const MAP_BATCHES_OPTIONS = ['batchSize', 'batchFormat', 'concurrency', 'constructorArgs', 'fnArgs', 'idleTimeoutMs', 'resources'];

function sourceOf(fn: unknown, what: string): string {
  if (typeof fn !== 'function') throw new ShoalError('ERR_BAD_FUNCTION', `${what} takes a function, got ${fn === null ? 'null' : typeof fn}`);
  return Function.prototype.toString.call(fn);
}

export class Dataset {
  /** Per-operator counters of the last execution (rows, blocks, pools' actors). */
  lastStats: readonly OperatorStats[] = [];

  constructor(private readonly env: DatasetEnv, readonly plan: PlanNode) {}

  private with(plan: PlanNode): Dataset {
    return new Dataset(this.env, plan);
  }

  private step(kind: 'map' | 'flatMap' | 'filter', fn: unknown): Dataset {
    const source = sourceOf(fn, `${kind}()`);
    const step: TransformStep = { kind, fn: source, op: `${kind === 'flatMap' ? 'FlatMap' : kind[0]!.toUpperCase() + kind.slice(1)}(${fnName(source)})` };
    return this.with({ op: 'transform', input: this.plan, step });
  }

  /** One row (a plain object) in, one row out. */
  map(fn: (row: Record<string, any>) => Record<string, unknown> | Promise<Record<string, unknown>>): Dataset {
    return this.step('map', fn);
  }
  /** One row in, an array of rows out. */
  flatMap(fn: (row: Record<string, any>) => Record<string, unknown>[] | Promise<Record<string, unknown>[]>): Dataset {
    return this.step('flatMap', fn);
  }
  /** Keeps the rows for which `fn` is truthy. */
  filter(fn: (row: Record<string, any>) => unknown): Dataset {
    return this.step('filter', fn);
  }

  /**
   * A function of a batch (`fn(batch, ...fnArgs, ctx)`), or a class whose
   * instances each take batches through `call(batch, ctx)`: an autoscaling
   * actor pool of `concurrency` (`n` or `[min, max]`) actors, each built once
   * with `constructorArgs`. Returns rows, columns or an Arrow table.
   */
  mapBatches(fnOrClass: unknown, options: MapBatchesOptions = {}): Dataset {
    for (const key of Object.keys(options)) {
      if (!MAP_BATCHES_OPTIONS.includes(key)) throw new ShoalError('ERR_BAD_OPTION', `unknown mapBatches option '${key}'; valid ones are ${MAP_BATCHES_OPTIONS.join(', ')}`);
    }
    const batchFormat = options.batchFormat ?? 'columns';
    if (!['columns', 'rows', 'arrow'].includes(batchFormat)) throw new ShoalError('ERR_BAD_OPTION', `batchFormat must be 'columns', 'rows' or 'arrow', got ${JSON.stringify(batchFormat)}`);
    const batchSize = options.batchSize ?? null;
    if (batchSize !== null && !(Number.isInteger(batchSize) && batchSize > 0)) throw new ShoalError('ERR_BAD_OPTION', `batchSize must be a whole number > 0, got ${batchSize}`);
    const source = sourceOf(fnOrClass, 'mapBatches()');
    if (/^class\b/.test(source)) {
      const c = options.concurrency ?? 1;
      const [min, max] = Array.isArray(c) ? c : [c, c];
      if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 1 && max >= min)) throw new ShoalError('ERR_BAD_OPTION', `concurrency must be n ≥ 1 or [min, max] with 1 ≤ min ≤ max, got ${JSON.stringify(c)}`);
      return this.with({ op: 'pool', input: this.plan, name: fnName(source), cls: source, constructorArgs: options.constructorArgs ?? [], min, max, batchSize, batchFormat, idleMs: options.idleTimeoutMs ?? 2000 });
    }
    const step: TransformStep = { kind: 'batches', fn: source, op: `MapBatches(${fnName(source)})`, batchSize, batchFormat, fnArgs: options.fnArgs ?? [] };
    return this.with({ op: 'transform', input: this.plan, step });
  }

  /** The first `n` rows; the operators upstream stop once they are out. */
  limit(n: number): Dataset {
    if (!(Number.isInteger(n) && n >= 0)) throw new ShoalError('ERR_BAD_OPTION', `limit takes a whole number ≥ 0, got ${n}`);
    return this.with({ op: 'limit', input: this.plan, n });
  }
  /** `n` blocks of nearly equal rows (an all-to-all step: waits for every input block). */
  repartition(n: number): Dataset {
    if (!(Number.isInteger(n) && n >= 1)) throw new ShoalError('ERR_BAD_OPTION', `repartition takes a whole number ≥ 1, got ${n}`);
    return this.with({ op: 'repartition', input: this.plan, n });
  }
  /** Every row to a random place (seeded; an all-to-all step). */
  randomShuffle(options: { seed?: number } = {}): Dataset {
    return this.with({ op: 'shuffle', input: this.plan, seed: options.seed ?? Math.floor(Math.random() * 2 ** 31) });
  }
  /** This dataset's rows, then each other's. */
  union(...others: Dataset[]): Dataset {
    return this.with({ op: 'union', inputs: [this.plan, ...others.map((o) => o.plan)] });
  }

  /** `n` datasets sharing this one's blocks (computed once; each block goes to the share with fewest rows so far). */
  async split(n: number): Promise<Dataset[]> {
    if (!(Number.isInteger(n) && n >= 1)) throw new ShoalError('ERR_BAD_OPTION', `split takes a whole number ≥ 1, got ${n}`);
    const whole = await this.materialize();
    const src = whole.plan as Extract<PlanNode, { op: 'source' }>;
    if (src.source.kind !== 'blocks') throw new ShoalError('ERR_INTERNAL', 'materialize gave no blocks');
    const { refs, metas } = src.source;
    return splitBlocks(metas.map((m) => m.rows), n).map((idx, i) => this.with({ op: 'source', source: { kind: 'blocks', refs: idx.map((j) => refs[j]), metas: idx.map((j) => metas[j]!), name: `Split(${i}/${n})` } }));
  }

  /** The plan, one operator a line. */
  explain(): string {
    return explain(this.plan);
  }

  /** Runs the plan; `consume` takes each output block handle in order and releases it. */
  private async run(consume: (h: BlockHandle) => Promise<void> | void): Promise<void> {
    const execution: Execution = execute(this.plan, { cluster: this.env.cluster, data: this.env.data, context: this.env.context, ...(this.env.onProgress ? { onProgress: this.env.onProgress } : {}) });
    this.lastStats = execution.stats;
    try {
      for (let h = await execution.output.next(); h !== null; h = await execution.output.next()) await consume(h);
    } finally {
      execution.close();
    }
  }

  /** Rows, counted from the blocks' metadata (no block moves). */
  async count(): Promise<number> {
    let rows = 0;
    await this.run((h) => {
      rows += h.meta.rows;
      h.release();
    });
    return rows;
  }

  /** Blocks as they come, fetched here (`prefetch` ahead), as `{block, id}`. */
  private async *blocks(prefetch: number): AsyncGenerator<Block> {
    const execution = execute(this.plan, { cluster: this.env.cluster, data: this.env.data, context: this.env.context, ...(this.env.onProgress ? { onProgress: this.env.onProgress } : {}) });
    this.lastStats = execution.stats;
    const ahead: Promise<Block | null>[] = [];
    const fetchNext = (): Promise<Block | null> =>
      execution.output.next().then(async (first) => {
        if (first === null) return null;
        for (let h = first, tries = 0; ; tries++) {
          try {
            const [block] = (await this.env.cluster.get([h.ref])) as [Block];
            h.release();
            return block;
          } catch (error) {
            // A pool actor's result lost with its tab has no lineage: the pool makes it again.
            if (!h.remake || tries >= 3 || !inputLost(error)) throw datasetError(error);
            h = await h.remake();
          }
        }
      });
    try {
      for (;;) {
        while (ahead.length < 1 + Math.max(0, prefetch)) ahead.push(fetchNext());
        const block = await ahead.shift()!;
        if (block === null) break;
        yield block;
      }
    } finally {
      execution.close();
      ahead.forEach((p) => p.catch(() => undefined));
    }
  }

  /** Batches of `batchSize` rows (default: one per block) in `batchFormat` (default 'rows' here... 'columns' in mapBatches). */
  async *iterBatches(options: IterOptions = {}): AsyncGenerator<unknown> {
    const format = options.batchFormat ?? 'columns';
    let carry: Block | null = null;
    for await (const block of this.blocks(options.prefetchBatches ?? 1)) {
      if (!options.batchSize) {
        yield lib.toBatch(block, format, this.env.arrow);
        continue;
      }
      let b: Block = carry ? lib.concat([carry, block]) : block;
      let at = 0;
      for (; at + options.batchSize <= b.n; at += options.batchSize) yield lib.toBatch(lib.slice(b, at, at + options.batchSize), format, this.env.arrow);
      carry = at < b.n ? lib.slice(b, at, b.n) : null;
      b = lib.empty();
    }
    if (carry && carry.n > 0) yield lib.toBatch(carry, format, this.env.arrow);
  }

  /** Every row, as plain objects. */
  async takeAll(): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = [];
    for await (const block of this.blocks(1)) for (const r of lib.toRows(block)) rows.push(r);
    return rows;
  }

  /** The first `n` rows (default 20). */
  take(n = 20): Promise<Record<string, unknown>[]> {
    return this.limit(n).takeAll();
  }

  /** Every row as one Arrow table. */
  async toArrow(): Promise<unknown> {
    const parts: Block[] = [];
    for await (const block of this.blocks(1)) parts.push(block);
    return lib.toArrow(lib.concat(parts), this.env.arrow);
  }

  /** A DataFrame of every row (through the job's `createDataFrame`). */
  async toDataFrame(): Promise<unknown> {
    if (!this.env.createDataFrame) throw new ShoalError('ERR_BAD_OPTION', 'toDataFrame needs @shoal/dataframe on the cluster (cluster.createDataFrame)');
    return this.env.createDataFrame(await this.toArrow());
  }

  /** Runs the plan and keeps its blocks on the workers: a dataset over them. */
  async materialize(): Promise<Dataset> {
    const refs: unknown[] = [];
    const metas: { rows: number; bytes: number }[] = [];
    await this.run((h) => {
      refs.push(h.ref);
      metas.push(h.meta);
    });
    return this.with({ op: 'source', source: { kind: 'blocks', refs, metas, name: 'Materialized' } });
  }

  /** Writers: one file per block under `dir` of the data folder. */
  get write(): { parquet: (dir: string, options?: WriteOptions) => Promise<WriteResult>; json: (dir: string, options?: WriteOptions) => Promise<WriteResult> } {
    return { parquet: (dir, options) => this.writeFiles('parquet', dir, options), json: (dir, options) => this.writeFiles('json', dir, options) };
  }

  private async writeFiles(format: 'parquet' | 'json', dir: string, options: WriteOptions = {}): Promise<WriteResult> {
    const data = this.env.data;
    if (!data) throw new ShoalError('ERR_BAD_OPTION', 'this cluster has no data folder (start it with --data DIR)');
    const grant = await data.grantWrite(dir, options.mode ?? 'errorIfExists');
    const writer = this.env.cluster.remote(datasetTaskFunction(), { name: 'dataset:write', numReturns: 2, maxRetries: this.env.context.maxRetries });
    const files: string[] = [];
    let rows = 0;
    let index = 0;
    const pending: Promise<void>[] = [];
    await this.run(async (h) => {
      const path = `${dir}/part-${String(index++).padStart(5, '0')}.${format === 'json' ? 'jsonl' : 'parquet'}`;
      files.push(path);
      const [, metaRef] = writer({ kind: 'write', format, url: data.fileUrl(path, grant), block: h.id }, h.ref) as unknown[];
      const done = this.env.cluster.get([metaRef]).then(([meta]) => {
        rows += (meta as { rows: number }).rows;
        h.release();
      }, (error: unknown) => {
        throw datasetError(error);
      });
      done.catch(() => undefined);
      pending.push(done);
      if (pending.length >= 4) await pending.shift();
    });
    await Promise.all(pending);
    return { files, rows };
  }
}

export interface WriteOptions {
  /** As DataFrame writers: 'errorIfExists' (default), 'overwrite' or 'append'. */
  mode?: 'errorIfExists' | 'overwrite' | 'append';
}

export interface WriteResult {
  files: string[];
  rows: number;
}
