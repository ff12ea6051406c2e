/**
 * DataFrame: PySpark's API in camelCase over a lazy logical plan. Each
 * transformation returns a new DataFrame whose plan is checked at once
 * (unknown columns and type errors throw before anything runs; for file
 * sources, at the first action, once their schema is read). Actions run the
 * plan on the cluster through the session.
 */
import type * as arrow from 'apache-arrow';
import type { WriteMode } from '@shoal/data';
import { ShoalError } from '@shoal/protocol';
import { analyze } from './analyze.ts';
import { Column, SortColumn, colExpr, normalizeType, sortKey, type ColumnLike } from './column.ts';
import { hasWindow, transform, type Expr } from './expr.ts';
import { GroupedData } from './groupedData.ts';
import { exprName } from './naming.ts';
import { JOIN_TYPES, type JoinType, type Plan, type Schema } from './plan.ts';
import { blocksToTable, tableToRows } from './rows.ts';
import { Session } from './session.ts';
import { parseExpression } from './sql/index.ts';
import { formatTable } from './show.ts';
import { DataFrameWriter } from './writer.ts';

export type ColumnArg = string | Column;

/** A SQL expression string or a Column. */
function exprArg(v: string | Column): Expr {
  return typeof v === 'string' ? parseExpression(v) : v.expr;
}

export class DataFrame {
  /** @internal */
  constructor(
    readonly session: Session,
    readonly plan: Plan,
  ) {
    if (!Session.hasPending(plan)) analyze(plan); // errors at plan time
  }

  private next(plan: Plan): DataFrame {
    return new DataFrame(this.session, plan);
  }

  // ---- schema ----
  /** Output columns and types. For a file source, known after the first action (or `await df.load()`). */
  get schema(): Schema {
    if (Session.hasPending(this.plan)) throw new ShoalError('ERR_BAD_OPTION', 'the schema of a file source is read at its first action: `df = await df.load()` first');
    return analyze(this.plan).schema.map(({ name, type }) => ({ name, type }));
  }
  get columns(): string[] {
    return this.schema.map((f) => f.name);
  }
  get dtypes(): [string, string][] {
    return this.schema.map((f) => [f.name, f.type]);
  }
  /** Lists file sources' files and reads their schemas, so `schema`/`columns` work. */
  async load(): Promise<DataFrame> {
    return this.next(await this.session.resolve(this.plan));
  }

