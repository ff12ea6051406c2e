/**
 * SQL expressions into the shared `Expr` AST, by recursive descent. From the
 * loosest binding to the tightest (standard SQL, as Spark):
 *
 *   OR < AND < NOT < comparisons (= == != <> < <= > >=, IS [NOT] NULL,
 *   [NOT] IN, [NOT] BETWEEN, [NOT] LIKE) < + - || < * / % < unary - + < primary
 *
 * Primaries: literals, (quoted) column names `t.col`, `t.*`, function calls
 * (aggregates become `agg`, `... OVER (...)` a `window`), CASE, CAST,
 * `DATE '...'` / `TIMESTAMP '...'`, EXTRACT(field FROM x), parentheses.
 */
import type { AggFunction, BinaryOp, DataType, Expr, SortKey } from '../expr.ts';
import { Cursor, RESERVED } from './cursor.ts';
import type { Token } from './lexer.ts';

/** SQL type names accepted by CAST, and the `DataType` each becomes. DECIMAL/NUMERIC are read as double. */
export const SQL_TYPES: Readonly<Record<string, DataType>> = {
  BOOLEAN: 'boolean', BOOL: 'boolean',
  TINYINT: 'int', SMALLINT: 'int', INT: 'int', INTEGER: 'int',
  BIGINT: 'bigint', LONG: 'bigint',
  FLOAT: 'float', REAL: 'float',
  DOUBLE: 'double', DECIMAL: 'double', NUMERIC: 'double', DEC: 'double',
  STRING: 'string', VARCHAR: 'string', CHAR: 'string', TEXT: 'string',
  DATE: 'date', TIMESTAMP: 'timestamp',
};

/** SQL aggregate names and the `AggFunction` each becomes (`count(DISTINCT x)` becomes countDistinct). */
export const SQL_AGGREGATES: Readonly<Record<string, AggFunction>> = {
  sum: 'sum', avg: 'avg', mean: 'avg', count: 'count', min: 'min', max: 'max',
  stddev: 'stddev', stddev_samp: 'stddev', std: 'stddev', variance: 'variance', var_samp: 'variance',
  first: 'first', median: 'median', corr: 'corr',
};

/** Functions that only run over a window. */
const WINDOW_ONLY = new Set(['row_number', 'rank', 'dense_rank']);

/** Reserved words that may still name a function when a '(' follows (`left(name, 3)`). */
const RESERVED_FUNCTIONS = new Set(['LEFT', 'RIGHT']);

