/**
 * The SQL front end's parsers: `parseSql` for a query, `parseExpression` for
 * the expression strings the DataFrame API takes (`df.filter("price > 100")`,
 * `selectExpr("price * 2 AS p2")`). Recursive descent over the lexer's
 * tokens; every error is `ERR_SQL_SYNTAX` with line, column and a caret.
 *
 * ```text
 * query   := [WITH name AS (query), ...] set [ORDER BY key, ...] [LIMIT n [OFFSET m]]
 * set     := term (UNION [ALL | DISTINCT] term)*        term := select | (query)
 * select  := SELECT [DISTINCT] item, ... [FROM from, ...] [WHERE e] [GROUP BY (e, ... | ALL)] [HAVING e]
 * from    := primary (join primary (ON e | USING (name, ...)))*
 * primary := name [[AS] alias] | (query) [[AS] alias] | (from)
 * ```
 */
import { referencedColumns, some, unalias, type Expr, type SortKey } from '../expr.ts';
import type { SqlFrom, SqlJoinType, SqlQuery, SqlSelect, SqlSetExpr, SqlStatement } from './ast.ts';
import { Cursor } from './cursor.ts';
import type { Token } from './lexer.ts';
import { list, parseAlias, parseAliased, parseExpr, parseSortKey } from './exprParser.ts';

/** Parses one query (a trailing `;` is allowed). */
export function parseSql(text: string): SqlStatement {
  const c = new Cursor(text);
  if (c.peek().type === 'eof') c.expected('a query (SELECT or WITH)');
  const query = parseQuery(c);
  while (c.acceptPunct(';'));
  if (c.peek().type !== 'eof') c.expected(c.isPunct(')') ? 'end of query (unbalanced parenthesis)' : 'end of query');
  return { ...query, text };
}

/** Parses one expression, optionally aliased (`price * 2 AS p2`), or `*` / `t.*` (as `selectExpr('*')` takes). */
export function parseExpression(text: string): Expr {
  const c = new Cursor(text);
  const expr = parseSelectItem(c);
  if (c.peek().type !== 'eof') c.expected('end of expression');
  return expr;
}

function parseQuery(c: Cursor): SqlQuery {
  const ctes: { name: string; query: SqlQuery }[] = [];
  if (c.acceptWord('WITH')) {
    if (c.isWord('RECURSIVE')) c.fail('WITH RECURSIVE is not supported');
    do {
      const name = c.name('a name for the WITH query');
      if (c.isPunct('(')) c.fail('column lists on WITH queries are not supported; alias the columns inside instead');
      c.expectWord('AS');
      c.expectPunct('(');
      ctes.push({ name, query: parseQuery(c) });
      c.expectPunct(')');
    } while (c.acceptPunct(','));
  }
  const body = parseSetExpr(c);
  let orderBy: SortKey[] = [];
  if (c.acceptWord('ORDER')) {
    c.expectWord('BY');
    orderBy = list(c, parseSortKey);
  }
  let limit: number | null = null;
  let offset = 0;
  if (c.acceptWord('LIMIT')) {
    if (c.acceptWord('ALL')) limit = null;
    else limit = count(c, 'LIMIT');
  }
  if (c.isWord('OFFSET')) {
    if (limit === null) c.fail('OFFSET needs a LIMIT before it (LIMIT n OFFSET m)');
    c.next();
    offset = count(c, 'OFFSET');
  }
  return { kind: 'query', ctes, body, orderBy, limit, offset };
}

/** A non-negative integer literal. */
function count(c: Cursor, clause: string): number {
  const t = c.peek();
  if (t.type !== 'number' || !/^[0-9]+$/.test(t.value)) c.expected(`a non-negative integer after ${clause}`);
  c.next();
  return Number(t.value);
}

function parseSetExpr(c: Cursor): SqlSetExpr {
  let left = parseSetTerm(c);
  for (;;) {
    if (c.isWord(['INTERSECT', 'EXCEPT', 'MINUS'])) c.fail(`${c.peek().value} is not supported (use a LEFT SEMI JOIN or LEFT ANTI JOIN)`);
    if (!c.acceptWord('UNION')) return left;
    const all = c.acceptWord('ALL');
    if (!all) c.acceptWord('DISTINCT');
    left = { kind: 'union', all, left, right: parseSetTerm(c) };
  }
}

function parseSetTerm(c: Cursor): SqlSetExpr {
  if (c.isPunct('(') && (c.isWord(['SELECT', 'WITH'], 1) || c.isPunct('(', 1))) {
    c.next();
    const query = parseQuery(c);
    c.expectPunct(')');
    return { kind: 'nested', query };
  }
  if (c.isWord('VALUES')) c.fail('VALUES lists are not supported; use createDataFrame and a temp view');
  c.expectWord('SELECT');
  return parseSelect(c);
}

function parseSelect(c: Cursor): SqlSelect {
  const distinct = c.acceptWord('DISTINCT');
  if (!distinct) c.acceptWord('ALL');
  const items = list(c, parseSelectItem);
  const from = c.acceptWord('FROM') ? parseFrom(c) : null;
  const where = c.acceptWord('WHERE') ? parseExpr(c) : null;
  let groupBy: Expr[] = [];
  if (c.acceptWord('GROUP')) {
    c.expectWord('BY');
    if (c.isWord(['ROLLUP', 'CUBE', 'GROUPING']) && c.isPunct('(', 1)) c.fail(`GROUP BY ${c.peek().value} is not supported`);
    const all = c.peek();
    groupBy = c.acceptWord('ALL') ? groupByAll(c, items, all) : list(c, parseExpr);
  }
  const having = c.acceptWord('HAVING') ? parseExpr(c) : null;
  return { kind: 'select', distinct, items, from, where, groupBy, having };
}

