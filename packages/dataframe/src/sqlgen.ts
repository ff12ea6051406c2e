/**
 * SQL text for the per-partition engine (DuckDB): expressions, and a stage's
 * pipeline (an analyzed plan fragment whose leaves are scans or exchange
 * reads) as one query. Each node becomes `SELECT ... FROM (<input>) AS _tN`;
 * DuckDB's optimizer flattens the nesting, so the stage runs as one
 * vectorized pipeline and its data never leaves the engine in between.
 */
import { ShoalError } from '@shoal/protocol';
import { transform, type DataType, type Expr, type Literal, type SortKey } from './expr.ts';
import type { Plan, Schema } from './plan.ts';
import { schemaOf } from './analyze.ts';
import { typeOf } from './types.ts';

export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;
export const quoteString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

export const DUCKDB_TYPE: Record<DataType, string> = {
  boolean: 'BOOLEAN',
  int: 'INTEGER',
  bigint: 'BIGINT',
  float: 'FLOAT',
  double: 'DOUBLE',
  string: 'VARCHAR',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  null: 'INTEGER',
  'double[]': 'DOUBLE[]',
};

export function literalSql(value: Literal): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'string') return quoteString(value);
  if (!Number.isFinite(value)) return `CAST('${value > 0 ? 'inf' : value < 0 ? '-inf' : 'nan'}' AS DOUBLE)`;
  return Number.isInteger(value) && Math.abs(value) > 2147483647 ? `${value}::BIGINT` : String(value);
}

const FN_SQL: Record<string, string> = { startswith: 'starts_with', endswith: 'ends_with', log: 'ln', substring: 'substr', ceiling: 'ceil', power: 'pow' };

function sortKeySql(k: SortKey, schema: Schema): string {
  return `${exprSql(k.expr, schema)} ${k.ascending ? 'ASC' : 'DESC'} NULLS ${k.nullsFirst ? 'FIRST' : 'LAST'}`;
}

/** DuckDB SQL for `e` over an input with `schema` (needed to pick result types as Spark's). */
export function exprSql(e: Expr, schema: Schema): string {
  const r = (x: Expr): string => exprSql(x, schema);
  switch (e.kind) {
    case 'col':
      return e.table ? `${e.table}.${quoteIdent(e.name)}` : quoteIdent(e.name);
    case 'star':
      return '*';
    case 'lit':
      return literalSql(e.value);
    case 'alias':
      return `${r(e.arg)} AS ${quoteIdent(e.name)}`;
    case 'binary': {
      const op = e.op === 'and' ? 'AND' : e.op === 'or' ? 'OR' : e.op === '%' ? '%' : e.op;
      if (e.op === '/') return `(CAST(${r(e.left)} AS DOUBLE) / ${r(e.right)})`;
      return `(${r(e.left)} ${op} ${r(e.right)})`;
    }
    case 'unary':
      if (e.op === 'not') return `(NOT ${r(e.arg)})`;
      if (e.op === 'neg') return `(- ${r(e.arg)})`;
      return `(${r(e.arg)} IS ${e.op === 'isNull' ? 'NULL' : 'NOT NULL'})`;
    case 'in':
      return `(${r(e.arg)} ${e.negated ? 'NOT ' : ''}IN (${e.values.map(r).join(', ')}))`;
    case 'between':
      return `(${r(e.arg)} ${e.negated ? 'NOT ' : ''}BETWEEN ${r(e.low)} AND ${r(e.high)})`;
    case 'like':
      return `(${r(e.arg)} ${e.negated ? 'NOT ' : ''}LIKE ${quoteString(e.pattern)})`;
    case 'case':
      return `(CASE ${e.whens.map((w) => `WHEN ${r(w.when)} THEN ${r(w.then)}`).join(' ')}${e.otherwise ? ` ELSE ${r(e.otherwise)}` : ''} END)`;
    case 'cast': {
      // Spark truncates a fractional number cast to an integer; DuckDB would round it.
      const from = typeOf(e.arg, schema);
      const truncate = (e.to === 'int' || e.to === 'bigint') && (from === 'double' || from === 'float');
      return `CAST(${truncate ? `trunc(${r(e.arg)})` : r(e.arg)} AS ${DUCKDB_TYPE[e.to]})`;
    }
    case 'call': {
      const args = e.args.map(r);
      if (e.fn === 'to_date') return `CAST(${args[0]} AS DATE)`;
      if (e.fn === 'dayofweek') return `(dayofweek(${args[0]}) + 1)`;
      if (e.fn === 'hash') return `CAST(hash(${args.join(', ')}) >> 1 AS BIGINT)`;
      if (e.fn === 'length') return `CAST(length(${args[0]}) AS INTEGER)`;
      if (['year', 'month', 'day', 'dayofmonth', 'hour', 'minute', 'second', 'dayofyear', 'quarter', 'weekofyear'].includes(e.fn)) return `CAST(${e.fn}(${args[0]}) AS INTEGER)`;
      return `${FN_SQL[e.fn] ?? e.fn}(${args.join(', ')})`;
    }
    case 'agg':
      return aggSql(e, schema, '');
    case 'window': {
      const parts = [
        e.partitionBy.length ? `PARTITION BY ${e.partitionBy.map(r).join(', ')}` : '',
        e.orderBy.length ? `ORDER BY ${e.orderBy.map((k) => sortKeySql(k, schema)).join(', ')}` : '',
      ].filter(Boolean);
      const over = ` OVER (${parts.join(' ')})`;
      if (e.fn.kind === 'agg') return `(${aggSql(e.fn, schema, over)})`;
      const fn = e.fn.kind === 'call' && ['row_number', 'rank', 'dense_rank'].includes(e.fn.fn) ? `${e.fn.fn}()` : r(e.fn);
      return `(${fn}${over})`;
    }
  }
}