const COMPARISON: Readonly<Record<string, BinaryOp>> = { '=': '=', '==': '=', '!=': '!=', '<>': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

export function parseExpr(c: Cursor): Expr {
  const start = c.peek();
  let left = parseAnd(c);
  while (c.acceptWord('OR')) left = c.mark({ kind: 'binary', op: 'or', left, right: parseAnd(c) }, start);
  return left;
}

function parseAnd(c: Cursor): Expr {
  const start = c.peek();
  let left = parseNot(c);
  while (c.acceptWord('AND')) left = c.mark({ kind: 'binary', op: 'and', left, right: parseNot(c) }, start);
  return left;
}

function parseNot(c: Cursor): Expr {
  const start = c.peek();
  if (c.isWord('NOT')) {
    if (c.isWord('EXISTS', 1)) c.fail('subqueries in expressions (EXISTS) are not supported', c.peek(1));
    c.next();
    return c.mark({ kind: 'unary', op: 'not', arg: parseNot(c) }, start);
  }
  return parseComparison(c);
}

function parseComparison(c: Cursor): Expr {
  const start = c.peek();
  let left = parseAdditive(c);
  for (;;) {
    const t = c.peek();
    if (t.type === 'punct' && COMPARISON[t.value]) {
      c.next();
      left = c.mark({ kind: 'binary', op: COMPARISON[t.value]!, left, right: parseAdditive(c) }, start);
    } else if (c.isWord('IS')) {
      c.next();
      const negated = c.acceptWord('NOT');
      if (!c.acceptWord('NULL')) c.expected(negated ? 'NULL after IS NOT' : 'NULL or NOT NULL after IS');
      left = c.mark({ kind: 'unary', op: negated ? 'isNotNull' : 'isNull', arg: left }, start);
    } else if (c.isWord(['IN', 'BETWEEN', 'LIKE']) || (c.isWord('NOT') && c.isWord(['IN', 'BETWEEN', 'LIKE'], 1))) {
      const negated = c.acceptWord('NOT');
      left = c.mark(parsePredicate(c, left, negated), start);
    } else if (c.isWord(['ILIKE', 'RLIKE', 'REGEXP']) || (c.isWord('NOT') && c.isWord(['ILIKE', 'RLIKE', 'REGEXP'], 1))) {
      const w = c.isWord('NOT') ? c.peek(1) : t;
      c.fail(`${w.value} is not supported (use LIKE, or lower(x) LIKE for case-insensitive matching)`, w);
    } else {
      return left;
    }
  }
}

/** The rest of `x [NOT] IN (...)`, `x [NOT] BETWEEN a AND b`, `x [NOT] LIKE 'p'`, from the keyword on. */
function parsePredicate(c: Cursor, arg: Expr, negated: boolean): Expr {
  const neg = negated ? { negated: true } : {};
  const word = c.next();
  if (word.value === 'IN') {
    c.expectPunct('(');
    if (c.isWord(['SELECT', 'WITH'])) c.fail('subqueries in expressions (IN (SELECT ...)) are not supported');
    const values = list(c, parseExpr);
    c.expectPunct(')');
    return { kind: 'in', arg, values, ...neg };
  }
  if (word.value === 'BETWEEN') {
    const low = parseAdditive(c);
    c.expectWord('AND');
    return { kind: 'between', arg, low, high: parseAdditive(c), ...neg };
  }
  const pattern = c.peek();
  if (pattern.type !== 'string') c.expected('a string literal pattern after LIKE');
  c.next();
  if (c.isWord('ESCAPE')) c.fail('LIKE ... ESCAPE is not supported');
  return { kind: 'like', arg, pattern: pattern.value, ...neg };
}

function parseAdditive(c: Cursor): Expr {
  const start = c.peek();
  let left = parseMultiplicative(c);
  for (;;) {
    if (c.acceptPunct('+')) left = c.mark({ kind: 'binary', op: '+', left, right: parseMultiplicative(c) }, start);
    else if (c.acceptPunct('-')) left = c.mark({ kind: 'binary', op: '-', left, right: parseMultiplicative(c) }, start);
    else if (c.acceptPunct('||')) left = c.mark({ kind: 'call', fn: 'concat', args: [left, parseMultiplicative(c)] }, start);
    else return left;
  }
}

function parseMultiplicative(c: Cursor): Expr {
  const start = c.peek();
  let left = parseUnary(c);
  for (;;) {
    const t = c.peek();
    if (t.type !== 'punct' || (t.value !== '*' && t.value !== '/' && t.value !== '%')) return left;
    c.next();
    left = c.mark({ kind: 'binary', op: t.value, left, right: parseUnary(c) }, start);
  }
}

function parseUnary(c: Cursor): Expr {
  const start = c.peek();
  if (c.acceptPunct('+')) return parseUnary(c);
  if (c.acceptPunct('-')) {
    const arg = parseUnary(c);
    // A negative number is a literal (Spark names `SELECT -5` as `-5`).
    if (arg.kind === 'lit' && typeof arg.value === 'number' && c.peek(-1).type === 'number') return c.mark({ kind: 'lit', value: -arg.value }, start);
    return c.mark({ kind: 'unary', op: 'neg', arg }, start);
  }
  return parsePrimary(c);
}

function parsePrimary(c: Cursor): Expr {
  const t = c.peek();
  switch (t.type) {
    case 'number':
      c.next();
      return c.mark({ kind: 'lit', value: Number(t.value) }, t);
    case 'string':
      c.next();
      return c.mark({ kind: 'lit', value: t.value }, t);
    case 'ident':
      return parseName(c);
    case 'punct':
      if (t.value === '(') {
        c.next();
        if (c.isWord(['SELECT', 'WITH'])) c.fail('subqueries in expressions are not supported (use a JOIN, or a subquery in FROM)');
        const inner = parseExpr(c);
        c.expectPunct(')');
        return inner;
      }
      return c.expected('an expression');
    case 'eof':
      return c.expected('an expression');
    case 'word':
      return parseWord(c, t);
  }
}

function parseWord(c: Cursor, t: Token): Expr {
  const call = c.isPunct('(', 1);
  switch (t.value) {
    case 'TRUE':
    case 'FALSE':
      c.next();
      return c.mark({ kind: 'lit', value: t.value === 'TRUE' }, t);
    case 'NULL':
      c.next();
      return c.mark({ kind: 'lit', value: null }, t);
    case 'CASE':
      return parseCase(c);
    case 'EXISTS':
    case 'SELECT':
      return c.fail('subqueries in expressions are not supported (use a JOIN, or a subquery in FROM)');
  }
  if ((t.value === 'DATE' || t.value === 'TIMESTAMP') && c.peek(1).type === 'string') {
    c.next();
    const s = c.next();
    return c.mark({ kind: 'cast', arg: c.mark({ kind: 'lit', value: s.value }, s), to: SQL_TYPES[t.value]! }, t);
  }
  if (t.value === 'INTERVAL' && c.peek(1).type !== 'punct') return c.fail('INTERVAL literals are not supported');
  if (t.value === 'CAST' && call) return parseCast(c);
  if (t.value === 'EXTRACT' && call) return parseExtract(c);
  if (call && (!RESERVED.has(t.value) || RESERVED_FUNCTIONS.has(t.value))) return parseCall(c);
  if (RESERVED.has(t.value)) return c.expected('an expression');
  return parseName(c);
}

/** `name`, `t.name`, `t.*` (names quoted or not). */
function parseName(c: Cursor): Expr {
  const start = c.peek();
  const first = c.name('a column name');
  if (!c.acceptPunct('.')) return c.mark({ kind: 'col', name: first }, start);
  if (c.acceptPunct('*')) return c.mark({ kind: 'star', table: first }, start);
  const second = c.name(`a column name after '${first}.'`);
  if (c.isPunct('.')) c.fail('names with three parts (db.table.column) are not supported');
  return c.mark({ kind: 'col', name: second, table: first }, start);
}

function parseCall(c: Cursor): Expr {
  const start = c.next();
  const fn = start.text.toLowerCase();
  c.expectPunct('(');
  const distinctToken = c.peek();
  const distinct = c.acceptWord('DISTINCT');
  if (!distinct) c.acceptWord('ALL');
  let args: Expr[] = [];
  let star = false;
  if (c.isPunct('*') && c.isPunct(')', 1)) {
    if (fn !== 'count') c.fail(`${fn}(*) is not valid; only count(*) takes *`);
    c.next();
    star = true;
  } else if (!c.isPunct(')')) {
    args = list(c, parseExpr);
  }
  c.expectPunct(')');
  let expr: Expr;
  const agg = SQL_AGGREGATES[fn];
  if (agg) {
    const arity = agg === 'corr' ? 2 : 1;
    if (!star && args.length !== arity) c.fail(`${fn}() takes ${arity === 1 ? 'one argument' : 'two arguments'}, got ${args.length}`, start);
    if (star && distinct) c.fail('count(DISTINCT *) is not supported; name the columns', distinctToken);
    if (agg === 'count' && distinct) expr = { kind: 'agg', fn: 'countDistinct', arg: args[0]! };
    else if (agg === 'corr') expr = { kind: 'agg', fn: 'corr', arg: args[0]!, args: [args[1]!], ...(distinct ? { distinct } : {}) };
    else expr = { kind: 'agg', fn: agg, arg: star ? null : args[0]!, ...(distinct ? { distinct } : {}) };
  } else {
    if (distinct) c.fail(`DISTINCT is only allowed in an aggregate function, not in ${fn}()`, distinctToken);
    if (WINDOW_ONLY.has(fn) && args.length > 0) c.fail(`${fn}() takes no arguments`, start);
    expr = { kind: 'call', fn, args };
  }
  c.mark(expr, start);
  if (c.isWord('OVER')) {
    if (expr.kind === 'call' && !WINDOW_ONLY.has(fn)) c.fail(`${fn}() is not a window function; OVER needs an aggregate or one of ${[...WINDOW_ONLY].join(', ')}`);
    return c.mark(parseOver(c, expr), start);
  }
  if (WINDOW_ONLY.has(fn)) c.expected(`OVER after ${fn}() (it is a window function)`);
  return expr;
}

/** `OVER ([PARTITION BY e, ...] [ORDER BY k, ...])`. */
function parseOver(c: Cursor, fn: Expr): Expr {
  c.expectWord('OVER');
  if (c.isName()) c.fail('named windows (OVER w) are not supported; write OVER (PARTITION BY ... ORDER BY ...)');
  c.expectPunct('(');
  let partitionBy: Expr[] = [];
  let orderBy: SortKey[] = [];
  if (c.acceptWord('PARTITION')) {
    c.expectWord('BY');
    partitionBy = list(c, parseExpr);
  }
  if (c.acceptWord('ORDER')) {
    c.expectWord('BY');
    orderBy = list(c, parseSortKey);
  }
  if (c.isWord(['ROWS', 'RANGE'])) c.fail('window frames (ROWS/RANGE BETWEEN ...) are not supported');
  c.expectPunct(')');
  return { kind: 'window', fn, partitionBy, orderBy };
}

/** `expr [ASC | DESC] [NULLS FIRST | NULLS LAST]`; nulls default first when ascending, last when descending (Spark). */
export function parseSortKey(c: Cursor): SortKey {
  const expr = parseExpr(c);
  const ascending = c.acceptWord('DESC') ? false : (c.acceptWord('ASC'), true);
  let nullsFirst = ascending;
  if (c.acceptWord('NULLS')) {
    if (c.acceptWord('FIRST')) nullsFirst = true;
    else if (c.acceptWord('LAST')) nullsFirst = false;
    else c.expected('FIRST or LAST after NULLS');
  }
  return { expr, ascending, nullsFirst };
}

/** `CASE [x] WHEN a THEN b ... [ELSE c] END`; the simple form compares `x = a`. */
function parseCase(c: Cursor): Expr {
  const start = c.expectWord('CASE');
  const operand = c.isWord('WHEN') ? null : parseExpr(c);
  const whens: { when: Expr; then: Expr }[] = [];
  while (c.acceptWord('WHEN')) {
    const at = c.peek();
    const cond = parseExpr(c);
    const when: Expr = operand ? c.mark({ kind: 'binary', op: '=', left: operand, right: cond }, at) : cond;
    c.expectWord('THEN');
    whens.push({ when, then: parseExpr(c) });
  }
  if (whens.length === 0) c.expected('WHEN');
  const otherwise = c.acceptWord('ELSE') ? parseExpr(c) : null;
  c.expectWord('END');
  return c.mark({ kind: 'case', whens, otherwise }, start);
}

/** `CAST(x AS type)`, with optional `(n[, m])` after the type (ignored). */
function parseCast(c: Cursor): Expr {
  const start = c.next();
  c.expectPunct('(');
  const arg = parseExpr(c);
  c.expectWord('AS');
  const t = c.peek();
  const to = t.type === 'word' ? SQL_TYPES[t.value] : undefined;
  if (!to) c.fail(`unknown type ${t.type === 'eof' ? '(none)' : `'${t.text}'`} in CAST; supported: ${Object.keys(SQL_TYPES).join(', ')}`);
  c.next();
  if (t.value === 'DOUBLE') c.acceptWord('PRECISION');
  if (c.acceptPunct('(')) {
    list(c, (x) => x.next());
    c.expectPunct(')');
  }
  c.expectPunct(')');
  return c.mark({ kind: 'cast', arg, to }, start);
}

/** `EXTRACT(YEAR FROM d)` is `year(d)`. */
function parseExtract(c: Cursor): Expr {
  const start = c.next();
  c.expectPunct('(');
  const field = c.peek();
  if (field.type !== 'word') c.expected('a date part (YEAR, MONTH, DAY, ...)');
  c.next();
  c.expectWord('FROM');
  const arg = parseExpr(c);
  c.expectPunct(')');
  return c.mark({ kind: 'call', fn: field.value.toLowerCase(), args: [arg] }, start);
}

/** `item (, item)*`. */
export function list<T>(c: Cursor, item: (c: Cursor) => T): T[] {
  const out = [item(c)];
  while (c.acceptPunct(',')) out.push(item(c));
  return out;
}

/** An optional alias after an expression: `AS name`, or a bare name that is not a keyword. */
export function parseAlias(c: Cursor): string | null {
  if (c.acceptWord('AS')) return c.name('an alias after AS');
  return c.isName() ? c.name('an alias') : null;
}

/** An expression with an optional alias (a select item, or the text of `selectExpr`). */
export function parseAliased(c: Cursor): Expr {
  const start = c.peek();
  const expr = parseExpr(c);
  const name = parseAlias(c);
  return name === null ? expr : c.mark({ kind: 'alias', arg: expr, name }, start);
}
