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
 * | stddev, variance | count(x) n, sum(x) s, comoment(x) m | M = Σm + Σn(s/n − x̄)²; M / (Σn − 1), √ |
 * | corr(x, y) | the same over the rows where both are there, for x, y and x·y | Cxy / √(Cxx·Cyy) |
 * | median   | collect(x): list(x) | median of flatten(list(l)) |
 *
 * stddev, variance and corr merge each partition's moments (count, sum, and the sum of squared deviations
 * from the partition's own mean, which DuckDB computes stably) by Chan et al.'s pairwise rule:
 * M = Σmᵢ + Σnᵢ(x̄ᵢ − x̄)², with the group's mean x̄ = Σs / Σn computed first, as a window over the
 * partial rows (`windows`), so no large sums are subtracted from each other (a spread a millionth of
 * the mean stays exact) and constant data gives 0.
 *
 * median sends each group's values as one list per partition (`collect`: DuckDB's list(), nulls left out),
 * and the final side takes the median of the lists' values together (`medianOfLists`): the same values reach
 * the same task, as when rows are exchanged, but as one row per key (an exchange of a third of the bytes, with
 * no per-row hash), and stddev or sums beside it still aggregate map-side.
 *
 * countDistinct is not split: when it appears, rows are exchanged as they are and aggregated once.
 */
import type { AggFunction, Expr } from './expr.ts';
import type { Schema } from './plan.ts';

export interface PartialAggregate {
  /** The map side's aggregate list (aliased `__p<i>_<j>`). */
  readonly aggs: Expr[];
}

const SPLITTABLE: ReadonlySet<AggFunction> = new Set(['sum', 'count', 'min', 'max', 'avg', 'first', 'stddev', 'variance', 'corr', 'median']);

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
    const p = (j: number, fn: AggFunction, arg: Expr | null = c.arg, args?: readonly Expr[]): Expr => ({ kind: 'alias', arg: { kind: 'agg', fn, arg, ...(args ? { args } : {}) }, name: `__p${i}_${j}` });
    if (c.fn === 'avg') out.push(p(0, 'sum'), p(1, 'count'));
    else if (c.fn === 'stddev' || c.fn === 'variance') {
      const x = asDouble(c.arg!);
      out.push(p(0, 'count', x), p(1, 'sum', x), p(2, 'comoment', x));
    } else if (c.fn === 'corr') {
      // Only rows where both are there count, as in corr itself.
      const [x, y] = [asDouble(c.arg!), asDouble(c.args![0]!)];
      const xp = whenThere(y, x);
      const yp = whenThere(x, y);
      out.push(p(0, 'count', xp), p(1, 'sum', xp), p(2, 'sum', yp), p(3, 'comoment', xp), p(4, 'comoment', yp), p(5, 'comoment', x, [y]));
    } else if (c.fn === 'median') out.push(p(0, 'collect'));
    else out.push(p(0, c.fn));
  });
  return { aggs: out };
}

const asDouble = (e: Expr): Expr => ({ kind: 'cast', arg: e, to: 'double' });
/** `value` where `other` is not null, else null. */
const whenThere = (other: Expr, value: Expr): Expr => ({ kind: 'case', whens: [{ when: { kind: 'unary', op: 'isNotNull', arg: other }, then: value }], otherwise: null });

const sumOf = (arg: Expr): Expr => ({ kind: 'agg', fn: 'sum', arg });
const bin = (op: '+' | '-' | '*' | '/', left: Expr, right: Expr): Expr => ({ kind: 'binary', op, left, right });
const call = (fn: string, ...args: Expr[]): Expr => ({ kind: 'call', fn, args });

export interface FinalAggregate {
  readonly aggs: Expr[];
  /** Window columns (each group's means, `__m<i>_<j>`) the final aggregate reads: computed over the partial rows first. */
  readonly windows: Expr[];
}

/** The final aggregate over the partial one's output columns, with the original output names. */
export function finalAggregate(_partial: PartialAggregate, aggs: readonly Expr[], groupBy: readonly Expr[] = []): FinalAggregate {
  let i = 0;
  const windows: Expr[] = [];
  const pc = (k: number, j: number): Expr => ({ kind: 'col', name: `__p${k}_${j}` });
  const over = (fn: Expr): Expr => ({ kind: 'window', fn, partitionBy: groupBy, orderBy: [] });
  /** The group's mean of the values whose partial count and sum are columns n and s. */
  const mean = (k: number, n: Expr, s: Expr, j: number): Expr => {
    const name = `__m${k}_${j}`;
    windows.push({ kind: 'alias', arg: bin('/', over(sumOf(s)), over(sumOf(n))), name });
    return { kind: 'col', name };
  };
  /** Σcᵢ + Σnᵢ(x̄ᵢ − x̄)(ȳᵢ − ȳ): a partition with no values has null sums, which sum() skips. */
  const comoment = (n: Expr, sx: Expr, mx: Expr, sy: Expr, my: Expr, c: Expr): Expr =>
    bin('+', sumOf(c), sumOf(bin('*', n, bin('*', bin('-', bin('/', sx, n), mx), bin('-', bin('/', sy, n), my)))));
  const rewrite = (e: Expr): Expr => {
    switch (e.kind) {
      case 'agg': {
        const k = i++;
        if (e.fn === 'avg') return { kind: 'binary', op: '/', left: { kind: 'agg', fn: 'sum', arg: pc(k, 0) }, right: { kind: 'agg', fn: 'sum', arg: pc(k, 1) } };
        if (e.fn === 'stddev' || e.fn === 'variance') {
          const [n, s] = [pc(k, 0), pc(k, 1)];
          const m = mean(k, n, s, 0);
          // Over n − 1 (the sample's), NULL for one value (DuckDB divides by zero to NULL).
          const variance = bin('/', comoment(n, s, m, s, m, pc(k, 2)), call('nullif', bin('-', sumOf(n), { kind: 'lit', value: 1 }), { kind: 'lit', value: 0 }));
          return e.fn === 'variance' ? variance : call('sqrt', variance);
        }
        if (e.fn === 'corr') {
          const [n, sx, sy] = [pc(k, 0), pc(k, 1), pc(k, 2)];
          const [mx, my] = [mean(k, n, sx, 0), mean(k, n, sy, 1)];
          const cxx = comoment(n, sx, mx, sx, mx, pc(k, 3));
          const cyy = comoment(n, sy, my, sy, my, pc(k, 4));
          // No spread on either side: NULL, as DuckDB's corr (its 0.0 / 0.0 would be NaN).
          return bin('/', comoment(n, sx, mx, sy, my, pc(k, 5)), call('nullif', call('sqrt', bin('*', cxx, cyy)), { kind: 'lit', value: 0 }));
        }
        if (e.fn === 'median') return { kind: 'agg', fn: 'medianOfLists', arg: pc(k, 0) };
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
  return { aggs: aggs.map(rewrite), windows };
}
