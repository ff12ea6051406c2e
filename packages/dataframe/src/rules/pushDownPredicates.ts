/**
 * Predicate pushdown: each conjunct of a filter moves as far down as its
 * meaning allows: below projections (aliases substituted), sorts and
 * repartitions; below an aggregate when it reads only grouping columns; into
 * each side of a join it belongs to (not into the side an outer join pads
 * with nulls); into every input of a union; and finally into the scan, which
 * applies it while reading (and, for Parquet, prunes row groups by it).
 */
import { conjoin, conjuncts, hasAgg, hasWindow, referencedColumns, transform, type Expr } from '../expr.ts';
import { transformDown, type Plan } from '../plan.ts';
import { schemaOf } from '../analyze.ts';

const within = (e: Expr, names: ReadonlySet<string>): boolean => referencedColumns(e).every((c) => names.has(c));
const deterministic = (e: Expr): boolean => !JSON.stringify(e).match(/"fn":"(random|now)"/);

function filterOver(input: Plan, parts: Expr[]): Plan {
  const predicate = conjoin(parts);
  return predicate ? { kind: 'filter', input, predicate } : input;
}

/** Moves one filter's conjuncts below `input` where they can go; returns the new subtree. */
function push(input: Plan, parts: Expr[]): Plan {
  switch (input.kind) {
    case 'source':
      return { ...input, filters: [...input.filters, ...parts] };
    case 'sort':
    case 'repartition':
      return { ...input, input: filterOver(input.input, parts) };
    case 'project': {
      const defs = new Map<string, Expr>();
      for (const e of input.exprs) {
        if (e.kind === 'alias') defs.set(e.name, e.arg);
        else if (e.kind === 'col') defs.set(e.name, e);
      }
      const movable: Expr[] = [];
      const stay: Expr[] = [];
      for (const c of parts) {
        const ok = referencedColumns(c).every((n) => defs.has(n) && !hasAgg(defs.get(n)!) && !hasWindow(defs.get(n)!) && deterministic(defs.get(n)!));
        if (ok) movable.push(transform(c, (x) => (x.kind === 'col' ? defs.get(x.name)! : x)));
        else stay.push(c);
      }
      if (!movable.length) return filterOver(input, parts);
      return filterOver({ ...input, input: filterOver(input.input, movable) }, stay);
    }
    case 'aggregate': {
      const keys = new Set(input.groupBy.filter((g) => g.kind === 'col').map((g) => (g as { name: string }).name));
      const movable = parts.filter((c) => within(c, keys));
      const stay = parts.filter((c) => !within(c, keys));
      if (!movable.length || input.groupBy.length === 0) return filterOver(input, parts);
      return filterOver({ ...input, input: filterOver(input.input, movable) }, stay);
    }
    case 'join': {
      const left = new Set(schemaOf(input.left).map((f) => f.name));
      const right = new Set(schemaOf(input.right).map((f) => f.name));
      const toLeft = ['inner', 'left', 'semi', 'anti'].includes(input.how);
      const toRight = ['inner', 'right'].includes(input.how);
      const l: Expr[] = [];
      const r: Expr[] = [];
      const stay: Expr[] = [];
      for (const c of parts) {
        if (toLeft && within(c, left)) l.push(c);
        else if (toRight && within(c, right) && !(input.using ?? []).some((u) => referencedColumns(c).includes(u))) r.push(c);
        else stay.push(c);
      }
      if (!l.length && !r.length) return filterOver(input, parts);
      return filterOver({ ...input, left: filterOver(input.left, l), right: filterOver(input.right, r) }, stay);
    }
    case 'union': {
      const names = schemaOf(input).map((f) => f.name);
      const inputs = input.inputs.map((i) => {
        const own = schemaOf(i).map((f) => f.name);
        const rename = (e: Expr): Expr => transform(e, (x) => (x.kind === 'col' ? { kind: 'col', name: own[names.indexOf(x.name)]! } : x));
        return filterOver(i, parts.map(rename));
      });
      return { ...input, inputs };
    }
    default:
      return filterOver(input, parts);
  }
}

export function pushDownPredicates(plan: Plan): Plan {
  return transformDown(plan, (p) => {
    if (p.kind !== 'filter') return p;
    const parts = conjuncts(p.predicate).filter(deterministic);
    const rest = conjuncts(p.predicate).filter((c) => !deterministic(c));
    const pushed = push(p.input, parts);
    return filterOver(pushed, rest);
  });
}
