/**
 * The SQL statement as parsed: plain data. Expressions are the shared `Expr`
 * (expr.ts), so only the query's skeleton is new here. `sqlToPlan`
 * (planner.ts) turns it into the logical plan the DataFrame API builds too.
 *
 * ```ts
 * // WITH b AS (SELECT * FROM t) SELECT x FROM b ORDER BY 1 LIMIT 5
 * { kind: 'query', ctes: [{ name: 'b', query: ... }],
 *   body: { kind: 'select', distinct: false, items: [col('x')], from: { kind: 'table', name: 'b', alias: null },
 *           where: null, groupBy: [], having: null },
 *   orderBy: [{ expr: lit(1), ascending: true, nullsFirst: true }], limit: 5, offset: 0, text: '...' }
 * ```
 */
import type { Expr, SortKey } from '../expr.ts';
import type { JoinType } from '../plan.ts';

/** A whole query: `[WITH ...] body [ORDER BY ...] [LIMIT n [OFFSET m]]`. */
export interface SqlQuery {
  readonly kind: 'query';
  readonly ctes: readonly SqlCte[];
  readonly body: SqlSetExpr;
  /** Applies to the body's output; for a plain SELECT it may also use its input columns and aggregates. */
  readonly orderBy: readonly SortKey[];
  readonly limit: number | null;
  readonly offset: number;
}

/** What `parseSql` returns: a query plus the text it came from (for errors found while planning). */
export interface SqlStatement extends SqlQuery {
  readonly text: string;
}

export interface SqlCte {
  readonly name: string;
  readonly query: SqlQuery;
}

/** A SELECT, a UNION of two, or a parenthesized query in a UNION. */
export type SqlSetExpr =
  | SqlSelect
  | { readonly kind: 'union'; readonly all: boolean; readonly left: SqlSetExpr; readonly right: SqlSetExpr }
  | { readonly kind: 'nested'; readonly query: SqlQuery };

export interface SqlSelect {
  readonly kind: 'select';
  readonly distinct: boolean;
  /** Select items; `AS name` is an `alias` expr, `*` / `t.*` a `star`. */
  readonly items: readonly Expr[];
  /** null: no FROM (`SELECT 1 + 1`). */
  readonly from: SqlFrom | null;
  readonly where: Expr | null;
  /** Expressions, select aliases (unqualified cols) or 1-based ordinals (integer literals). */
  readonly groupBy: readonly Expr[];
  readonly having: Expr | null;
}

export type SqlJoinType = JoinType | 'cross' | 'comma';

export type SqlFrom =
  | { readonly kind: 'table'; readonly name: string; readonly alias: string | null }
  | { readonly kind: 'subquery'; readonly query: SqlQuery; readonly alias: string | null }
  /** `comma` is `FROM a, b`; `cross` is `CROSS JOIN`; neither has `on`/`using`. */
  | { readonly kind: 'join'; readonly how: SqlJoinType; readonly left: SqlFrom; readonly right: SqlFrom; readonly on: Expr | null; readonly using: readonly string[] | null };
