/**
 * Expressions: plain, immutable data (JSON-able), shared by the DataFrame API,
 * the SQL front end, the optimizer and the SQL generator that feeds each
 * partition's engine. `Column` (column.ts) is the fluent builder users hold;
 * it wraps one of these.
 *
 * ```ts
 * // col('price').gt(100).and(col('category').eq('electronics'))
 * { kind: 'binary', op: 'and',
 *   left:  { kind: 'binary', op: '>', left: { kind: 'col', name: 'price' }, right: { kind: 'lit', value: 100 } },
 *   right: { kind: 'binary', op: '=', left: { kind: 'col', name: 'category' }, right: { kind: 'lit', value: 'electronics' } } }
 * ```
 */

/** Spark's type names (what `dtypes` reports and `cast` accepts). */
export const DATA_TYPES = ['boolean', 'int', 'bigint', 'float', 'double', 'string', 'date', 'timestamp', 'null'] as const;
/** `double[]` is internal: a partial median's list of values (partialAgg.ts); no cast or schema names it. */
export type DataType = (typeof DATA_TYPES)[number] | 'double[]';

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '=' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or';
export type UnaryOp = 'not' | 'neg' | 'isNull' | 'isNotNull';

/** Aggregate functions (the names `agg({col: name})` accepts, plus `avg`'s alias `mean`). */
export const AGG_FUNCTIONS = ['sum', 'avg', 'count', 'min', 'max', 'stddev', 'variance', 'countDistinct', 'first', 'median', 'corr'] as const;
/**
 * Internal ones, which no API or SQL name reaches (partialAgg.ts, the two sides of an exchange):
 * - `comoment`: Σ(x − x̄)(y − ȳ) over the rows where x (and y, in `args[0]`) are not null, or Σ(x − x̄)² with
 *   no `args` (the map side of stddev, variance and corr);
 * - `collect`: the group's non-null values as a `double[]` list, and `medianOfLists`: the median of the
 *   values in a group's lists (the two sides of median).
 */
export type AggFunction = (typeof AGG_FUNCTIONS)[number] | 'comoment' | 'collect' | 'medianOfLists';

/** Window-only functions (aggregates may also run over a window). */
export const WINDOW_FUNCTIONS = ['row_number', 'rank', 'dense_rank'] as const;
export type WindowFunction = (typeof WINDOW_FUNCTIONS)[number];

export type Literal = string | number | boolean | null;

export interface SortKey {
  expr: Expr;
  ascending: boolean;
  /** Default as Spark: nulls first when ascending, last when descending. */
  nullsFirst: boolean;
}

export type Expr =
  /** A column; `table` is a SQL qualifier (`t.price`) or a join side's alias. */
  | { readonly kind: 'col'; readonly name: string; readonly table?: string }
  /** `*` (or `t.*`) in a projection or `count(*)`. */
  | { readonly kind: 'star'; readonly table?: string }
  /** A literal; dates and timestamps are strings cast with `cast`. */
  | { readonly kind: 'lit'; readonly value: Literal }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'unary'; readonly op: UnaryOp; readonly arg: Expr }
  /** Scalar function, by lower-case name: see SCALAR_FUNCTIONS in functions.ts. */
  | { readonly kind: 'call'; readonly fn: string; readonly args: readonly Expr[] }
  /** Aggregate; `arg` null for count(*); `args` extra arguments (corr's second column). */
  | { readonly kind: 'agg'; readonly fn: AggFunction; readonly arg: Expr | null; readonly distinct?: boolean; readonly args?: readonly Expr[] }
  | { readonly kind: 'in'; readonly arg: Expr; readonly values: readonly Expr[]; readonly negated?: boolean }
  | { readonly kind: 'between'; readonly arg: Expr; readonly low: Expr; readonly high: Expr; readonly negated?: boolean }
  | { readonly kind: 'like'; readonly arg: Expr; readonly pattern: string; readonly negated?: boolean }
  | { readonly kind: 'case'; readonly whens: readonly { readonly when: Expr; readonly then: Expr }[]; readonly otherwise: Expr | null }
  | { readonly kind: 'cast'; readonly arg: Expr; readonly to: DataType }
  | { readonly kind: 'alias'; readonly arg: Expr; readonly name: string }
  /** `fn(...) OVER (PARTITION BY ... ORDER BY ...)`; `fn` is an agg or a window-only call. */
  | { readonly kind: 'window'; readonly fn: Expr; readonly partitionBy: readonly Expr[]; readonly orderBy: readonly SortKey[] };