/** An aggregate call, with `over` (` OVER (...)` or empty) placed inside the result cast. */
function aggSql(e: Extract<Expr, { kind: 'agg' }>, schema: Schema, over: string): string {
  const r = (x: Expr): string => exprSql(x, schema);
  const out = DUCKDB_TYPE[typeOf(e, schema)];
      const arg = e.arg === null || e.arg.kind === 'star' ? '*' : r(e.arg);
      switch (e.fn) {
        case 'count':
          return `CAST(count(${e.distinct ? 'DISTINCT ' : ''}${arg})${over} AS BIGINT)`;
        case 'countDistinct':
          return `CAST(count(DISTINCT ${arg})${over} AS BIGINT)`;
        case 'stddev':
          return `stddev_samp(${arg})${over}`;
        case 'variance':
          return `var_samp(${arg})${over}`;
        case 'corr':
          return `corr(${arg}, ${r(e.args![0]!)})${over}`;
        case 'collect':
          return `list(CAST(${arg} AS DOUBLE)) FILTER (WHERE (${arg}) IS NOT NULL)${over}`;
        case 'medianOfLists':
          return `list_aggregate(flatten(list(${arg})${over}), 'median')`;
        case 'comoment':
          return e.args?.length ? `regr_sxy(${r(e.args[0]!)}, ${arg})${over}` : `regr_sxx(${arg}, ${arg})${over}`;
        case 'first':
          return `first(${arg})${over}`;
        default:
          return `CAST(${e.fn}(${e.distinct ? 'DISTINCT ' : ''}${arg})${over} AS ${out})`;
      }
}

/** How a stage's leaves read: the SQL of each scan or exchange read, for this task. */
export type LeafSql = (leaf: Extract<Plan, { kind: 'source' }>) => string;

let counter = 0;
const sub = (sql: string): string => `(${sql}) AS _t${++counter}`;

