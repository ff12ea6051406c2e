/**
 * Expression helpers the SQL planner needs beyond expr.ts: equality that
 * lets `brand` match `t.brand`, one-level rebuilds, and finding the
 * aggregates and windows a SELECT uses.
 */
import { children, type Expr } from '../expr.ts';

/** Rebuilds `e` with `f` applied to each direct sub-expression (not recursively). */
export function mapChildren(e: Expr, f: (x: Expr) => Expr): Expr {
  switch (e.kind) {
    case 'col':
    case 'star':
    case 'lit':
      return e;
    case 'binary':
      return { ...e, left: f(e.left), right: f(e.right) };
    case 'unary':
    case 'cast':
    case 'alias':
    case 'like':
      return { ...e, arg: f(e.arg) };
    case 'call':
      return { ...e, args: e.args.map(f) };
    case 'agg':
      return { ...e, arg: e.arg ? f(e.arg) : null, ...(e.args ? { args: e.args.map(f) } : {}) };
    case 'in':
      return { ...e, arg: f(e.arg), values: e.values.map(f) };
    case 'between':
      return { ...e, arg: f(e.arg), low: f(e.low), high: f(e.high) };
    case 'case':
      return { ...e, whens: e.whens.map((w) => ({ when: f(w.when), then: f(w.then) })), otherwise: e.otherwise ? f(e.otherwise) : null };
    case 'window':
      return { ...e, fn: f(e.fn), partitionBy: e.partitionBy.map(f), orderBy: e.orderBy.map((k) => ({ ...k, expr: f(k.expr) })) };
  }
}

/** The node without its sub-expressions, as text (what must match besides the children). */
function shape(e: Expr): string {
  const stub = mapChildren(e, () => ({ kind: 'lit', value: null }));
  return JSON.stringify(stub);
}

/**
 * Structural equality, except that a column with no table matches the same
 * column with one (`brand` is `t.brand`); two different tables do not match.
 */
export function exprEquals(a: Expr, b: Expr): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'col' && b.kind === 'col') return a.name === b.name && (a.table === undefined || b.table === undefined || a.table === b.table);
  const ka = children(a);
  const kb = children(b);
  return ka.length === kb.length && shape(a) === shape(b) && ka.every((x, i) => exprEquals(x, kb[i]!));
}

/**
 * The aggregates `e` computes per group, outermost first: every `agg` except
 * a window's own function (`sum(x) OVER (...)` is a window, but the
 * `sum(x)` inside `rank() OVER (ORDER BY sum(x))` is a group aggregate).
 */
export function groupAggregates(e: Expr): Expr[] {
  if (e.kind === 'agg') return [e];
  if (e.kind === 'window') {
    const head = e.fn.kind === 'agg' || e.fn.kind === 'call' ? children(e.fn) : [e.fn];
    return [...head, ...e.partitionBy, ...e.orderBy.map((k) => k.expr)].flatMap(groupAggregates);
  }
  return children(e).flatMap(groupAggregates);
}

/** The window expressions in `e`, outermost first. */
export function windows(e: Expr): Expr[] {
  return e.kind === 'window' ? [e] : children(e).flatMap(windows);
}

/** The first node in `e` (pre-order) that `pred` accepts. */
export function findNode(e: Expr, pred: (x: Expr) => boolean): Expr | undefined {
  if (pred(e)) return e;
  for (const c of children(e)) {
    const hit = findNode(c, pred);
    if (hit) return hit;
  }
  return undefined;
}

/** The lower-cased table qualifiers `e` uses, or null if some column has none. */
export function qualifiersOf(e: Expr): Set<string> | null {
  const out = new Set<string>();
  let unqualified = false;
  const walk = (x: Expr): void => {
    if (x.kind === 'col' || x.kind === 'star') {
      if (x.table === undefined) unqualified = true;
      else out.add(x.table.toLowerCase());
    }
    children(x).forEach(walk);
  };
  walk(e);
  return unqualified ? null : out;
}

/** Adds `#2`, `#3`, ... to `name` until `taken` does not have it. */
export function uniqueName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  let n = 2;
  while (taken.has(`${name}#${n}`)) n++;
  return `${name}#${n}`;
}

/** `e` with each column `f` maps replaced; nodes with nothing replaced below them are kept as they were (same objects). */
export function replaceColumns(e: Expr, f: (c: Extract<Expr, { kind: 'col' }>) => Expr | undefined): Expr {
  if (e.kind === 'col') return f(e) ?? e;
  let changed = false;
  const next = mapChildren(e, (x) => {
    const y = replaceColumns(x, f);
    if (y !== x) changed = true;
    return y;
  });
  return changed ? next : e;
}
