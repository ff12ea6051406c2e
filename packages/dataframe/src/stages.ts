/**
 * The physical plan's shape: stages split at exchanges (Spark's), as plain
 * data. A stage runs one task per partition; each task computes the stage's
 * `plan` (a pipeline whose leaves are a scan or exchange reads) in the
 * engine and writes its `output`.
 */
import type { SortKey, Expr } from './expr.ts';
import type { Plan, Schema, Source } from './plan.ts';

/** What a stage's tasks write. */
export type StageOutput =
  /** One block per task (a result partition, or a side to broadcast). */
  | { readonly kind: 'single' }
  /** `n` blocks per task, rows placed by a hash of `keys` (columns of the stage's output). */
  /**
   * `grow`: its only reader needs no other stage cut the same way (an aggregate, distinct, window: not a join
   * side or a user's repartition), so a big input may be cut into more parts than `n` (tasks.ts exchangeParts).
   */
  | { readonly kind: 'hash'; readonly keys: readonly string[]; readonly n: number; readonly grow?: boolean }
  /** `n` blocks per task, rows dealt out in turn. */
  | { readonly kind: 'roundRobin'; readonly n: number }
  /**
   * A sample of `key`'s values, for the range bounds of a sort, plus one block of the rows, unless
   * `only` (the input is cheap to compute again, so the range stage recomputes it instead).
   */
  | { readonly kind: 'sample'; readonly key: SortKey; readonly only?: boolean }
  /** `n` blocks per task by ranges of `key`, bounds from the upstream sample (set at run time). */
  | { readonly kind: 'range'; readonly key: SortKey; readonly n: number }
  /** The task writes its partition as a file in the data folder; no blocks. */
  | { readonly kind: 'write'; readonly format: 'parquet' | 'csv'; readonly dir: string };

/**
 * How a stage reads another's blocks:
 * - `shuffle`: task j reads block j of every upstream task (an exchange);
 * - `all`: every task reads every block (a broadcast, or a gather into one task);
 * - `pointwise`: task i reads all blocks of upstream task i (no data moves);
 * - `concat`: the stage's tasks are its concat inputs' tasks, one after the other (union);
 * - `after`: no blocks; the stage waits for that one and uses its stats (a range exchange's samples).
 */
export type ReadMode = 'shuffle' | 'all' | 'pointwise' | 'concat' | 'after';

export interface StageRead {
  readonly stage: number;
  readonly mode: ReadMode;
}

export interface Stage {
  readonly id: number;
  /** Shown in the dashboard, the CLI's bars and explain(): e.g. "scan+filter+partial agg". */
  readonly name: string;
  /** `sql`: the engine runs `plan`; `js`: user code (mapPartitions) over the one read. */
  readonly kind: 'sql' | 'js';
  readonly plan: Plan;
  /** The source scanned, when a leaf of `plan` is a scan (at most one per stage). */
  readonly scan: Source | null;
  readonly reads: readonly StageRead[];
  readonly output: StageOutput;
  /** Output schema. */
  readonly schema: Schema;
  /** mapPartitions' function source. */
  readonly fn?: string;
  /** The output partitions are in this order, and sorted by it within (after a sort). */
  readonly ordering: readonly SortKey[] | null;
  /** Planner's estimate of the stage's output bytes (for broadcast choices and explain). */
  readonly estimatedBytes: number;
  /** Join stage facts adaptive execution needs: which reads are the join's sides. */
  readonly join?: { readonly how: string; readonly left: number; readonly right: number };
  /** Hash-partition keys are fixed by the user (repartition): adaptive coalescing leaves them alone. */
  readonly fixedPartitions?: boolean;
  /** `plan` is a map-side partial aggregate: a task whose partition has mostly distinct keys does it row by row (sqlgen.ts partialSkipSql). */
  readonly partialAgg?: boolean;
  /** The root of a cache(): each task also keeps its block as a table in its engine (Engine.queryAndKeep), so the next action reads it in place. */
  readonly keepOutput?: boolean;
}

export interface PhysicalPlan {
  readonly stages: readonly Stage[];
  /** The stage whose output is the result. */
  readonly root: number;
}

/** Tuning knobs (Spark's names in camelCase where there is one). */
export interface DataFrameConf {
  /** Partitions of an exchange before coalescing (spark.sql.shuffle.partitions). Default: 2 per task slot, at least 4. */
  shufflePartitions: number;
  /** Broadcast a join side whose estimated size is under this many bytes (autoBroadcastJoinThreshold). Default 10 MB. -1 turns it off. */
  autoBroadcastJoinThreshold: number;
  /** Adaptive execution: coalesce small shuffle partitions, split skewed ones, switch to a broadcast join when a side turns out small. */
  adaptive: boolean;
  /** Coalesce shuffle partitions up to this many bytes (advisoryPartitionSizeInBytes). Default 16 MiB. */
  advisoryPartitionBytes: number;
  /** A shuffle partition is skewed when over this many times the median and over 2 × advisoryPartitionBytes. Default 5. */
  skewedPartitionFactor: number;
  /** Files bigger than this are read by several tasks: CSV by byte ranges, Parquet by runs of row groups (maxPartitionBytes). Default 64 MiB. */
  maxPartitionBytes: number;
  /**
   * File scans aim for at least this many tasks (spark.sql.files.minPartitionNum): a file source is split into
   * pieces of `min(maxPartitionBytes, max(filesOpenCostBytes, total / filesMinPartitions))`. Default: the task slots.
   */
  filesMinPartitions: number;
  /** The smallest piece a file is split into (spark.sql.files.openCostInBytes). Default 4 MiB. */
  filesOpenCostBytes: number;
  /**
   * A root final aggregate's task whose groups may all be one row checks its keys' hashes in a task of their own
   * first, and gathers the exchange's blocks as they are if no key repeats (distinctGather.ts), only when its
   * input is at least this many bytes: a smaller one is not worth the check's extra round trip. Default 8 MiB.
   */
  distinctGatherMinBytes: number;
  /**
   * A sort task writes its ordered rows as one stream per input block, none smaller than this (compileStage.ts
   * `sortChunks`): about its inputs' size, so later tasks' outputs can reuse their memory. Default 4 MiB.
   */
  sortChunkBytes: number;
}

export const DEFAULT_CONF: DataFrameConf = {
  shufflePartitions: 4,
  autoBroadcastJoinThreshold: 10 * 1024 * 1024,
  adaptive: true,
  advisoryPartitionBytes: 16 * 1024 * 1024,
  skewedPartitionFactor: 5,
  maxPartitionBytes: 64 * 1024 * 1024,
  filesMinPartitions: 1,
  filesOpenCostBytes: 4 * 1024 * 1024,
  distinctGatherMinBytes: 8 * 1024 * 1024,
  sortChunkBytes: 4 * 1024 * 1024,
};

/** A leaf reading stage `stage`'s output. */
export function stageLeaf(stage: number, schema: Schema): Plan {
  return { kind: 'source', source: { kind: 'stage', stage }, schema, columns: null, filters: [] };
}

export type { Expr };
