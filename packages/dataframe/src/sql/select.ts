/**
 * One SELECT's clauses after FROM/WHERE, as logical plan nodes, in the order
 * they run:
 *
 *   input → aggregate → filter (HAVING) → window → [sort] → project → distinct → [sort]
 *
 * - Aggregation (GROUP BY, HAVING, or an aggregate anywhere in SELECT or
 *   ORDER BY): an `aggregate` node outputs the group expressions, then every
 *   distinct aggregate call aliased with its Spark name (`avg(price)`). The
 *   project above refers to those columns by name, so `avg(price) * 2` works
 *   and unaliased outputs are named as Spark names them.
 * - Window functions: a `window` node adds them (aliased) as columns; the
 *   project refers to them.
 * - ORDER BY may name select aliases, output names, ordinals (`ORDER BY 2`) or
 *   any expression over the input (aggregates included). It sorts after the
 *   project when every key is a select output, else before it.
 */
import { unalias, type Expr, type SortKey } from '../expr.ts';
import { exprName } from '../naming.ts';
import type { Plan } from '../plan.ts';
import type { SqlSelect } from './ast.ts';
import { exprEquals, findNode, groupAggregates, mapChildren, replaceColumns, uniqueName, windows } from './exprUtils.ts';
import { checkClause, checkNoNestedAggregates, planError, type Scope } from './scope.ts';

interface Named {
  readonly expr: Expr;
  readonly name: string;
}

/** An ORDER BY key: a select item (by index) or an expression over the input. */
type OrderTarget = { readonly item: number } | { readonly expr: Expr };

/** The name a select item's output column gets (null for `*`). */
export function outputName(item: Expr): string | null {
  return item.kind === 'star' ? null : exprName(item);
}

const isOrdinal = (e: Expr): e is { kind: 'lit'; value: number } => e.kind === 'lit' && typeof e.value === 'number' && Number.isInteger(e.value);

/** The index of the item a 1-based ordinal names, checked. */
export function ordinal(scope: Scope, items: readonly Expr[], e: { kind: 'lit'; value: number }, clause: string): number {
  const k = e.value;
  const star = items.some((it) => it.kind === 'star');
  if (k > items.length && star) throw planError(scope, e, `${clause} position ${k} cannot be resolved next to a '*' in the select list (it needs the schema); name the column instead`);
  if (k < 1 || k > items.length) throw planError(scope, e, `${clause} position ${k} is not in the select list (it has ${items.length} item${items.length === 1 ? '' : 's'})`);
  if (items[k - 1]!.kind === 'star') throw planError(scope, e, `${clause} position ${k} refers to '*'; name the column instead`);
  if (items.slice(0, k - 1).some((it) => it.kind === 'star')) throw planError(scope, e, `${clause} position ${k} comes after a '*' in the select list, so it cannot be resolved without the schema; name the column instead`);
  return k - 1;
}

/** Select aliases (name → expression) that stand for something other than the column of the same name. */
function aliasesOf(items: readonly Expr[]): Map<string, Expr> {
  const out = new Map<string, Expr>();
  for (const it of items) {
    if (it.kind === 'alias' && !(it.arg.kind === 'col' && it.arg.name === it.name) && !out.has(it.name)) out.set(it.name, it.arg);
  }
  return out;
}

function resolveOrderKey(scope: Scope, items: readonly Expr[], aliases: Map<string, Expr>, groupKeys: readonly Expr[], key: SortKey): OrderTarget {
  const e = key.expr;
  if (isOrdinal(e)) return { item: ordinal(scope, items, e, 'ORDER BY') };
  if (e.kind === 'col' && e.table === undefined) {
    const names = items.map(outputName);
    let i = names.indexOf(e.name);
    if (i === -1) i = names.findIndex((n) => n !== null && n.toLowerCase() === e.name.toLowerCase());
    if (i !== -1) return { item: i };
  }
  const same = items.findIndex((it) => it.kind !== 'star' && exprEquals(unalias(it), e));
  if (same !== -1) return { item: same };
  // An expression over select aliases (`ORDER BY total * 2`) is one over what they stand for;
  // a window's alias stays a column reference, since the sort runs after the window node.
  const plain = new Map([...aliases].filter(([, x]) => x.kind !== 'window'));
  return { expr: substituteAliases(e, plain, groupKeys) };
}

function resolveGroupKey(scope: Scope, items: readonly Expr[], aliases: Map<string, Expr>, g: Expr): Expr {
  if (isOrdinal(g)) {
    const item = unalias(items[ordinal(scope, items, g, 'GROUP BY')]!);
    if (groupAggregates(item).length > 0) throw planError(scope, g, `GROUP BY position ${g.value} refers to an aggregate (${exprName(item)})`);
    return item;
  }
  if (g.kind === 'col' && g.table === undefined && aliases.has(g.name)) return aliases.get(g.name)!;
  return g;
}

