/**
 * Column: the fluent expression builder users hold (PySpark's Column, in
 * camelCase), wrapping a plain `Expr`. `cluster.col('price').gt(100)`.
 * Wherever a Column goes, a plain value is taken as a literal.
 */
import { ShoalError } from '@shoal/protocol';
import { DATA_TYPES, type AggFunction, type DataType, type Expr, type Literal, type SortKey } from './expr.ts';

export type ColumnLike = Column | Literal;

export class Column {
  /** @internal */
  constructor(readonly expr: Expr) {}

  private bin(op: Extract<Expr, { kind: 'binary' }>['op'], other: ColumnLike): Column {
    return new Column({ kind: 'binary', op, left: this.expr, right: toExpr(other) });
  }
  add(o: ColumnLike): Column { return this.bin('+', o); }
  sub(o: ColumnLike): Column { return this.bin('-', o); }
  mul(o: ColumnLike): Column { return this.bin('*', o); }
  div(o: ColumnLike): Column { return this.bin('/', o); }
  mod(o: ColumnLike): Column { return this.bin('%', o); }
  eq(o: ColumnLike): Column { return this.bin('=', o); }
  ne(o: ColumnLike): Column { return this.bin('!=', o); }
  lt(o: ColumnLike): Column { return this.bin('<', o); }
  le(o: ColumnLike): Column { return this.bin('<=', o); }
  gt(o: ColumnLike): Column { return this.bin('>', o); }
  ge(o: ColumnLike): Column { return this.bin('>=', o); }
  and(o: ColumnLike): Column { return this.bin('and', o); }
  or(o: ColumnLike): Column { return this.bin('or', o); }
  not(): Column { return new Column({ kind: 'unary', op: 'not', arg: this.expr }); }
  neg(): Column { return new Column({ kind: 'unary', op: 'neg', arg: this.expr }); }
  isNull(): Column { return new Column({ kind: 'unary', op: 'isNull', arg: this.expr }); }
  isNotNull(): Column { return new Column({ kind: 'unary', op: 'isNotNull', arg: this.expr }); }
  isIn(...values: (ColumnLike | ColumnLike[])[]): Column {
    return new Column({ kind: 'in', arg: this.expr, values: values.flat().map(toExpr) });
  }
  between(low: ColumnLike, high: ColumnLike): Column { return new Column({ kind: 'between', arg: this.expr, low: toExpr(low), high: toExpr(high) }); }
  like(pattern: string): Column { return new Column({ kind: 'like', arg: this.expr, pattern }); }
  cast(to: string): Column {
    const t = normalizeType(to);
    return new Column({ kind: 'cast', arg: this.expr, to: t });
  }
  alias(name: string): Column { return new Column({ kind: 'alias', arg: this.expr.kind === 'alias' ? this.expr.arg : this.expr, name }); }
  /** PySpark's `name`, an alias of alias. */
  name(name: string): Column { return this.alias(name); }
  // strings
  lower(): Column { return this.call('lower'); }
  upper(): Column { return this.call('upper'); }
  trim(): Column { return this.call('trim'); }
  length(): Column { return this.call('length'); }
  contains(s: ColumnLike): Column { return this.call('contains', s); }
  startsWith(s: ColumnLike): Column { return this.call('startswith', s); }
  endsWith(s: ColumnLike): Column { return this.call('endswith', s); }
  /** 1-based, as Spark's. */
  substr(start: number, length: number): Column { return this.call('substr', start, length); }
  // dates
  year(): Column { return this.call('year'); }
  month(): Column { return this.call('month'); }
  day(): Column { return this.call('day'); }
  dayOfWeek(): Column { return this.call('dayofweek'); }
  hour(): Column { return this.call('hour'); }
  // ordering
  asc(): SortColumn { return new SortColumn({ expr: this.expr, ascending: true, nullsFirst: true }); }
  desc(): SortColumn { return new SortColumn({ expr: this.expr, ascending: false, nullsFirst: false }); }
  ascNullsLast(): SortColumn { return new SortColumn({ expr: this.expr, ascending: true, nullsFirst: false }); }
  descNullsFirst(): SortColumn { return new SortColumn({ expr: this.expr, ascending: false, nullsFirst: true }); }
  /** `fn(...) OVER (...)`: `over({partitionBy, orderBy})`. */
  over(spec: { partitionBy?: (string | Column)[]; orderBy?: (string | Column | SortColumn)[] } = {}): Column {
    return new Column({ kind: 'window', fn: this.expr, partitionBy: (spec.partitionBy ?? []).map(colExpr), orderBy: (spec.orderBy ?? []).map(sortKey) });
  }
  private call(fn: string, ...args: ColumnLike[]): Column {
    return new Column({ kind: 'call', fn, args: [this.expr, ...args.map(toExpr)] });
  }
  toString(): string { return `Column<${JSON.stringify(this.expr)}>`; }
}

