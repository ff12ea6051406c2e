/**
 * Map-side combine: an aggregate split into a partial one that runs before
 * the exchange (so each map task sends one row per key, and a hot key cannot
 * pile its rows onto one reduce task) and a final one after it.
 *
 * | agg      | partial             | final                  |
 * | -------- | ------------------- | ---------------------- |
 * | sum      | sum(x) AS p         | sum(p)                 |
 * | count    | count(x) AS p       | sum(p)                 |
 * | min, max | min(x) AS p         | min(p)                 |
 * | avg      | sum(x), count(x)    | sum(s) / sum(c)        |
 * | first    | first(x)            | first(p)               |
 *
 * countDistinct, median, stddev, variance and corr are not split: when one
 * appears, rows are exchanged as they are and aggregated once.
 */
import type { AggFunction, Expr } from './expr.ts';
import type { Schema } from './plan.ts';

export interface PartialAggregate {
  /** The map side's aggregate list (aliased `__p<i>_<j>`). */
  readonly aggs: Expr[];
}

const SPLITTABLE: ReadonlySet<AggFunction> = new Set(['sum', 'count', 'min', 'max', 'avg', 'first']);

/** Every aggregate call inside `e`. */
function aggCalls(e: Expr, out: Extract<Expr, { kind: 'agg' }>[] = []): Extract<Expr, { kind: 'agg' }>[] {
  if (e.kind === 'agg') out.push(e);
  else if (e.kind === 'alias' || e.kind === 'cast' || e.kind === 'unary') aggCalls(e.arg, out);
  else if (e.kind === 'binary') {
    aggCalls(e.left, out);
    aggCalls(e.right, out);
  } else if (e.kind === 'call') e.args.forEach((a) => aggCalls(a, out));
  else if (e.kind === 'case') {
    e.whens.forEach((w) => (aggCalls(w.when, out), aggCalls(w.then, out)));
    if (e.otherwise) aggCalls(e.otherwise, out);
  }
  return out;
}

/** The partial aggregate for `aggs`, or null when one of them cannot be split. */
export function partialAggregate(_groupBy: readonly Expr[], aggs: readonly Expr[], _schema: Schema): PartialAggregate | null {
  const calls = aggs.flatMap((a) => aggCalls(a));
  if (calls.length === 0 || calls.some((c) => !SPLITTABLE.has(c.fn) || c.distinct)) return null;
  const out: Expr[] = [];
  calls.forEach((c, i) => {
    const arg = c.arg;
    const p = (j: number, fn: AggFunction): Expr => ({ kind: 'alias', arg: { kind: 'agg', fn, arg }, name: `__p${i}_${j}` });
    if (c.fn === 'avg') out.push(p(0, 'sum'), p(1, 'count'));
    else out.push(p(0, c.fn));
  });
  return { aggs: out };
}

/** The final aggregate over the partial one's output columns, with the original output names. */
export function finalAggregate(_partial: PartialAggregate, aggs: readonly Expr[]): Expr[] {
  let i = 0;
  const pc = (k: number, j: number): Expr => ({ kind: 'col', name: `__p${k}_${j}` });
  const rewrite = (e: Expr): Expr => {
    switch (e.kind) {
      case 'agg': {
        const k = i++;
        if (e.fn === 'avg') return { kind: 'binary', op: '/', left: { kind: 'agg', fn: 'sum', arg: pc(k, 0) }, right: { kind: 'agg', fn: 'sum', arg: pc(k, 1) } };
        const fn: AggFunction = e.fn === 'count' ? 'sum' : e.fn;
        const final: Expr = { kind: 'agg', fn, arg: pc(k, 0) };
        // count of an empty input is 0, not NULL.
        return e.fn === 'count' ? { kind: 'call', fn: 'coalesce', args: [final, { kind: 'lit', value: 0 }] } : final;
      }
      case 'alias':
      case 'cast':
      case 'unary':
        return { ...e, arg: rewrite(e.arg) };
      case 'binary':
        return { ...e, left: rewrite(e.left), right: rewrite(e.right) };
      case 'call':
        return { ...e, args: e.args.map(rewrite) };
      case 'case':
        return { ...e, whens: e.whens.map((w) => ({ when: rewrite(w.when), then: rewrite(w.then) })), otherwise: e.otherwise ? rewrite(e.otherwise) : null };
      default:
        return e;
    }
  };
  return aggs.map(rewrite);
}
