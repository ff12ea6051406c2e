/**
 * What `df.groupBy(...)` returns (PySpark's GroupedData): `agg` in its dict
 * form (`{price: 'avg'}`, outputs named as Spark's `avg(price)`) or with
 * Columns (`sum('v').alias('total')`), and the shortcuts sum/mean/avg/min/
 * max/count.
 */
import { ShoalError } from '@shoal/protocol';
import { Column } from './column.ts';
import { AGG_FUNCTIONS, type AggFunction, type Expr } from './expr.ts';
import type { DataFrame } from './dataframe.ts';

const NAMES: Record<string, AggFunction> = { mean: 'avg', std: 'stddev', stddev_samp: 'stddev', var: 'variance', var_samp: 'variance', count_distinct: 'countDistinct', countdistinct: 'countDistinct' };

export function aggFunction(name: string): AggFunction {
  const fn = (NAMES[name.toLowerCase()] ?? name) as AggFunction;
  if (!(AGG_FUNCTIONS as readonly string[]).includes(fn) || fn === 'corr') {
    throw new ShoalError('ERR_BAD_OPTION', `unknown aggregate '${name}'; valid ones are sum, avg, mean, count, min, max, stddev, variance, countDistinct, first, median`);
  }
  return fn;
}

export class GroupedData {
  constructor(
    private readonly df: DataFrame,
    private readonly keys: readonly Expr[],
  ) {}

  agg(...aggs: (Record<string, string> | Column)[]): DataFrame {
    const exprs: Expr[] = aggs.flatMap((a) => {
      if (a instanceof Column) return [a.expr];
      if (a === null || typeof a !== 'object') throw new ShoalError('ERR_BAD_OPTION', `agg() takes {column: 'fn'} objects or Columns, got ${a === null ? 'null' : typeof a}`);
      return Object.entries(a).map(([column, fn]): Expr => ({ kind: 'agg', fn: aggFunction(fn), arg: column === '*' ? null : { kind: 'col', name: column } }));
    });
    if (exprs.length === 0) throw new ShoalError('ERR_BAD_OPTION', 'agg() needs at least one aggregate');
    return this.build(exprs);
  }
  count(): DataFrame {
    return this.build([{ kind: 'alias', arg: { kind: 'agg', fn: 'count', arg: null }, name: 'count' }]);
  }
  sum(...cols: string[]): DataFrame { return this.each('sum', cols); }
  avg(...cols: string[]): DataFrame { return this.each('avg', cols); }
  mean(...cols: string[]): DataFrame { return this.each('avg', cols); }
  min(...cols: string[]): DataFrame { return this.each('min', cols); }
  max(...cols: string[]): DataFrame { return this.each('max', cols); }

  private each(fn: AggFunction, cols: string[]): DataFrame {
    const names = cols.length ? cols : this.numericColumns();
    return this.build(names.map((c): Expr => ({ kind: 'agg', fn, arg: { kind: 'col', name: c } })));
  }
  private numericColumns(): string[] {
    const keys = new Set(this.keys.map((k) => (k.kind === 'col' ? k.name : '')));
    return this.df.schema.filter((f) => ['int', 'bigint', 'float', 'double'].includes(f.type) && !keys.has(f.name)).map((f) => f.name);
  }
  private build(aggs: Expr[]): DataFrame {
    const next = { kind: 'aggregate' as const, input: this.df.plan, groupBy: this.keys, aggs };
    return new (this.df.constructor as new (s: DataFrame['session'], p: DataFrame['plan']) => DataFrame)(this.df.session, next);
  }
}