export class SortColumn {
  constructor(readonly key: SortKey) {}
}

export function normalizeType(to: string): DataType {
  const t = to.toLowerCase();
  const alias: Record<string, DataType> = { integer: 'int', long: 'bigint', str: 'string', varchar: 'string', bool: 'boolean', real: 'float' };
  const out = (alias[t] ?? t) as DataType;
  if (!(DATA_TYPES as readonly string[]).includes(out)) throw new ShoalError('ERR_BAD_OPTION', `unknown type '${to}'; valid ones are ${DATA_TYPES.filter((d) => d !== 'null').join(', ')}`);
  return out;
}

export function toExpr(v: ColumnLike): Expr {
  if (v instanceof Column) return v.expr;
  if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) return { kind: 'lit', value: v };
  throw new ShoalError('ERR_BAD_OPTION', `expected a Column or a literal (string, number, boolean, null), got ${typeof v}`);
}

/** A column argument: a name, or a Column. */
export function colExpr(v: string | Column): Expr {
  if (v instanceof Column) return v.expr;
  if (typeof v !== 'string') throw new ShoalError('ERR_BAD_OPTION', `expected a column name or a Column, got ${typeof v}`);
  if (v === '*') return { kind: 'star' };
  const dot = v.indexOf('.');
  if (dot > 0 && !v.includes(' ')) return { kind: 'col', name: v.slice(dot + 1), table: v.slice(0, dot) };
  return { kind: 'col', name: v };
}

export function sortKey(v: string | Column | SortColumn): SortKey {
  if (v instanceof SortColumn) return v.key;
  return { expr: colExpr(v), ascending: true, nullsFirst: true };
}

const agg = (fn: AggFunction) => (c: string | Column): Column => new Column({ kind: 'agg', fn, arg: c === '*' ? null : colExpr(c) });

/** The functions module (PySpark's `pyspark.sql.functions`), reached as `cluster.functions` and on `cluster` itself. */
export const functions = {
  col: (name: string): Column => new Column(colExpr(name)),
  lit: (value: Literal): Column => new Column({ kind: 'lit', value }),
  when: (condition: Column, value: ColumnLike): CaseBuilder => new CaseBuilder([{ when: condition.expr, then: toExpr(value) }]),
  sum: agg('sum'),
  avg: agg('avg'),
  mean: agg('avg'),
  min: agg('min'),
  max: agg('max'),
  count: agg('count'),
  countDistinct: agg('countDistinct'),
  stddev: agg('stddev'),
  variance: agg('variance'),
  first: agg('first'),
  median: agg('median'),
  corr: (a: string | Column, b: string | Column): Column => new Column({ kind: 'agg', fn: 'corr', arg: colExpr(a), args: [colExpr(b)] }),
  rowNumber: (): Column => new Column({ kind: 'call', fn: 'row_number', args: [] }),
  rank: (): Column => new Column({ kind: 'call', fn: 'rank', args: [] }),
  denseRank: (): Column => new Column({ kind: 'call', fn: 'dense_rank', args: [] }),
  upper: (c: string | Column): Column => new Column(colExpr(c)).upper(),
  lower: (c: string | Column): Column => new Column(colExpr(c)).lower(),
  length: (c: string | Column): Column => new Column(colExpr(c)).length(),
  year: (c: string | Column): Column => new Column(colExpr(c)).year(),
  month: (c: string | Column): Column => new Column(colExpr(c)).month(),
  dayofmonth: (c: string | Column): Column => new Column(colExpr(c)).day(),
  abs: (c: string | Column): Column => new Column({ kind: 'call', fn: 'abs', args: [colExpr(c)] }),
  round: (c: string | Column, digits = 0): Column => new Column({ kind: 'call', fn: 'round', args: [colExpr(c), { kind: 'lit', value: digits }] }),
  sqrt: (c: string | Column): Column => new Column({ kind: 'call', fn: 'sqrt', args: [colExpr(c)] }),
  coalesce: (...cs: (string | Column)[]): Column => new Column({ kind: 'call', fn: 'coalesce', args: cs.map(colExpr) }),
  asc: (c: string): SortColumn => new Column(colExpr(c)).asc(),
  desc: (c: string): SortColumn => new Column(colExpr(c)).desc(),
};

export class CaseBuilder extends Column {
  constructor(private readonly whens: { when: Expr; then: Expr }[], otherwise: Expr | null = null) {
    super({ kind: 'case', whens, otherwise });
  }
  when(condition: Column, value: ColumnLike): CaseBuilder {
    return new CaseBuilder([...this.whens, { when: condition.expr, then: toExpr(value) }]);
  }
  otherwise(value: ColumnLike): Column {
    return new Column({ kind: 'case', whens: this.whens, otherwise: toExpr(value) });
  }
}