export const col = (name: string, table?: string): Expr => (table === undefined ? { kind: 'col', name } : { kind: 'col', name, table });
export const lit = (value: Literal): Expr => ({ kind: 'lit', value });
export const alias = (arg: Expr, name: string): Expr => ({ kind: 'alias', arg, name });
export const binary = (op: BinaryOp, left: Expr, right: Expr): Expr => ({ kind: 'binary', op, left, right });
export const and = (left: Expr, right: Expr): Expr => binary('and', left, right);

/** The direct sub-expressions of `e`, in order. */
export function children(e: Expr): Expr[] {
  switch (e.kind) {
    case 'col':
    case 'star':
    case 'lit':
      return [];
    case 'binary':
      return [e.left, e.right];
    case 'unary':
    case 'cast':
    case 'alias':
    case 'like':
      return [e.arg];
    case 'call':
      return [...e.args];
    case 'agg':
      return [...(e.arg ? [e.arg] : []), ...(e.args ?? [])];
    case 'in':
      return [e.arg, ...e.values];
    case 'between':
      return [e.arg, e.low, e.high];
    case 'case':
      return [...e.whens.flatMap((w) => [w.when, w.then]), ...(e.otherwise ? [e.otherwise] : [])];
    case 'window':
      return [e.fn, ...e.partitionBy, ...e.orderBy.map((k) => k.expr)];
  }
}

/** Rebuilds `e` bottom-up, replacing each node by `f(node with mapped children)`. */
export function transform(e: Expr, f: (e: Expr) => Expr): Expr {
  const m = (x: Expr): Expr => transform(x, f);
  let out: Expr;
  switch (e.kind) {
    case 'col':
    case 'star':
    case 'lit':
      out = e;
      break;
    case 'binary':
      out = { ...e, left: m(e.left), right: m(e.right) };
      break;
    case 'unary':
    case 'cast':
    case 'alias':
    case 'like':
      out = { ...e, arg: m(e.arg) };
      break;
    case 'call':
      out = { ...e, args: e.args.map(m) };
      break;
    case 'agg':
      out = { ...e, arg: e.arg ? m(e.arg) : null, ...(e.args ? { args: e.args.map(m) } : {}) };
      break;
    case 'in':
      out = { ...e, arg: m(e.arg), values: e.values.map(m) };
      break;
    case 'between':
      out = { ...e, arg: m(e.arg), low: m(e.low), high: m(e.high) };
      break;
    case 'case':
      out = { ...e, whens: e.whens.map((w) => ({ when: m(w.when), then: m(w.then) })), otherwise: e.otherwise ? m(e.otherwise) : null };
      break;
    case 'window':
      out = { ...e, fn: m(e.fn), partitionBy: e.partitionBy.map(m), orderBy: e.orderBy.map((k) => ({ ...k, expr: m(k.expr) })) };
      break;
  }
  return f(out);
}

/** True if `pred` holds for `e` or any node below it. */
export function some(e: Expr, pred: (e: Expr) => boolean): boolean {
  return pred(e) || children(e).some((c) => some(c, pred));
}

/** The column names `e` reads (unqualified), in first-use order. */
export function referencedColumns(e: Expr): string[] {
  const out = new Set<string>();
  const walk = (x: Expr): void => {
    if (x.kind === 'col') out.add(x.name);
    children(x).forEach(walk);
  };
  walk(e);
  return [...out];
}

export const hasAgg = (e: Expr): boolean => some(e, (x) => x.kind === 'agg') && !isWindowOnly(e);
const isWindowOnly = (e: Expr): boolean => e.kind === 'window';
export const hasWindow = (e: Expr): boolean => some(e, (x) => x.kind === 'window');

/** Splits `a AND b AND c` into its conjuncts. */
export function conjuncts(e: Expr): Expr[] {
  return e.kind === 'binary' && e.op === 'and' ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}

/** The AND of `parts`, or null for none. */
export function conjoin(parts: readonly Expr[]): Expr | null {
  return parts.length === 0 ? null : parts.reduce((a, b) => and(a, b));
}

/** Strips a top-level alias. */
export const unalias = (e: Expr): Expr => (e.kind === 'alias' ? e.arg : e);
