import { describe, expect, it } from 'vitest';
import { positionOf } from './errors.ts';
import { parseExpression, parseSql } from './parser.ts';
import { thrown } from './testUtil.ts';

/** [text, full message, line, column]: the message names the position and shows the line with a caret. */
const sqlCases: [string, string, number, number][] = [
  ['SELECT a FORM t', "SQL syntax error at line 1, column 10: expected FROM, found 'FORM'\n  SELECT a FORM t\n           ^", 1, 10],
  ['SELECT a\nFROM t\nWHRE x > 1', "SQL syntax error at line 3, column 1: expected WHERE, found 'WHRE'\n  WHRE x > 1\n  ^", 3, 1],
  ['SELECT a,\n  b FROM t WHERE x >\n', 'SQL syntax error at line 2, column 21: expected an expression, found end of input\n    b FROM t WHERE x >\n                      ^', 2, 21],
  ['SELECT * FROM t WHERE', 'SQL syntax error at line 1, column 22: expected an expression, found end of input\n  SELECT * FROM t WHERE\n                       ^', 1, 22],
  ['SELECT a FROM t GROUP x', "SQL syntax error at line 1, column 23: expected BY, found 'x'\n  SELECT a FROM t GROUP x\n                        ^", 1, 23],
  ["SELECT 'abc FROM t", "SQL syntax error at line 1, column 8: unterminated string literal (no closing ')\n  SELECT 'abc FROM t\n         ^", 1, 8],
  ['SELECT "abc FROM t', 'SQL syntax error at line 1, column 8: unterminated quoted identifier (no closing ")\n  SELECT "abc FROM t\n         ^', 1, 8],
  ['SELECT a # b FROM t', "SQL syntax error at line 1, column 10: unexpected character '#'\n  SELECT a # b FROM t\n           ^", 1, 10],
  ['SELECT a FROM t /* open', 'SQL syntax error at line 1, column 17: unterminated comment (/* without */)\n  SELECT a FROM t /* open\n                  ^', 1, 17],
  ['SELECT (a + 1 FROM t', "SQL syntax error at line 1, column 15: expected ')', found 'FROM'\n  SELECT (a + 1 FROM t\n                ^", 1, 15],
  ['SELECT a FROM t)', "SQL syntax error at line 1, column 16: expected end of query (unbalanced parenthesis), found ')'\n  SELECT a FROM t)\n                 ^", 1, 16],
  ['\tSELECT a\n\tFROM t x y', "SQL syntax error at line 2, column 11: expected end of query, found 'y'\n  \tFROM t x y\n  \t         ^", 2, 11],
  ['', 'SQL syntax error at line 1, column 1: expected a query (SELECT or WITH), found end of input\n  \n  ^', 1, 1],
  ['UPDATE t SET a = 1', "SQL syntax error at line 1, column 1: expected SELECT, found 'UPDATE'\n  UPDATE t SET a = 1\n  ^", 1, 1],
  ['SELECT a FROM t LIMIT -1', "SQL syntax error at line 1, column 23: expected a non-negative integer after LIMIT, found '-'\n  SELECT a FROM t LIMIT -1\n                        ^", 1, 23],
  ['SELECT a FROM t LEFT x', "SQL syntax error at line 1, column 22: expected JOIN or OUTER JOIN after LEFT, found 'x'\n  SELECT a FROM t LEFT x\n                       ^", 1, 22],
  ['SELECT a FROM t JOIN u', 'SQL syntax error at line 1, column 23: expected ON or USING after the joined table, found end of input\n  SELECT a FROM t JOIN u\n                        ^', 1, 23],
  ['SELECT a FROM t NATURAL JOIN u', 'SQL syntax error at line 1, column 17: NATURAL JOIN is not supported; use JOIN ... USING (columns)\n  SELECT a FROM t NATURAL JOIN u\n                  ^', 1, 17],
  ['SELECT a FROM t WHERE a IN (SELECT b FROM u)', 'SQL syntax error at line 1, column 29: subqueries in expressions (IN (SELECT ...)) are not supported\n  SELECT a FROM t WHERE a IN (SELECT b FROM u)\n                              ^', 1, 29],
  ['SELECT a FROM t INTERSECT SELECT a FROM u', 'SQL syntax error at line 1, column 17: INTERSECT is not supported (use a LEFT SEMI JOIN or LEFT ANTI JOIN)\n  SELECT a FROM t INTERSECT SELECT a FROM u\n                  ^', 1, 17],
  ['SELECT CAST(a AS money) FROM t', "SQL syntax error at line 1, column 18: unknown type 'money' in CAST; supported: BOOLEAN, BOOL, TINYINT, SMALLINT, INT, INTEGER, BIGINT, LONG, FLOAT, REAL, DOUBLE, DECIMAL, NUMERIC, DEC, STRING, VARCHAR, CHAR, TEXT, DATE, TIMESTAMP\n  SELECT CAST(a AS money) FROM t\n                   ^", 1, 18],
  ['SELECT row_number() FROM t', "SQL syntax error at line 1, column 21: expected OVER after row_number() (it is a window function), found 'FROM'\n  SELECT row_number() FROM t\n                      ^", 1, 21],
  ['SELECT upper(a) OVER () FROM t', 'SQL syntax error at line 1, column 17: upper() is not a window function; OVER needs an aggregate or one of row_number, rank, dense_rank\n  SELECT upper(a) OVER () FROM t\n                  ^', 1, 17],
  ['SELECT sum(a, b) FROM t', 'SQL syntax error at line 1, column 8: sum() takes one argument, got 2\n  SELECT sum(a, b) FROM t\n         ^', 1, 8],
  ['SELECT max(*) FROM t', 'SQL syntax error at line 1, column 12: max(*) is not valid; only count(*) takes *\n  SELECT max(*) FROM t\n             ^', 1, 12],
  ['SELECT upper(DISTINCT a) FROM t', 'SQL syntax error at line 1, column 14: DISTINCT is only allowed in an aggregate function, not in upper()\n  SELECT upper(DISTINCT a) FROM t\n               ^', 1, 14],
  ['SELECT a FROM t WHERE a LIKE b', "SQL syntax error at line 1, column 30: expected a string literal pattern after LIKE, found 'b'\n  SELECT a FROM t WHERE a LIKE b\n                               ^", 1, 30],
  ['SELECT a FROM t WHERE a IS 1', "SQL syntax error at line 1, column 28: expected NULL or NOT NULL after IS, found '1'\n  SELECT a FROM t WHERE a IS 1\n                             ^", 1, 28],
  ['SELECT CASE END FROM t', "SQL syntax error at line 1, column 13: expected an expression, found 'END'\n  SELECT CASE END FROM t\n              ^", 1, 13],
  ['SELECT a FROM t OFFSET 2', 'SQL syntax error at line 1, column 17: OFFSET needs a LIMIT before it (LIMIT n OFFSET m)\n  SELECT a FROM t OFFSET 2\n                  ^', 1, 17],
  ['WITH x (a) AS (SELECT 1) SELECT * FROM x', 'SQL syntax error at line 1, column 8: column lists on WITH queries are not supported; alias the columns inside instead\n  WITH x (a) AS (SELECT 1) SELECT * FROM x\n         ^', 1, 8],
  ['SELECT 12abc FROM t', "SQL syntax error at line 1, column 8: invalid number '12a'\n  SELECT 12abc FROM t\n         ^", 1, 8],
  ['SELECT a FROM t ORDER BY a NULLS LAST2', "SQL syntax error at line 1, column 34: expected FIRST or LAST after NULLS, found 'LAST2'\n  SELECT a FROM t ORDER BY a NULLS LAST2\n                                   ^", 1, 34],
  ['SELECT x.y.z FROM t', 'SQL syntax error at line 1, column 11: names with three parts (db.table.column) are not supported\n  SELECT x.y.z FROM t\n            ^', 1, 11],
  ['SELECT a FROM t ILIKE', 'SQL syntax error at line 1, column 17: expected end of query, found \'ILIKE\'\n  SELECT a FROM t ILIKE\n                  ^', 1, 17],
  ["SELECT a FROM t WHERE a RLIKE 'x'", 'SQL syntax error at line 1, column 25: RLIKE is not supported (use LIKE, or lower(x) LIKE for case-insensitive matching)\n  SELECT a FROM t WHERE a RLIKE \'x\'\n                          ^', 1, 25],
  ['SELECT a FROM t ORDER BY a LIMT 4', "SQL syntax error at line 1, column 28: expected end of query, found 'LIMT' (did you mean LIMIT?)\n  SELECT a FROM t ORDER BY a LIMT 4\n                             ^", 1, 28],
  ['SELECT * FROM t GROUP BY ALL', 'SQL syntax error at line 1, column 26: GROUP BY ALL cannot be used with SELECT *; list the columns\n  SELECT * FROM t GROUP BY ALL\n                           ^', 1, 26],
  ['SELECT a FROM t CROSS u', "SQL syntax error at line 1, column 23: expected JOIN after CROSS, found 'u'\n  SELECT a FROM t CROSS u\n                        ^", 1, 23],
  ["SELECT * FROM VALUES (1)", "SQL syntax error at line 1, column 15: VALUES lists are not supported; use createDataFrame and a temp view\n  SELECT * FROM VALUES (1)\n                ^", 1, 15],
  ["SELECT * FROM LATERAL x", "SQL syntax error at line 1, column 15: LATERAL is not supported\n  SELECT * FROM LATERAL x\n                ^", 1, 15],
  ["SELECT * FROM db.t", "SQL syntax error at line 1, column 17: qualified table names (db.table) are not supported; register a temp view\n  SELECT * FROM db.t\n                  ^", 1, 17],
  ["SELECT * FROM range(10)", "SQL syntax error at line 1, column 20: table functions are not supported\n  SELECT * FROM range(10)\n                     ^", 1, 20],
  ["SELECT * FROM t AS x(a, b)", "SQL syntax error at line 1, column 21: column aliases on a table (t(a, b)) are not supported\n  SELECT * FROM t AS x(a, b)\n                      ^", 1, 21],
  ["SELECT a FROM t GROUP BY ROLLUP (a)", "SQL syntax error at line 1, column 26: GROUP BY ROLLUP is not supported\n  SELECT a FROM t GROUP BY ROLLUP (a)\n                           ^", 1, 26],
  ["WITH RECURSIVE x AS (SELECT 1) SELECT 1", "SQL syntax error at line 1, column 6: WITH RECURSIVE is not supported\n  WITH RECURSIVE x AS (SELECT 1) SELECT 1\n       ^", 1, 6],
  ["SELECT INTERVAL '1' DAY", "SQL syntax error at line 1, column 8: INTERVAL literals are not supported\n  SELECT INTERVAL '1' DAY\n         ^", 1, 8],
  ["SELECT a FROM t WHERE a LIKE 'x' ESCAPE '!'", "SQL syntax error at line 1, column 34: LIKE ... ESCAPE is not supported\n  SELECT a FROM t WHERE a LIKE 'x' ESCAPE '!'\n                                   ^", 1, 34],
  ["SELECT count(DISTINCT a, b) FROM t", "SQL syntax error at line 1, column 8: count() takes one argument, got 2\n  SELECT count(DISTINCT a, b) FROM t\n         ^", 1, 8],
  ["SELECT rank(a) OVER () FROM t", "SQL syntax error at line 1, column 8: rank() takes no arguments\n  SELECT rank(a) OVER () FROM t\n         ^", 1, 8],
  ["SELECT a FROM t WHERE a IS NOT 1", "SQL syntax error at line 1, column 32: expected NULL after IS NOT, found '1'\n  SELECT a FROM t WHERE a IS NOT 1\n                                 ^", 1, 32],
  ["SELECT EXTRACT(1 FROM d) FROM t", "SQL syntax error at line 1, column 16: expected a date part (YEAR, MONTH, DAY, ...), found '1'\n  SELECT EXTRACT(1 FROM d) FROM t\n                 ^", 1, 16],
  ["SELECT a FROM t UNION ALL", "SQL syntax error at line 1, column 26: expected SELECT, found end of input\n  SELECT a FROM t UNION ALL\n                           ^", 1, 26],
  ["SELECT t.* AS x FROM t", "SQL syntax error at line 1, column 8: 't.*' cannot have an alias\n  SELECT t.* AS x FROM t\n         ^", 1, 8],
];

