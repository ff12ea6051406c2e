/**
 * `sqlToPlan`: a parsed statement into the same logical plan nodes the
 * DataFrame API builds (one planner, two front ends). Schemas are not
 * needed: the analyzer (analyze.ts) checks columns afterwards.
 *
 * ```ts
 * // SELECT brand, avg(price) FROM sales WHERE price > 1 GROUP BY brand
 * project [brand, avg(price)]
 *   aggregate groupBy [brand] aggs [avg(price) AS avg(price)]
 *     filter (price > 1)
 *       subqueryAlias sales
 *         <catalog's plan for sales>
 * ```
 *
 * - FROM t: the catalog's (or WITH query's) plan under `subqueryAlias` named
 *   by the alias if given, else by the table name, so `t.col` resolves.
 * - Joins become `join` nodes. `FROM a, b WHERE a.x = b.y` becomes an inner
 *   join on the WHERE conjuncts that relate the two sides by qualified
 *   columns; with none, or for CROSS JOIN, the query is refused (no cross joins).
 * - UNION ALL is a `union` (chains flattened); UNION is `distinct` over it.
 * - ORDER BY, LIMIT and OFFSET follow the SELECT (select.ts) or the union.
 */
import { conjoin, conjuncts, type Expr, type SortKey } from '../expr.ts';
import type { Plan } from '../plan.ts';
import type { SqlFrom, SqlQuery, SqlSelect, SqlSetExpr } from './ast.ts';
import { qualifiersOf } from './exprUtils.ts';
import { checkClause, lookupTable, planError, type Catalog, type Scope } from './scope.ts';
import { ordinal, outputName, planSelectBody } from './select.ts';

/** `SELECT 1 + 1` (no FROM) reads one row; this is it (a one-row range, column `id`). */
export const ONE_ROW: Plan = {
  kind: 'source',
  source: { kind: 'range', start: 0, end: 1, step: 1, partitions: 1 },
  schema: [{ name: 'id', type: 'bigint' }],
  columns: null,
  filters: [],
};

/** Plans a statement from `parseSql` (or a hand-built `SqlQuery`) against `catalog`. */
export function sqlToPlan(stmt: SqlQuery & { readonly text?: string }, catalog: Catalog): Plan {
  return planQuery({ catalog, ctes: [], text: stmt.text }, stmt);
}

function planQuery(outer: Scope, q: SqlQuery): Plan {
  let scope = outer;
  for (const cte of q.ctes) scope = { ...scope, ctes: [...scope.ctes, { name: cte.name, plan: planQuery(scope, cte.query) }] };
  let plan: Plan;
  if (q.body.kind === 'select') {
    plan = planSelect(scope, q.body, q.orderBy);
  } else {
    plan = planSet(scope, q.body);
    if (q.orderBy.length > 0) plan = { kind: 'sort', input: plan, keys: q.orderBy.map((k) => setOrderKey(scope, q.body, k)) };
  }
  if (q.limit !== null) plan = { kind: 'limit', input: plan, n: q.limit, offset: q.offset };
  return plan;
}

function planSet(scope: Scope, s: SqlSetExpr): Plan {
  switch (s.kind) {
    case 'select':
      return planSelect(scope, s, []);
    case 'nested':
      return planQuery(scope, s.query);
    case 'union': {
      const left = planSet(scope, s.left);
      const right = planSet(scope, s.right);
      // A chain of UNION ALL is one union node.
      const flat = s.all && s.left.kind === 'union' && s.left.all && left.kind === 'union' ? left.inputs : [left];
      const union: Plan = { kind: 'union', inputs: [...flat, right] };
      return s.all ? union : { kind: 'distinct', input: union, subset: null };
    }
  }
}

/** The select items that name a set expression's output columns (its first SELECT's). */
function firstItems(s: SqlSetExpr): readonly Expr[] {
  return s.kind === 'select' ? s.items : s.kind === 'nested' ? firstItems(s.query.body) : firstItems(s.left);
}

/** ORDER BY over a UNION: output names, or ordinals of the first SELECT's items. */
function setOrderKey(scope: Scope, body: SqlSetExpr, key: SortKey): SortKey {
  const e = key.expr;
  if (e.kind === 'lit' && typeof e.value === 'number' && Number.isInteger(e.value)) {
    const items = firstItems(body);
    const name = outputName(items[ordinal(scope, items, e as { kind: 'lit'; value: number }, 'ORDER BY')]!)!;
    return { ...key, expr: { kind: 'col', name } };
  }
  checkClause(scope, e, 'ORDER BY of a UNION');
  return key;
}

