/**
 * The logical plan: a tree of small immutable nodes, plain data (Catalyst's
 * and DataFusion's shape). The DataFrame API and the SQL front end both build
 * these; optimizer rules (rules/*.ts) are functions from plan to plan; the
 * physical planner (physical.ts) cuts the tree into stages at exchanges.
 *
 * ```ts
 * // df.filter("price > 100").groupBy('brand').agg({price: 'avg'})
 * { kind: 'aggregate', groupBy: [col('brand')], aggs: [alias(avg(price), 'avg(price)')],
 *   input: { kind: 'filter', predicate: price > 100,
 *            input: { kind: 'source', source: { kind: 'parquet', ... }, schema } } }
 * ```
 */
import type { DataType, Expr, SortKey } from './expr.ts';

export interface Field {
  readonly name: string;
  readonly type: DataType;
  /** SQL qualifiers this column answers to (table names and aliases), e.g. `t` in `t.price`. */
  readonly qualifiers?: readonly string[];
  /** A join renamed this column (`name_right`); `qualifier.sourceName` still finds it. */
  readonly sourceName?: string;
}

export type Schema = readonly Field[];

export type JoinType = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';
export const JOIN_TYPES: readonly JoinType[] = ['inner', 'left', 'right', 'full', 'semi', 'anti'];

/** A file in the data folder, with what planning knows about it. */
export interface DataFile {
  readonly path: string;
  readonly size: number;
  /** Parquet only: rows per row group and min/max per column (for pruning). */
  readonly rowGroups?: readonly RowGroupInfo[];
}

export interface RowGroupInfo {
  readonly numRows: number;
  /** Row offset of the group within its file. */
  readonly firstRow: number;
  /** The group's position in its file (what a reader's `rowGroups` option names). */
  readonly index?: number;
  readonly stats: Readonly<Record<string, { min?: number | string | boolean | null; max?: number | string | boolean | null; nullCount?: number }>>;
}

export interface CsvOptions {
  readonly header: boolean;
  readonly delimiter: string;
}

/** Where a source's rows come from. */
export type Source =
  /** Blocks already in the object plane (createDataFrame, a cached result): one ref id per partition. */
  /**
   * `holders`: per block, the worker whose engine keeps it as a table ('' when none: a cache's tasks keep their
   * blocks where they ran). A hint only: a stage over the blocks reads each worker's in one task (compileStage.ts).
   * `blockRows`: per block, its rows (a cache's; a limit over the blocks reads only the leading ones it needs).
   */
  | { readonly kind: 'blocks'; readonly blocks: readonly string[]; readonly rows: number; readonly bytes: number; readonly holders?: readonly string[]; readonly blockRows?: readonly number[] }
  | { readonly kind: 'range'; readonly start: number; readonly end: number; readonly step: number; readonly partitions: number }
  | { readonly kind: 'parquet'; readonly files: readonly DataFile[] }
  | { readonly kind: 'csv'; readonly files: readonly DataFile[]; readonly options: CsvOptions }
  | { readonly kind: 'json'; readonly files: readonly DataFile[] }
  /** Physical plans only: the blocks another stage wrote, read through an exchange. */
  | { readonly kind: 'stage'; readonly stage: number }
  /** A file source not yet listed (its schema is known once the session resolves it, before anything runs). */
  | { readonly kind: 'pending'; readonly id: number; readonly what: string }
  /** A cached DataFrame: computed at the first action that needs it, then read from its kept blocks. */
  | { readonly kind: 'cached'; readonly id: number };

export type Plan =
  | {
      readonly kind: 'source';
      readonly source: Source;
      /** The source's full schema. */
      readonly schema: Schema;
      /** Projection pushed into the scan (null: every column). */
      readonly columns: readonly string[] | null;
      /** Predicates pushed into the scan (applied while reading; Parquet row groups pruned by them). */
      readonly filters: readonly Expr[];
    }
  | { readonly kind: 'project'; readonly input: Plan; readonly exprs: readonly Expr[] }
  | { readonly kind: 'filter'; readonly input: Plan; readonly predicate: Expr }
  | { readonly kind: 'aggregate'; readonly input: Plan; readonly groupBy: readonly Expr[]; readonly aggs: readonly Expr[] }
  /** `on` is an arbitrary condition; `using` lists same-named key columns (Spark's `join(other, 'id')`), kept once in the output. */
  | { readonly kind: 'join'; readonly left: Plan; readonly right: Plan; readonly how: JoinType; readonly on: Expr | null; readonly using: readonly string[] | null }
  | { readonly kind: 'sort'; readonly input: Plan; readonly keys: readonly SortKey[] }
  | { readonly kind: 'limit'; readonly input: Plan; readonly n: number; readonly offset: number }
  /** Rows distinct on `subset` (all columns when null); dropDuplicates keeps the first row of each. */
  | { readonly kind: 'distinct'; readonly input: Plan; readonly subset: readonly string[] | null }
  /** UNION ALL by position (Spark's union). */
  | { readonly kind: 'union'; readonly inputs: readonly Plan[] }
  /** Hash-partition by `keys` into `n` partitions (round-robin when keys are empty). */
  | { readonly kind: 'repartition'; readonly input: Plan; readonly n: number; readonly keys: readonly Expr[] }
  /** User code over each partition: an Arrow Table in, one out. `fn` is the function's source. */
  | { readonly kind: 'mapPartitions'; readonly input: Plan; readonly fn: string; readonly schema: Schema | null }
  /** Window expressions (aliased) appended to the input's columns. */
  | { readonly kind: 'window'; readonly input: Plan; readonly exprs: readonly Expr[] }
  /** A name for the input's columns (SQL `FROM t AS x`, a subquery's alias). */
  | { readonly kind: 'subqueryAlias'; readonly input: Plan; readonly alias: string };

export type PlanKind = Plan['kind'];

/** The direct inputs of a node. */
export function inputs(plan: Plan): Plan[] {
  switch (plan.kind) {
    case 'source':
      return [];
    case 'join':
      return [plan.left, plan.right];
    case 'union':
      return [...plan.inputs];
    default:
      return [plan.input];
  }
}

/** The same node over new inputs (same order as `inputs`). */
export function withInputs(plan: Plan, next: readonly Plan[]): Plan {
  switch (plan.kind) {
    case 'source':
      return plan;
    case 'join':
      return { ...plan, left: next[0]!, right: next[1]! };
    case 'union':
      return { ...plan, inputs: [...next] };
    default:
      return { ...plan, input: next[0]! };
  }
}

/** Applies `rule` to every node bottom-up until the tree stops changing (at most `maxPasses`). */
export function transformUp(plan: Plan, rule: (plan: Plan) => Plan): Plan {
  const kids = inputs(plan);
  const mapped = kids.map((k) => transformUp(k, rule));
  const rebuilt = mapped.every((m, i) => m === kids[i]) ? plan : withInputs(plan, mapped);
  return rule(rebuilt);
}

/** Applies `rule` top-down: to a node first, then to the inputs of what it returned. */
export function transformDown(plan: Plan, rule: (plan: Plan) => Plan): Plan {
  const next = rule(plan);
  const kids = inputs(next);
  const mapped = kids.map((k) => transformDown(k, rule));
  return mapped.every((m, i) => m === kids[i]) ? next : withInputs(next, mapped);
}