/** One query computing `plan` (an analyzed pipeline) for one task. */
export function planSql(plan: Plan, leaf: LeafSql): string {
  const from = (input: Plan): string => sub(planSql(input, leaf));
  switch (plan.kind) {
    case 'source': {
      const columns = plan.columns ? plan.columns.map(quoteIdent).join(', ') : '*';
      const where = plan.filters.length ? ` WHERE ${plan.filters.map((f) => exprSql(f, plan.schema)).join(' AND ')}` : '';
      return `SELECT ${columns} FROM ${leaf(plan)}${where}`;
    }
    case 'project': {
      const schema = schemaOf(plan.input);
      return `SELECT ${plan.exprs.map((e) => exprSql(e, schema)).join(', ')} FROM ${from(plan.input)}`;
    }
    case 'filter':
      return `SELECT * FROM ${from(plan.input)} WHERE ${exprSql(plan.predicate, schemaOf(plan.input))}`;
    case 'aggregate': {
      const schema = schemaOf(plan.input);
      const items = [...plan.groupBy, ...plan.aggs].map((e) => exprSql(e, schema));
      const keys = plan.groupBy.map((g) => exprSql(g.kind === 'alias' ? g.arg : g, schema));
      return `SELECT ${items.join(', ')} FROM ${from(plan.input)}${keys.length ? ` GROUP BY ${keys.join(', ')}` : ''}`;
    }
    case 'window': {
      const schema = schemaOf(plan.input);
      return `SELECT *, ${plan.exprs.map((e) => exprSql(e, schema)).join(', ')} FROM ${from(plan.input)}`;
    }
    case 'sort': {
      const schema = schemaOf(plan.input);
      return `SELECT * FROM ${from(plan.input)} ORDER BY ${plan.keys.map((k) => sortKeySql(k, schema)).join(', ')}`;
    }
    case 'limit':
      return `SELECT * FROM ${from(plan.input)} LIMIT ${plan.n}${plan.offset ? ` OFFSET ${plan.offset}` : ''}`;
    case 'distinct': {
      if (!plan.subset) return `SELECT DISTINCT * FROM ${from(plan.input)}`;
      return `SELECT DISTINCT ON (${plan.subset.map(quoteIdent).join(', ')}) * FROM ${from(plan.input)}`;
    }
    case 'union':
      return plan.inputs.map((p) => `SELECT * FROM ${from(p)}`).join(' UNION ALL ');
    case 'join':
      return joinSql(plan, leaf);
    case 'repartition':
    case 'mapPartitions':
    case 'subqueryAlias':
      throw new ShoalError('ERR_INTERNAL', `a ${plan.kind} node cannot run inside a stage's SQL`);
  }
}

/**
 * A map-side partial aggregate (partialAgg.ts) done row by row instead, for a partition whose keys are
 * mostly distinct (grouping would hardly shrink it, and costs more than it saves): each row becomes
 * its own partial group, with the same columns and types. `probe` answers `n` (up to the first 50 000 rows)
 * and `d` (an estimate of their distinct keys, HyperLogLog) for the task to choose.
 */