describe('SQL syntax errors', () => {
  it.each(sqlCases)('%j', (text, message, line, column) => {
    const e = thrown(() => parseSql(text));
    expect(e.code).toBe('ERR_SQL_SYNTAX');
    expect(e.message).toBe(message);
    expect([e.line, e.column]).toEqual([line, column]);
  });
});

describe('expression errors', () => {
  const cases: [string, string, number, number][] = [
    ['price >', 'SQL syntax error at line 1, column 8: expected an expression, found end of input\n  price >\n         ^', 1, 8],
    ['a b c', "SQL syntax error at line 1, column 5: expected end of expression, found 'c'\n  a b c\n      ^", 1, 5],
    ['a = = 1', "SQL syntax error at line 1, column 5: expected an expression, found '='\n  a = = 1\n      ^", 1, 5],
    ['f(a,', 'SQL syntax error at line 1, column 5: expected an expression, found end of input\n  f(a,\n      ^', 1, 5],
    ['x IN (SELECT 1)', 'SQL syntax error at line 1, column 7: subqueries in expressions (IN (SELECT ...)) are not supported\n  x IN (SELECT 1)\n        ^', 1, 7],
    ['NOT EXISTS (SELECT 1)', 'SQL syntax error at line 1, column 5: subqueries in expressions (EXISTS) are not supported\n  NOT EXISTS (SELECT 1)\n      ^', 1, 5],
    ["a BETWEEN 1 'x'", "SQL syntax error at line 1, column 13: expected AND, found string 'x'\n  a BETWEEN 1 'x'\n              ^", 1, 13],
    ['rank() OVER w', "SQL syntax error at line 1, column 13: named windows (OVER w) are not supported; write OVER (PARTITION BY ... ORDER BY ...)\n  rank() OVER w\n              ^", 1, 13],
    ['sum(x) OVER (ORDER BY y ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)', 'SQL syntax error at line 1, column 25: window frames (ROWS/RANGE BETWEEN ...) are not supported\n  sum(x) OVER (ORDER BY y ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)\n                          ^', 1, 25],
    ['count(DISTINCT *)', 'SQL syntax error at line 1, column 7: count(DISTINCT *) is not supported; name the columns\n  count(DISTINCT *)\n        ^', 1, 7],
    ['corr(a)', 'SQL syntax error at line 1, column 1: corr() takes two arguments, got 1\n  corr(a)\n  ^', 1, 1],
    ['a AS FROM', "SQL syntax error at line 1, column 6: expected an alias after AS, found 'FROM'\n  a AS FROM\n       ^", 1, 6],
  ];
  it.each(cases)('%j', (text, message, line, column) => {
    const e = thrown(() => parseExpression(text));
    expect(e.code).toBe('ERR_SQL_SYNTAX');
    expect(e.message).toBe(message);
    expect([e.line, e.column]).toEqual([line, column]);
  });
});

describe('positionOf', () => {
  it.each([
    ['abc', 0, 1, 1],
    ['abc', 2, 1, 3],
    ['a\nbc', 2, 2, 1],
    ['a\nbc\n', 5, 3, 1],
    ['a\nbc\n', 4, 2, 3],
    ['a\r\nb', 3, 2, 1],
  ] as const)('%j at %i is line %i, column %i', (text, offset, line, column) => {
    expect(positionOf(text, offset)).toEqual({ line, column });
  });
});