  // ---- transformations ----
  select(...cols: (ColumnArg | ColumnArg[])[]): DataFrame {
    return this.next(this.project(cols.flat().map(colExpr)));
  }
  selectExpr(...exprs: string[]): DataFrame {
    return this.next(this.project(exprs.map(parseExpression)));
  }
  /** A projection; window expressions in it are computed by a window node below (their partitions exchanged first). */
  private project(exprs: Expr[]): Plan {
    if (!exprs.some(hasWindow)) return { kind: 'project', input: this.plan, exprs };
    const windows: Expr[] = [];
    const lifted = exprs.map((e) =>
      transform(e, (x) => {
        if (x.kind !== 'window') return x;
        const name = `__w${windows.length}`;
        windows.push({ kind: 'alias', arg: x, name });
        return { kind: 'col', name };
      }),
    );
    const named = exprs.map((e, i): Expr => (lifted[i]!.kind === 'col' && e.kind !== 'col' ? { kind: 'alias', arg: lifted[i]!, name: exprName(e) } : lifted[i]!));
    const names = this.namesOrNull();
    const expanded = named.flatMap((e): Expr[] => (e.kind === 'star' && !e.table && names ? names.map((n) => ({ kind: 'col', name: n })) : [e]));
    return { kind: 'project', input: { kind: 'window', input: this.plan, exprs: windows }, exprs: expanded };
  }
  filter(condition: string | Column): DataFrame {
    return this.next({ kind: 'filter', input: this.plan, predicate: exprArg(condition) });
  }
  where(condition: string | Column): DataFrame {
    return this.filter(condition);
  }
  withColumn(name: string, value: Column | string): DataFrame {
    const expr: Expr = { kind: 'alias', arg: exprArg(value), name };
    const names = this.namesOrNull();
    if (hasWindow(expr)) {
      const cols: Expr[] = (names ?? []).map((n) => (n === name ? expr : { kind: 'col', name: n }));
      return this.next(this.project(names ? (names.includes(name) ? cols : [...cols, expr]) : [{ kind: 'star' }, expr]));
    }
    if (names && names.includes(name)) return this.next({ kind: 'project', input: this.plan, exprs: names.map((n) => (n === name ? expr : { kind: 'col', name: n })) });
    return this.next({ kind: 'project', input: this.plan, exprs: [{ kind: 'star' }, expr] });
  }
  withColumnRenamed(existing: string, name: string): DataFrame {
    const names = this.requireNames('withColumnRenamed');
    if (!names.includes(existing)) return this;
    return this.next({ kind: 'project', input: this.plan, exprs: names.map((n): Expr => (n === existing ? { kind: 'alias', arg: { kind: 'col', name: n }, name } : { kind: 'col', name: n })) });
  }
  drop(...cols: string[]): DataFrame {
    const names = this.requireNames('drop');
    return this.next({ kind: 'project', input: this.plan, exprs: names.filter((n) => !cols.includes(n)).map((n): Expr => ({ kind: 'col', name: n })) });
  }
  groupBy(...cols: (ColumnArg | ColumnArg[])[]): GroupedData {
    return new GroupedData(this, cols.flat().map(colExpr));
  }
  groupby(...cols: (ColumnArg | ColumnArg[])[]): GroupedData {
    return this.groupBy(...cols);
  }
  /** Aggregates over all rows: `df.agg({value: 'avg'})` or `df.agg(avg('value'))`. */
  agg(...aggs: (Record<string, string> | Column)[]): DataFrame {
    return this.groupBy().agg(...aggs);
  }
  /** `join(other, 'id' | ['a', 'b'] | condition, how = 'inner')`; how also accepts Spark's aliases (left_outer, leftsemi...). */
  join(other: DataFrame, on?: string | string[] | Column, how: string = 'inner'): DataFrame {
    const kind = joinType(how);
    const using = typeof on === 'string' ? [on] : Array.isArray(on) ? on : null;
    const cond = on instanceof Column ? on.expr : null;
    return this.next({ kind: 'join', left: this.plan, right: other.plan, how: kind, on: cond, using });
  }
  crossJoin(other: DataFrame): DataFrame {
    return this.next({ kind: 'join', left: this.plan, right: other.plan, how: 'inner', on: null, using: null });
  }
  orderBy(...cols: (string | Column | SortColumn | (string | Column | SortColumn)[])[]): DataFrame {
    const last = cols[cols.length - 1];
    let ascending: boolean | boolean[] | undefined;
    if (last && typeof last === 'object' && !(last instanceof Column) && !(last instanceof SortColumn) && !Array.isArray(last)) {
      ascending = (cols.pop() as { ascending?: boolean | boolean[] }).ascending;
    }
    const keys = (cols.flat() as (string | Column | SortColumn)[]).map((c, i) => {
      const k = sortKey(c);
      const asc = Array.isArray(ascending) ? ascending[i] : ascending;
      return asc === undefined || c instanceof SortColumn ? k : { ...k, ascending: asc, nullsFirst: asc };
    });
    return this.next({ kind: 'sort', input: this.plan, keys });
  }
  sort(...cols: (string | Column | SortColumn | (string | Column | SortColumn)[])[]): DataFrame {
    return this.orderBy(...cols);
  }
  limit(n: number): DataFrame {
    if (!Number.isInteger(n) || n < 0) throw new ShoalError('ERR_BAD_OPTION', `limit() takes a whole number ≥ 0, got ${n}`);
    return this.next({ kind: 'limit', input: this.plan, n, offset: 0 });
  }
  distinct(): DataFrame {
    return this.next({ kind: 'distinct', input: this.plan, subset: null });
  }
  dropDuplicates(subset?: string[]): DataFrame {
    return this.next({ kind: 'distinct', input: this.plan, subset: subset?.length ? subset : null });
  }
  union(other: DataFrame): DataFrame {
    return this.next({ kind: 'union', inputs: [this.plan, other.plan] });
  }
  unionAll(other: DataFrame): DataFrame {
    return this.union(other);
  }
  repartition(n: number, ...cols: ColumnArg[]): DataFrame {
    if (!Number.isInteger(n) || n < 1) throw new ShoalError('ERR_BAD_OPTION', `repartition() takes a partition count ≥ 1, got ${n}`);
    return this.next({ kind: 'repartition', input: this.plan, n, keys: cols.map(colExpr) });
  }
  /** User code per partition: `fn(table, ctx)` gets an Arrow Table and returns one. Self-contained, as task functions are. */
  mapPartitions(fn: (table: arrow.Table, ctx: unknown) => arrow.Table | Promise<arrow.Table>, schema?: Schema | Record<string, string>): DataFrame {
    if (typeof fn !== 'function') throw new ShoalError('ERR_BAD_FUNCTION', `mapPartitions() takes a function, got ${typeof fn}`);
    const given: Schema | null = !schema ? null : Array.isArray(schema) ? (schema as Schema) : Object.entries(schema).map(([name, type]) => ({ name, type: normalizeType(type) }));
    return this.next({ kind: 'mapPartitions', input: this.plan, fn: Function.prototype.toString.call(fn), schema: given });
  }