/** What the SELECT's FROM clause was. */
export interface FromInfo {
  /** The FROM items' names in order (null when one has none, e.g. a subquery without an alias). */
  readonly names: readonly string[] | null;
  /** True when FROM joins tables (so a right-side column may have been renamed `name_right`). */
  readonly joined: boolean;
}

/** Plans SELECT's aggregation, windows, projection, DISTINCT and ORDER BY over `input` (FROM and WHERE, planned). */
export function planSelectBody(scope: Scope, input: Plan, sel: SqlSelect, orderBy: readonly SortKey[], from: FromInfo): Plan {
  const { names: fromNames, joined } = from;
  const items = sel.items;
  const aliases = aliasesOf(items);
  items.forEach((it) => checkNoNestedAggregates(scope, it));
  const groupKeys = sel.groupBy.map((g) => resolveGroupKey(scope, items, aliases, g));
  groupKeys.forEach((g) => checkClause(scope, g, 'GROUP BY'));
  checkClause(scope, sel.having, 'HAVING', true);
  const targets = orderBy.map((k) => resolveOrderKey(scope, items, aliases, groupKeys, k));
  for (const t of targets) {
    if (!('expr' in t)) continue;
    const w = windows(t.expr)[0];
    if (w) throw planError(scope, w, 'window functions in ORDER BY must be select items; alias it in SELECT and order by the alias');
    checkNoNestedAggregates(scope, t.expr);
  }
  const orderExprs = targets.flatMap((t) => ('expr' in t ? [t.expr] : []));
  const aggregating = groupKeys.length > 0 || sel.having !== null || [...items, ...orderExprs].some((e) => groupAggregates(e).length > 0);

  let plan = input;
  let rewrite = (e: Expr): Expr => e;
  if (aggregating) {
    const star = items.find((it) => it.kind === 'star');
    if (star) throw planError(scope, star, 'SELECT * cannot be used with GROUP BY or aggregate functions; list the columns');
    // HAVING may use select aliases (`HAVING n > 1` for `count(*) AS n`).
    const having = sel.having && substituteAliases(sel.having, aliases, groupKeys);
    checkClause(scope, having, 'HAVING', true);
    const agg = buildAggregate(groupKeys, [...items, ...(having ? [having] : []), ...orderExprs]);
    plan = { kind: 'aggregate', input: plan, groupBy: agg.groupBy, aggs: agg.aggs };
    const outputs = new Set([...agg.groupBy, ...agg.aggs].map(exprName));
    const check = (e: Expr): Expr => (checkGrouped(scope, e, outputs), e);
    rewrite = (e: Expr): Expr => check(agg.rewrite(e));
    if (having) plan = { kind: 'filter', input: plan, predicate: rewrite(having) };
  }

  // Windows: each distinct one becomes a column of a `window` node, named by its alias when it is a whole select item.
  let projected = items.map(rewrite);
  const wins: Named[] = [];
  const taken = new Set<string>();
  const addWindow = (w: Expr, name: string): void => {
    if (wins.some((x) => exprEquals(x.expr, w))) return;
    const unique = uniqueName(name, taken);
    taken.add(unique);
    wins.push({ expr: w, name: unique });
  };
  projected.forEach((p) => p.kind === 'alias' && p.arg.kind === 'window' && addWindow(p.arg, p.name));
  projected.forEach((p) => windows(p).forEach((w) => addWindow(w, exprName(w))));
  if (wins.length > 0) {
    plan = { kind: 'window', input: plan, exprs: wins.map((w) => ({ kind: 'alias', arg: w.expr, name: w.name })) };
    const replace = (e: Expr): Expr => {
      const hit = e.kind === 'window' ? wins.find((w) => exprEquals(w.expr, e)) : undefined;
      return hit ? { kind: 'col', name: hit.name } : mapChildren(e, replace);
    };
    projected = projected.map(replace);
  }

  // Output names as Spark gives them: an alias, a column's name, else the expression's text as written.
  // After a join, `b.brand` may be the renamed `brand_right`: name it `brand`, as Spark does, unless another output is `brand`.
  const names = items.map(outputName);
  const exprs = projected.map((p, i): Expr => {
    const orig = items[i]!;
    if (orig.kind === 'star' || orig.kind === 'alias') return p.kind === 'alias' && p.arg.kind === 'col' && p.arg.name === p.name ? p.arg : p;
    const name = exprName(orig);
    const unique = names.filter((n) => n === name).length === 1;
    if (joined && unique && p.kind === 'col' && p.table !== undefined) return { kind: 'alias', arg: p, name };
    return exprName(p) === name ? p : { kind: 'alias', arg: p, name };
  });

  // A window node's columns are unqualified, so `*` over it would repeat them: `*` becomes each FROM item's `t.*`.
  let output = exprs;
  if (wins.length > 0) {
    const star = exprs.find((e) => e.kind === 'star' && e.table === undefined);
    if (star && fromNames === null) throw planError(scope, star, 'SELECT * with window functions needs a name for every FROM item; alias the subquery, or write t.*');
    output = exprs.flatMap((e) => (e.kind === 'star' && e.table === undefined ? fromNames!.map((table): Expr => ({ kind: 'star', table })) : [e]));
  }

  // ORDER BY: after the project when every key is a select output (or passes through an unqualified *).
  const passThroughStar = !aggregating && items.some((it) => it.kind === 'star' && it.table === undefined);
  const after = targets.every((t) => 'item' in t || (passThroughStar && t.expr.kind === 'col'));
  const keysAfter = (): SortKey[] => targets.map((t, i) => ({ ...orderBy[i]!, expr: 'item' in t ? { kind: 'col', name: outputName(items[t.item]!)! } : t.expr }));
  if (orderBy.length > 0 && !after) {
    if (sel.distinct) {
      const bad = targets.find((t) => 'expr' in t) as { expr: Expr };
      throw planError(scope, bad.expr, 'with SELECT DISTINCT, ORDER BY expressions must appear in the select list');
    }
    const keys = targets.map((t, i) => ({ ...orderBy[i]!, expr: 'item' in t ? unalias(exprs[t.item]!) : rewrite(t.expr) }));
    plan = { kind: 'sort', input: plan, keys };
  }
  plan = { kind: 'project', input: plan, exprs: output };
  if (sel.distinct) plan = { kind: 'distinct', input: plan, subset: null };
  if (orderBy.length > 0 && after) plan = { kind: 'sort', input: plan, keys: keysAfter() };
  return plan;
}