export function partialSkipSql(plan: Extract<Plan, { kind: 'aggregate' }>, leaf: LeafSql): { sql: string; probe: string } {
  const schema = schemaOf(plan.input);
  const keys = plan.groupBy.map((g) => exprSql(g.kind === 'alias' ? g.arg : g, schema));
  const items = plan.aggs.map((a) => {
    if (a.kind !== 'alias' || a.arg.kind !== 'agg') throw new ShoalError('ERR_INTERNAL', 'a partial aggregate item is not an aliased aggregate');
    const agg = a.arg;
    const name = quoteIdent(a.name);
    const arg = agg.arg === null || agg.arg.kind === 'star' ? null : exprSql(agg.arg, schema);
    if (agg.fn === 'count') return `CAST(${arg === null ? '1' : `(${arg}) IS NOT NULL`} AS BIGINT) AS ${name}`;
    if (arg === null) throw new ShoalError('ERR_INTERNAL', `partial ${agg.fn} without an argument`);
    if (agg.fn === 'first') return `${arg} AS ${name}`;
    if (agg.fn === 'collect') return `CASE WHEN (${arg}) IS NOT NULL THEN [CAST(${arg} AS DOUBLE)] END AS ${name}`;
    // One row's squared deviations from its own mean: 0 where the values are there.
    if (agg.fn === 'comoment') return `CASE WHEN (${arg}) IS NOT NULL${agg.args?.length ? ` AND (${exprSql(agg.args[0]!, schema)}) IS NOT NULL` : ''} THEN CAST(0 AS DOUBLE) END AS ${name}`;
    if (agg.fn === 'sum' || agg.fn === 'min' || agg.fn === 'max') return `CAST(${arg} AS ${DUCKDB_TYPE[typeOf(agg, schema)]}) AS ${name}`;
    throw new ShoalError('ERR_INTERNAL', `no row-by-row form of partial ${agg.fn}`);
  });
  const input = planSql(plan.input, leaf);
  return {
    sql: `SELECT ${[...plan.groupBy.map((e) => exprSql(e, schema)), ...items].join(', ')} FROM ${sub(input)}`,
    // The first 50 000 rows keep the probe cheap next to the aggregate (over all rows, or a Bernoulli sample, which
    // still reads them all, it cost q1 over half as much as its aggregate); their distinct keys are counted exactly
    // (an estimate's error of a few percent blurs K when nearly all are distinct), and the partition's rows too, so
    // the task can project how many groups the whole partition makes (stageTask.ts). Rows clustered by key show
    // fewer distinct keys, which keeps the partial aggregate: slower at worst, never wrong.
    probe: `SELECT count(*)::DOUBLE AS n, count(DISTINCT hash(${keys.join(', ')}))::DOUBLE AS d, (SELECT count(*) FROM ${sub(input)})::DOUBLE AS total FROM (SELECT * FROM ${sub(input)} LIMIT 50000)`,
  };
}

function joinSql(plan: Extract<Plan, { kind: 'join' }>, leaf: LeafSql): string {
  const left = schemaOf(plan.left);
  const right = schemaOf(plan.right);
  const l = `_l${++counter}`;
  const r = `_r${counter}`;
  // Names are unique across both sides after analysis, so each column says which side it is on.
  const leftNames = new Set(left.map((f) => f.name));
  const sides: Schema = [...left.map((f) => ({ ...f, qualifiers: [l] })), ...right.map((f) => ({ ...f, qualifiers: [r] }))];
  const qualify = (e: Expr): string => exprSql(transform(e, (x) => (x.kind === 'col' ? { kind: 'col', name: x.name, table: leftNames.has(x.name) ? l : r } : x)), sides);
  const conds: string[] = [];
  for (const k of plan.using ?? []) conds.push(`${l}.${quoteIdent(k)} = ${r}.${quoteIdent(k)}`);
  if (plan.on) conds.push(qualify(plan.on));
  const on = conds.length ? conds.join(' AND ') : 'TRUE';
  const kind = { inner: 'JOIN', left: 'LEFT JOIN', right: 'RIGHT JOIN', full: 'FULL JOIN', semi: 'SEMI JOIN', anti: 'ANTI JOIN' }[plan.how];
  const using = new Set(plan.using ?? []);
  const cols =
    plan.how === 'semi' || plan.how === 'anti'
      ? left.map((f) => `${l}.${quoteIdent(f.name)}`)
      : [
          ...left.map((f) =>
            using.has(f.name) && (plan.how === 'right' || plan.how === 'full')
              ? `coalesce(${l}.${quoteIdent(f.name)}, ${r}.${quoteIdent(f.name)}) AS ${quoteIdent(f.name)}`
              : `${l}.${quoteIdent(f.name)}`,
          ),
          ...right.filter((f) => !using.has(f.name)).map((f) => `${r}.${quoteIdent(f.name)}`),
        ];
  return `SELECT ${cols.join(', ')} FROM (${planSql(plan.left, leaf)}) AS ${l} ${kind} (${planSql(plan.right, leaf)}) AS ${r} ON ${on}`;
}

/** `CREATE TABLE` column list for an empty input of this schema. */
export function schemaDdl(schema: Schema): string {
  return schema.map((f) => `${quoteIdent(f.name)} ${DUCKDB_TYPE[f.type]}`).join(', ');
}
