/**
 * Output column names as Spark gives them: `avg(price)`, `count(1)`,
 * `(price * 2)`, `CAST(x AS DOUBLE)`. An alias wins over all of these.
 */
import type { Expr, Literal } from './expr.ts';

const AGG_SQL_NAME: Record<string, string> = { countDistinct: 'count', stddev: 'stddev', variance: 'variance' };

function literalName(value: Literal): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return String(value);
}

const OP_NAME: Record<string, string> = { and: 'AND', or: 'OR', '!=': '!=' };

/** The name a column computed by `e` gets when it has no alias. */
export function exprName(e: Expr): string {
  switch (e.kind) {
    case 'alias':
      return e.name;
    case 'col':
      return e.name;
    case 'star':
      return e.table ? `${e.table}.*` : '*';
    case 'lit':
      return literalName(e.value);
    case 'binary':
      return `(${exprName(e.left)} ${OP_NAME[e.op] ?? e.op} ${exprName(e.right)})`;
    case 'unary':
      if (e.op === 'not') return `(NOT ${exprName(e.arg)})`;
      if (e.op === 'neg') return `(- ${exprName(e.arg)})`;
      return `(${exprName(e.arg)} IS ${e.op === 'isNull' ? 'NULL' : 'NOT NULL'})`;
    case 'call':
      return `${e.fn}(${e.args.map(exprName).join(', ')})`;
    case 'agg': {
      const fn = AGG_SQL_NAME[e.fn] ?? e.fn;
      const distinct = e.distinct || e.fn === 'countDistinct' ? 'DISTINCT ' : '';
      const args = [e.arg === null || e.arg.kind === 'star' ? '1' : exprName(e.arg), ...(e.args ?? []).map(exprName)];
      return `${fn}(${distinct}${args.join(', ')})`;
    }
    case 'in':
      return `(${exprName(e.arg)}${e.negated ? ' NOT' : ''} IN (${e.values.map(exprName).join(', ')}))`;
    case 'between':
      return `(${exprName(e.arg)}${e.negated ? ' NOT' : ''} BETWEEN ${exprName(e.low)} AND ${exprName(e.high)})`;
    case 'like':
      return `${exprName(e.arg)}${e.negated ? ' NOT' : ''} LIKE ${e.pattern}`;
    case 'case':
      return `CASE ${e.whens.map((w) => `WHEN ${exprName(w.when)} THEN ${exprName(w.then)}`).join(' ')}${e.otherwise ? ` ELSE ${exprName(e.otherwise)}` : ''} END`;
    case 'cast':
      return `CAST(${exprName(e.arg)} AS ${e.to.toUpperCase()})`;
    case 'window':
      return `${exprName(e.fn)} OVER (${e.partitionBy.length ? `PARTITION BY ${e.partitionBy.map(exprName).join(', ')}` : ''}${e.orderBy.length ? ` ORDER BY ${e.orderBy.map((k) => `${exprName(k.expr)} ${k.ascending ? 'ASC' : 'DESC'}`).join(', ')}` : ''})`;
  }
}