/** After aggregation only group keys and aggregates remain: a column left in `e` was in neither. */
function checkGrouped(scope: Scope, e: Expr, outputs: ReadonlySet<string>): void {
  const stray = findNode(e, (x) => x.kind === 'col' && !outputs.has(x.name));
  if (stray && stray.kind === 'col') {
    const shown = stray.table ? `${stray.table}.${stray.name}` : stray.name;
    throw planError(scope, stray, `column '${shown}' must appear in GROUP BY or inside an aggregate function`);
  }
}

/** Unqualified columns naming a select alias become the aliased expression (unless a group key has that name). */
function substituteAliases(e: Expr, aliases: Map<string, Expr>, groupKeys: readonly Expr[]): Expr {
  const groupNames = new Set(groupKeys.map(exprName));
  return replaceColumns(e, (x) => (x.table === undefined && !groupNames.has(x.name) ? aliases.get(x.name) : undefined));
}

/**
 * The aggregate node's outputs for `groupKeys` and the aggregates `uses`
 * compute, and a rewrite of expressions over its input into ones over its
 * output (group keys and aggregate calls become column references).
 */
function buildAggregate(groupKeys: readonly Expr[], uses: readonly Expr[]): { groupBy: Expr[]; aggs: Expr[]; rewrite: (e: Expr) => Expr } {
  const taken = new Set<string>();
  const groups: Named[] = [];
  for (const g of groupKeys) {
    if (groups.some((x) => exprEquals(x.expr, g))) continue;
    const name = uniqueName(exprName(g), taken);
    taken.add(name);
    groups.push({ expr: g, name });
  }
  const aggs: Named[] = [];
  for (const a of uses.flatMap((u) => groupAggregates(u))) {
    if (aggs.some((x) => exprEquals(x.expr, a))) continue;
    const name = uniqueName(exprName(a), taken);
    taken.add(name);
    aggs.push({ expr: a, name });
  }
  const rewrite = (e: Expr): Expr => {
    const group = groups.find((g) => exprEquals(g.expr, e));
    if (group) return { kind: 'col', name: group.name };
    if (e.kind === 'agg') return { kind: 'col', name: aggs.find((a) => exprEquals(a.expr, e))!.name };
    if (e.kind === 'window') {
      // The window's own function stays a (window) aggregate; its arguments are over the groups.
      const fn = e.fn.kind === 'agg' || e.fn.kind === 'call' ? mapChildren(e.fn, rewrite) : rewrite(e.fn);
      return { ...e, fn, partitionBy: e.partitionBy.map(rewrite), orderBy: e.orderBy.map((k) => ({ ...k, expr: rewrite(k.expr) })) };
    }
    return mapChildren(e, rewrite);
  };
  return {
    // A qualified key is aliased to its plain name: after a join, `b.brand` may be the renamed `brand_right`.
    groupBy: groups.map((g) => (g.name === exprName(g.expr) && !(g.expr.kind === 'col' && g.expr.table !== undefined) ? g.expr : { kind: 'alias', arg: g.expr, name: g.name })),
    aggs: aggs.map((a) => ({ kind: 'alias', arg: a.expr, name: a.name })),
    rewrite,
  };
}