/** `GROUP BY ALL` (Spark 3.4): every select item that reads a column and holds no aggregate or window. */
function groupByAll(c: Cursor, items: readonly Expr[], at: Token): Expr[] {
  if (items.some((it) => it.kind === 'star')) c.fail('GROUP BY ALL cannot be used with SELECT *; list the columns', at);
  return items.map(unalias).filter((e) => referencedColumns(e).length > 0 && !some(e, (x) => x.kind === 'agg' || x.kind === 'window'));
}

function parseSelectItem(c: Cursor): Expr {
  const t = c.peek();
  if (c.acceptPunct('*')) return c.mark({ kind: 'star' }, t);
  const item = parseAliased(c);
  if (item.kind === 'alias' && item.arg.kind === 'star') c.fail(`'${item.arg.table}.*' cannot have an alias`, t);
  return item;
}

/** `a, b JOIN c ON ...`: joins bind tighter than commas, so this is `a, (b JOIN c)`. */
function parseFrom(c: Cursor): SqlFrom {
  let from = parseJoined(c);
  while (c.isPunct(',')) {
    const t = c.next();
    from = c.mark({ kind: 'join', how: 'comma', left: from, right: parseJoined(c), on: null, using: null }, t);
  }
  return from;
}

/** The join type at the cursor (consuming its words through JOIN), or null when no join follows. */
function joinType(c: Cursor): SqlJoinType | null {
  const two = (a: string, b: string): boolean => c.isWord(a) && c.isWord(b, 1);
  const three = (a: string, b: string, d: string): boolean => two(a, b) && c.isWord(d, 2);
  const take = (n: number, how: SqlJoinType): SqlJoinType => {
    for (let i = 0; i < n; i++) c.next();
    return how;
  };
  if (c.isWord('NATURAL')) c.fail('NATURAL JOIN is not supported; use JOIN ... USING (columns)');
  if (c.isWord('JOIN')) return take(1, 'inner');
  if (two('INNER', 'JOIN')) return take(2, 'inner');
  if (two('CROSS', 'JOIN')) return take(2, 'cross');
  if (two('SEMI', 'JOIN')) return take(2, 'semi');
  if (two('ANTI', 'JOIN')) return take(2, 'anti');
  for (const [word, how] of [['LEFT', 'left'], ['RIGHT', 'right'], ['FULL', 'full']] as const) {
    if (two(word, 'JOIN')) return take(2, how);
    if (three(word, 'OUTER', 'JOIN')) return take(3, how);
  }
  if (three('LEFT', 'SEMI', 'JOIN')) return take(3, 'semi');
  if (three('LEFT', 'ANTI', 'JOIN')) return take(3, 'anti');
  if (c.isWord(['INNER', 'CROSS', 'LEFT', 'RIGHT', 'FULL', 'SEMI', 'ANTI', 'OUTER'])) {
    const t = c.peek();
    const next = c.peek(1);
    c.expected(t.value === 'LEFT' || t.value === 'RIGHT' || t.value === 'FULL' ? `JOIN or OUTER JOIN after ${t.value}` : `JOIN after ${t.value}`, next);
  }
  return null;
}

function parseJoined(c: Cursor): SqlFrom {
  let left = parseFromPrimary(c);
  for (;;) {
    const at = c.peek();
    const how = joinType(c);
    if (how === null) return left;
    const right = parseFromPrimary(c);
    let on: Expr | null = null;
    let using: string[] | null = null;
    if (how !== 'cross') {
      if (c.acceptWord('ON')) {
        on = parseExpr(c);
      } else if (c.acceptWord('USING')) {
        c.expectPunct('(');
        using = list(c, (x) => x.name('a column name'));
        c.expectPunct(')');
      } else {
        c.expected('ON or USING after the joined table');
      }
    }
    left = c.mark({ kind: 'join', how, left, right, on, using }, at);
  }
}

function parseFromPrimary(c: Cursor): SqlFrom {
  const t = c.peek();
  if (c.acceptPunct('(')) {
    if (c.isWord(['SELECT', 'WITH']) || c.isPunct('(')) {
      const query = parseQuery(c);
      c.expectPunct(')');
      return c.mark({ kind: 'subquery', query, alias: tableAlias(c) }, t);
    }
    const inner = parseFrom(c);
    c.expectPunct(')');
    return inner;
  }
  if (c.isWord('VALUES')) c.fail('VALUES lists are not supported; use createDataFrame and a temp view');
  if (c.isWord('LATERAL')) c.fail('LATERAL is not supported');
  const name = c.name('a table name');
  if (c.isPunct('.')) c.fail('qualified table names (db.table) are not supported; register a temp view');
  if (c.isPunct('(')) c.fail('table functions are not supported');
  return c.mark({ kind: 'table', name, alias: tableAlias(c) }, t);
}

function tableAlias(c: Cursor): string | null {
  const alias = parseAlias(c);
  if (alias !== null && c.isPunct('(')) c.fail('column aliases on a table (t(a, b)) are not supported');
  return alias;
}