  /** Runs the plan once, at the next action, and keeps its partitions on the workers for later actions. */
  cache(): DataFrame {
    const schema = Session.hasPending(this.plan) ? [] : this.schema;
    return this.next(this.session.addCache(this.plan, schema));
  }
  persist(): DataFrame {
    return this.cache();
  }
  /** Releases a cache's partitions; the returned DataFrame recomputes from the source. */
  unpersist(): DataFrame {
    const original = this.session.dropCache(this.plan);
    return original ? this.next(original) : this;
  }
  createOrReplaceTempView(name: string): void {
    this.session.views.set(name, this.plan);
  }
  createTempView(name: string): void {
    if (this.session.views.has(name)) throw new ShoalError('ERR_BAD_OPTION', `temp view '${name}' already exists`);
    this.createOrReplaceTempView(name);
  }

  // ---- actions ----
  /** The result as one Arrow Table. */
  async toArrow(): Promise<arrow.Table> {
    return this.arrowFor('toArrow');
  }
  /** The result as one Arrow Table, run as the query named `action` (the dashboard's Queries view shows it). */
  private async arrowFor(action: string): Promise<arrow.Table> {
    const run = await this.session.run(this.plan, action);
    const ids = run.result.tasks.flatMap((t) => t.blocks);
    const handles = ids.map((id) => run.refs.get(id));
    const blocks = (await this.session.cluster.get(handles)) as Uint8Array[];
    this.session.cluster.free(handles);
    // A distinct gather's blocks are its input's, read under the output's names (distinctGather.ts).
    return blocksToTable(blocks, run.result.names);
  }
  async collect(): Promise<Record<string, unknown>[]> {
    return tableToRows(await this.arrowFor('collect'));
  }
  async toArray(): Promise<Record<string, unknown>[]> {
    return this.collect();
  }
  async count(): Promise<number> {
    const rows = await this.next({ kind: 'aggregate', input: this.plan, groupBy: [], aggs: [{ kind: 'alias', arg: { kind: 'agg', fn: 'count', arg: null }, name: 'count' }] }).rowsFor('count');
    return Number(rows[0]?.['count'] ?? 0);
  }
  async head(n = 1): Promise<Record<string, unknown>[]> {
    return this.limit(n).rowsFor(`head(${n})`);
  }
  private async rowsFor(action: string): Promise<Record<string, unknown>[]> {
    return tableToRows(await this.arrowFor(action));
  }
  async take(n: number): Promise<Record<string, unknown>[]> {
    return this.head(n);
  }
  async first(): Promise<Record<string, unknown> | null> {
    return (await this.head(1))[0] ?? null;
  }
  /** The first `n` rows as a text table (also logged), as Spark's show(). */
  async show(n = 20, truncate: boolean | number = true): Promise<string> {
    const rows = await this.limit(n + 1).rowsFor(`show(${n})`);
    const names = Session.hasPending(this.plan) ? Object.keys(rows[0] ?? {}) : this.columns;
    const text = formatTable(names, rows.slice(0, n), truncate === true ? 20 : truncate === false ? 0 : truncate, rows.length > n ? n : null);
    console.log(text);
    return text;
  }
  /** The logical, analyzed, optimized and physical plans as text. */
  async explain(): Promise<string> {
    return this.session.explain(await this.session.prepare(this.plan));
  }
  get write(): DataFrameWriter {
    return new DataFrameWriter(this);
  }

  /** @internal Writes the result into the data folder (DataFrameWriter's back end). */
  async writeFiles(dir: string, format: 'parquet' | 'csv', mode: WriteMode): Promise<void> {
    await this.session.run(this.plan, `write.${format}(${dir})`, { dir, format, mode });
  }

  private namesOrNull(): string[] | null {
    return Session.hasPending(this.plan) ? null : this.columns;
  }
  private requireNames(what: string): string[] {
    const names = this.namesOrNull();
    if (!names) throw new ShoalError('ERR_BAD_OPTION', `${what}() on a file source needs its schema: \`df = await df.load()\` first`);
    return names;
  }
}

export function joinType(how: string): JoinType {
  const aliases: Record<string, JoinType> = { inner: 'inner', left: 'left', leftouter: 'left', left_outer: 'left', right: 'right', rightouter: 'right', right_outer: 'right', full: 'full', outer: 'full', fullouter: 'full', full_outer: 'full', semi: 'semi', leftsemi: 'semi', left_semi: 'semi', anti: 'anti', leftanti: 'anti', left_anti: 'anti' };
  const kind = aliases[how.toLowerCase()];
  if (!kind) throw new ShoalError('ERR_BAD_OPTION', `unknown join type '${how}'; valid ones are ${JOIN_TYPES.join(', ')} (and Spark's aliases such as left_outer, leftsemi)`);
  return kind;
}

export { exprName };
export type { ColumnLike };
