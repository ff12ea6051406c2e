/**
 * Count from metadata: `count(*)` with no grouping over stored blocks read
 * whole (a cached DataFrame, created data) is the row count the blocks were
 * stored with, so nothing is read (Spark answers a Parquet count from footers
 * the same way). The aggregate becomes that number projected over a one-row
 * range. A filter, a projection that is not pushed into the scan, or any other
 * aggregate keeps the plan as it is.
 */
import { exprName } from '../naming.ts';
import { transformUp, type Plan } from '../plan.ts';
import type { Expr } from '../expr.ts';

const isCountStar = (e: Expr): boolean => e.kind === 'agg' && e.fn === 'count' && !e.distinct && (e.arg === null || e.arg.kind === 'star');

export function countFromMetadata(plan: Plan): Plan {
  return transformUp(plan, (p) => {
    if (p.kind !== 'aggregate' || p.groupBy.length > 0 || p.aggs.length === 0) return p;
    const input = p.input;
    if (input.kind !== 'source' || input.source.kind !== 'blocks' || input.filters.length > 0) return p;
    const rows = input.source.rows;
    const exprs: Expr[] = [];
    for (const agg of p.aggs) {
      const inner = agg.kind === 'alias' ? agg.arg : agg;
      if (!isCountStar(inner)) return p;
      exprs.push({ kind: 'alias', arg: { kind: 'cast', arg: { kind: 'lit', value: rows }, to: 'bigint' }, name: agg.kind === 'alias' ? agg.name : exprName(agg) });
    }
    const one: Plan = { kind: 'source', source: { kind: 'range', start: 0, end: 1, step: 1, partitions: 1 }, schema: [{ name: 'id', type: 'bigint' }], columns: null, filters: [] };
    return { kind: 'project', input: one, exprs };
  });
}