function planSelect(scope: Scope, sel: SqlSelect, orderBy: readonly SortKey[]): Plan {
  checkClause(scope, sel.where, 'WHERE');
  let rest = sel.where ? conjuncts(sel.where) : [];
  let plan: Plan;
  if (sel.from) {
    const from = planFrom(scope, sel.from, rest);
    plan = from.plan;
    rest = from.rest;
  } else {
    const star = sel.items.find((it) => it.kind === 'star');
    if (star) throw planError(scope, star, 'SELECT * needs a FROM clause');
    plan = ONE_ROW;
  }
  const where = conjoin(rest);
  if (where) plan = { kind: 'filter', input: plan, predicate: where };
  return planSelectBody(scope, plan, sel, orderBy, { names: sel.from ? fromNames(sel.from) : [], joined: sel.from?.kind === 'join' });
}

/** The names that qualify each FROM item's columns, in order; null if some item has none. */
function fromNames(f: SqlFrom): string[] | null {
  switch (f.kind) {
    case 'table':
      return [f.alias ?? f.name];
    case 'subquery':
      return f.alias === null ? null : [f.alias];
    case 'join': {
      const left = fromNames(f.left);
      const right = fromNames(f.right);
      return left && right ? [...left, ...right] : null;
    }
  }
}

/** FROM, with the WHERE conjuncts that become comma joins' conditions taken out of `where`. */
function planFrom(scope: Scope, from: SqlFrom, where: readonly Expr[]): { plan: Plan; rest: Expr[] } {
  const items: SqlFrom[] = [];
  const commas: SqlFrom[] = [];
  const flatten = (f: SqlFrom): void => {
    if (f.kind === 'join' && f.how === 'comma') {
      flatten(f.left);
      commas.push(f);
      items.push(f.right);
    } else {
      items.push(f);
    }
  };
  flatten(from);
  let plan = planFromItem(scope, items[0]!);
  let seen = qualifiers(items[0]!);
  let rest = [...where];
  for (let i = 1; i < items.length; i++) {
    const right = qualifiers(items[i]!);
    const links = rest.filter((p) => relates(p, seen, right));
    if (links.length === 0) {
      throw planError(scope, commas[i - 1]!, `nothing in WHERE relates ${[...seen].join(', ')} to ${[...right].join(', ') || 'the subquery'} (cross joins are not supported): write JOIN ... ON, or a WHERE condition over qualified columns such as ${[...seen][0] ?? 'a'}.id = ${[...right][0] ?? 'b'}.id`);
    }
    rest = rest.filter((p) => !links.includes(p));
    plan = { kind: 'join', left: plan, right: planFromItem(scope, items[i]!), how: 'inner', on: conjoin(links), using: null };
    seen = new Set([...seen, ...right]);
  }
  return { plan, rest };
}

/** True if `p` uses only qualified columns of `left` and `right`, and some of each. */
function relates(p: Expr, left: ReadonlySet<string>, right: ReadonlySet<string>): boolean {
  const qs = qualifiersOf(p);
  if (qs === null || qs.size === 0) return false;
  const all = [...qs];
  return all.every((q) => left.has(q) || right.has(q)) && all.some((q) => left.has(q)) && all.some((q) => right.has(q));
}

/** The (lower-cased) names that qualify a FROM item's columns. */
function qualifiers(f: SqlFrom): Set<string> {
  switch (f.kind) {
    case 'table':
      return new Set([(f.alias ?? f.name).toLowerCase()]);
    case 'subquery':
      return new Set(f.alias ? [f.alias.toLowerCase()] : []);
    case 'join':
      return new Set([...qualifiers(f.left), ...qualifiers(f.right)]);
  }
}

function planFromItem(scope: Scope, f: SqlFrom): Plan {
  switch (f.kind) {
    case 'table':
      return { kind: 'subqueryAlias', input: lookupTable(scope, f, f.name), alias: f.alias ?? f.name };
    case 'subquery': {
      const plan = planQuery(scope, f.query);
      return f.alias ? { kind: 'subqueryAlias', input: plan, alias: f.alias } : plan;
    }
    case 'join': {
      if (f.how === 'cross') throw planError(scope, f, 'CROSS JOIN is not supported; join with ON or USING');
      if (f.how === 'comma') return planFrom(scope, f, []).plan;
      checkClause(scope, f.on, 'JOIN ... ON');
      return { kind: 'join', left: planFromItem(scope, f.left), right: planFromItem(scope, f.right), how: f.how, on: f.on, using: f.using };
    }
  }
}
