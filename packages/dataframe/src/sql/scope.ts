/**
 * What planning one statement needs besides the AST: the catalog of tables,
 * the WITH queries in scope, and the statement's text so that errors found
 * while planning can point at the node that caused them.
 */
import { ShoalError } from '@shoal/protocol';
import { children, type Expr } from '../expr.ts';
import type { Plan } from '../plan.ts';
import { offsetOf } from './cursor.ts';
import { positionOf, sqlError, sqlErrorAt, type SqlError } from './errors.ts';
import { findNode } from './exprUtils.ts';

/** The tables and views a query can name (`createOrReplaceTempView`). */
export interface Catalog {
  get(name: string): Plan | undefined;
  names(): readonly string[];
}

export interface Scope {
  readonly catalog: Catalog;
  /** WITH queries visible here, innermost last. */
  readonly ctes: readonly { readonly name: string; readonly plan: Plan }[];
  /** The statement's text, when it came from `parseSql` (for positions in errors). */
  readonly text: string | undefined;
}

/** An `ERR_SQL_SYNTAX` for a query that parses but cannot be planned, pointing at `node` when the parser made it. */
export function planError(scope: Scope, node: object, message: string): SqlError {
  const offset = offsetOf(node);
  return scope.text !== undefined && offset !== undefined ? sqlErrorAt(scope.text, offset, message, 'SQL error') : sqlError(message);
}

/** Fails if `e` (a WHERE, GROUP BY, ON or HAVING expression) holds what `clause` does not allow. */
export function checkClause(scope: Scope, e: Expr | null, clause: string, allowAggregates = false): void {
  if (e === null) return;
  const win = findNode(e, (x) => x.kind === 'window');
  if (win) throw planError(scope, win, `window functions are not allowed in ${clause}; compute them in a subquery's SELECT first`);
  const agg = findNode(e, (x) => x.kind === 'agg');
  if (agg && !allowAggregates) throw planError(scope, agg, `aggregate functions are not allowed in ${clause}${clause === 'WHERE' ? ' (use HAVING)' : ''}`);
  if (agg) checkNoNestedAggregates(scope, e);
}

/** `sum(avg(x))` is an error (outside windows, where `sum(avg(x)) OVER ()` is fine). */
export function checkNoNestedAggregates(scope: Scope, e: Expr): void {
  const visit = (x: Expr, insideAgg: boolean): void => {
    if (x.kind === 'agg') {
      if (insideAgg) throw planError(scope, x, 'aggregate functions cannot be nested');
      children(x).forEach((a) => visit(a, true));
      return;
    }
    if (x.kind === 'window') {
      // The window's own function is not a group aggregate; its arguments may hold one.
      (x.fn.kind === 'agg' || x.fn.kind === 'call' ? children(x.fn) : [x.fn]).forEach((a) => visit(a, false));
      x.partitionBy.forEach((a) => visit(a, insideAgg));
      x.orderBy.forEach((k) => visit(k.expr, insideAgg));
      return;
    }
    children(x).forEach((c) => visit(c, insideAgg));
  };
  visit(e, false);
}

/** The plan of a table or WITH query, or `ERR_BAD_OPTION` listing the known names. */
export function lookupTable(scope: Scope, node: object, name: string): Plan {
  for (let i = scope.ctes.length - 1; i >= 0; i--) {
    if (scope.ctes[i]!.name.toLowerCase() === name.toLowerCase()) return scope.ctes[i]!.plan;
  }
  const exact = scope.catalog.get(name);
  if (exact) return exact;
  const names = scope.catalog.names();
  const folded = names.find((n) => n.toLowerCase() === name.toLowerCase());
  if (folded !== undefined) {
    const plan = scope.catalog.get(folded);
    if (plan) return plan;
  }
  const known = [...new Set([...scope.ctes.map((c) => c.name), ...names])];
  const offset = offsetOf(node);
  const at = scope.text !== undefined && offset !== undefined ? ` (line ${positionOf(scope.text, offset).line}, column ${positionOf(scope.text, offset).column})` : '';
  throw new ShoalError('ERR_BAD_OPTION', `unknown table or view '${name}'${at}; known: ${known.length ? known.join(', ') : '(none; register one with df.createOrReplaceTempView(name))'}`);
}
