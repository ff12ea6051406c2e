/**
 * Parquet row-group pruning: a row group whose min/max statistics prove that
 * a pushed filter holds for none of its rows is not read; a file left with no
 * row groups gets no task. Understands `col op literal` (either order),
 * BETWEEN and IN, ANDed.
 */
import { conjuncts, type Expr, type Literal } from '../expr.ts';
import { transformUp, type Plan, type RowGroupInfo } from '../plan.ts';

type Stat = RowGroupInfo['stats'][string];
const FLIP: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=', '!=': '!=' };

const comparable = (a: unknown, b: unknown): boolean => (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');

/** False when `stat` proves `col op value` is false for every row. */
function mayMatch(op: string, value: Literal, stat: Stat | undefined): boolean {
  if (!stat || value === null) return true;
  const { min, max } = stat;
  if (min === undefined || max === undefined || min === null || max === null || !comparable(min, value) || !comparable(max, value)) return true;
  const v = value as number | string;
  const lo = min as number | string;
  const hi = max as number | string;
  switch (op) {
    case '=': return v >= lo && v <= hi;
    case '<': return lo < v;
    case '<=': return lo <= v;
    case '>': return hi > v;
    case '>=': return hi >= v;
    default: return true;
  }
}

export function groupMayMatch(pred: Expr, group: RowGroupInfo): boolean {
  return conjuncts(pred).every((c) => {
    if (c.kind === 'binary' && FLIP[c.op]) {
      if (c.left.kind === 'col' && c.right.kind === 'lit') return mayMatch(c.op, c.right.value, group.stats[c.left.name]);
      if (c.right.kind === 'col' && c.left.kind === 'lit') return mayMatch(FLIP[c.op]!, c.left.value, group.stats[c.right.name]);
    }
    if (c.kind === 'between' && !c.negated && c.arg.kind === 'col' && c.low.kind === 'lit' && c.high.kind === 'lit') {
      const s = group.stats[c.arg.name];
      return mayMatch('>=', c.low.value, s) && mayMatch('<=', c.high.value, s);
    }
    if (c.kind === 'in' && !c.negated && c.arg.kind === 'col' && c.values.every((v) => v.kind === 'lit')) {
      const s = group.stats[c.arg.name];
      return c.values.some((v) => mayMatch('=', (v as { value: Literal }).value, s));
    }
    return true;
  });
}

export function pruneRowGroups(plan: Plan): Plan {
  return transformUp(plan, (p) => {
    if (p.kind !== 'source' || p.source.kind !== 'parquet' || p.filters.length === 0) return p;
    let changed = false;
    const files = p.source.files.flatMap((f) => {
      if (!f.rowGroups) return [f];
      const kept = f.rowGroups.filter((g) => p.filters.every((pred) => groupMayMatch(pred, g)));
      if (kept.length === f.rowGroups.length) return [f];
      changed = true;
      return kept.length ? [{ ...f, rowGroups: kept }] : [];
    });
    return changed ? { ...p, source: { ...p.source, files } } : p;
  });
}
