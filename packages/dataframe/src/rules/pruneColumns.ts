/**
 * Projection pruning: works out, top down, which columns each node's parent
 * needs, and makes every scan read only those (Parquet then reads only
 * their column chunks). Unneeded projection outputs are dropped on the way.
 */
import { referencedColumns, type Expr } from '../expr.ts';
import type { Plan } from '../plan.ts';
import { schemaOf } from '../analyze.ts';
import { exprName } from '../naming.ts';

type Need = ReadonlySet<string> | null; // null: every column

const refs = (exprs: readonly Expr[]): string[] => exprs.flatMap(referencedColumns);
const union = (need: Need, more: Iterable<string>): Need => (need === null ? null : new Set([...need, ...more]));

function prune(p: Plan, need: Need): Plan {
  switch (p.kind) {
    case 'source': {
      if (need === null) return p;
      const wanted = new Set([...need, ...refs(p.filters)]);
      const all = (p.columns ?? p.schema.map((f) => f.name));
      let columns = all.filter((c) => wanted.has(c));
      if (columns.length === 0) columns = [all[0]!]; // count(*) still needs rows
      return columns.length === p.schema.length && p.columns === null ? p : { ...p, columns };
    }
    case 'project': {
      const exprs = need === null ? p.exprs : p.exprs.filter((e) => need.has(exprName(e)));
      const kept = exprs.length ? exprs : p.exprs.slice(0, 1);
      return { ...p, exprs: kept, input: prune(p.input, new Set(refs(kept))) };
    }
    case 'filter':
      return { ...p, input: prune(p.input, union(need, referencedColumns(p.predicate))) };
    case 'aggregate':
      return { ...p, input: prune(p.input, new Set(refs([...p.groupBy, ...p.aggs]))) };
    case 'window': {
      const own = new Set(p.exprs.map(exprName));
      const passthrough = need === null ? null : new Set([...need].filter((c) => !own.has(c)));
      return { ...p, input: prune(p.input, union(passthrough, refs(p.exprs))) };
    }
    case 'sort':
      return { ...p, input: prune(p.input, union(need, refs(p.keys.map((k) => k.expr)))) };
    case 'limit':
      return { ...p, input: prune(p.input, need) };
    case 'repartition':
      return { ...p, input: prune(p.input, union(need, refs(p.keys))) };
    case 'distinct':
      return p.subset === null ? { ...p, input: prune(p.input, null) } : { ...p, input: prune(p.input, null) };
    case 'join': {
      const l = new Set(schemaOf(p.left).map((f) => f.name));
      const r = new Set(schemaOf(p.right).map((f) => f.name));
      const extra = [...(p.on ? referencedColumns(p.on) : []), ...(p.using ?? [])];
      const all = need === null ? null : new Set([...need, ...extra]);
      const side = (names: Set<string>): Need => (all === null ? null : new Set([...all].filter((c) => names.has(c))));
      return { ...p, left: prune(p.left, side(l)), right: prune(p.right, side(r)) };
    }
    case 'union':
    case 'mapPartitions':
    case 'subqueryAlias':
      return p.kind === 'union' ? { ...p, inputs: p.inputs.map((i) => prune(i, null)) } : { ...p, input: prune(p.input, null) };
  }
}

export function pruneColumns(plan: Plan): Plan {
  return prune(plan, null);
}
