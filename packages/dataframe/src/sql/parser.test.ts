import { describe, expect, it } from 'vitest';
import type { Expr, SortKey } from '../expr.ts';
import type { SqlFrom, SqlJoinType, SqlQuery, SqlSelect, SqlSetExpr } from './ast.ts';
import { parseSql } from './parser.ts';
import { agg, as, asc, b, c, desc, fn, l } from './testUtil.ts';

const sel = (items: Expr[], rest: Partial<SqlSelect> = {}): SqlSelect => ({ kind: 'select', distinct: false, items, from: null, where: null, groupBy: [], having: null, ...rest });
const q = (body: SqlSetExpr, rest: Partial<SqlQuery> = {}): SqlQuery => ({ kind: 'query', ctes: [], body, orderBy: [], limit: null, offset: 0, ...rest });
const t = (name: string, alias: string | null = null): SqlFrom => ({ kind: 'table', name, alias });
const join = (how: SqlJoinType, left: SqlFrom, right: SqlFrom, on: Expr | null, using: string[] | null = null): SqlFrom => ({ kind: 'join', how, left, right, on, using });
const star: Expr = { kind: 'star' };
const from = (f: SqlFrom, rest: Partial<SqlSelect> = {}, items: Expr[] = [star]): SqlSelect => sel(items, { from: f, ...rest });
const idEq = (x: string, y: string): Expr => b('=', c('id', x), c('id', y));

const cases: [string, SqlQuery][] = [
  ['SELECT 1', q(sel([l(1)]))],
  ['SELECT 1 + 1 AS two', q(sel([as(b('+', l(1), l(1)), 'two')]))],
  ['SELECT * FROM t', q(from(t('t')))],
  ['select * from t;', q(from(t('t')))],
  ['SELECT * FROM t ;;', q(from(t('t')))],
  ['SELECT t.*, x.a FROM t', q(from(t('t'), {}, [{ kind: 'star', table: 't' }, c('a', 'x')]))],
  ['SELECT a, b AS bee, c cee, "d" AS "Dee" FROM t', q(from(t('t'), {}, [c('a'), as(c('b'), 'bee'), as(c('c'), 'cee'), as(c('d'), 'Dee')]))],
  ['SELECT DISTINCT a FROM t', q(from(t('t'), { distinct: true }, [c('a')]))],
  ['SELECT ALL a FROM t', q(from(t('t'), {}, [c('a')]))],
  ['SELECT * FROM sales AS s', q(from(t('sales', 's')))],
  ['SELECT * FROM sales s', q(from(t('sales', 's')))],
  ['SELECT * FROM `my table` "x"', q(from(t('my table', 'x')))],
  ['SELECT * FROM t WHERE a > 1 AND b IS NULL', q(from(t('t'), { where: b('and', b('>', c('a'), l(1)), { kind: 'unary', op: 'isNull', arg: c('b') }) }))],
  ['SELECT a, count(*) FROM t GROUP BY a', q(from(t('t'), { groupBy: [c('a')] }, [c('a'), agg('count', null)]))],
  ['SELECT a, b, sum(x) FROM t GROUP BY 1, b HAVING sum(x) > 10', q(from(t('t'), { groupBy: [l(1), c('b')], having: b('>', agg('sum', c('x')), l(10)) }, [c('a'), c('b'), agg('sum', c('x'))]))],
  ['SELECT a, upper(b) AS u, 1, sum(x), rank() OVER (ORDER BY a) FROM t GROUP BY ALL', q(from(t('t'), { groupBy: [c('a'), fn('upper', c('b'))] }, [c('a'), as(fn('upper', c('b')), 'u'), l(1), agg('sum', c('x')), { kind: 'window', fn: fn('rank'), partitionBy: [], orderBy: [asc(c('a'))] }]))],
  ['SELECT count(*) FROM t GROUP BY ALL', q(from(t('t'), {}, [agg('count', null)]))],
  ['SELECT a FROM t ORDER BY a', q(from(t('t'), {}, [c('a')]), { orderBy: [asc(c('a'))] })],
  ['SELECT a FROM t ORDER BY a DESC, b ASC, 2 NULLS LAST, d DESC NULLS FIRST', q(from(t('t'), {}, [c('a')]), { orderBy: [desc(c('a')), asc(c('b')), asc(l(2), false), desc(c('d'), true)] })],
  ['SELECT a FROM t LIMIT 10', q(from(t('t'), {}, [c('a')]), { limit: 10 })],
  ['SELECT a FROM t LIMIT 10 OFFSET 5', q(from(t('t'), {}, [c('a')]), { limit: 10, offset: 5 })],
  ['SELECT a FROM t LIMIT ALL', q(from(t('t'), {}, [c('a')]))],
  ['SELECT a FROM t ORDER BY a LIMIT 0', q(from(t('t'), {}, [c('a')]), { orderBy: [asc(c('a'))], limit: 0 })],
  // joins
  ['SELECT * FROM a JOIN b ON a.id = b.id', q(from(join('inner', t('a'), t('b'), idEq('a', 'b'))))],
  ['SELECT * FROM a INNER JOIN b ON a.id = b.id', q(from(join('inner', t('a'), t('b'), idEq('a', 'b'))))],
  ['SELECT * FROM a LEFT JOIN b ON a.id = b.id', q(from(join('left', t('a'), t('b'), idEq('a', 'b'))))],
  ['SELECT * FROM a LEFT OUTER JOIN b ON a.id = b.id', q(from(join('left', t('a'), t('b'), idEq('a', 'b'))))],
  ['SELECT * FROM a RIGHT JOIN b ON a.id = b.id', q(from(join('right', t('a'), t('b'), idEq('a', 'b'))))],
  ['SELECT * FROM a right outer join b ON a.id = b.id', q(from(join('right', t('a'), t('b'), idEq('a', 'b'))))],
  ['SELECT * FROM a FULL JOIN b ON a.id = b.id', q(from(join('full', t('a'), t('b'), idEq('a', 'b'))))],
  ['SELECT * FROM a FULL OUTER JOIN b ON a.id = b.id', q(from(join('full', t('a'), t('b'), idEq('a', 'b'))))],
  ['SELECT * FROM a LEFT SEMI JOIN b ON a.id = b.id', q(from(join('semi', t('a'), t('b'), idEq('a', 'b'))))],
  ['SELECT * FROM a SEMI JOIN b ON a.id = b.id', q(from(join('semi', t('a'), t('b'), idEq('a', 'b'))))],
  ['SELECT * FROM a LEFT ANTI JOIN b ON a.id = b.id', q(from(join('anti', t('a'), t('b'), idEq('a', 'b'))))],
  ['SELECT * FROM a ANTI JOIN b ON a.id = b.id', q(from(join('anti', t('a'), t('b'), idEq('a', 'b'))))],
  ['SELECT * FROM a JOIN b USING (id, day)', q(from(join('inner', t('a'), t('b'), null, ['id', 'day'])))],
  ['SELECT * FROM a x JOIN b AS y ON x.id = y.id', q(from(join('inner', t('a', 'x'), t('b', 'y'), idEq('x', 'y'))))],
  ['SELECT * FROM a JOIN b ON a.id = b.id LEFT JOIN c ON b.id = c.id', q(from(join('left', join('inner', t('a'), t('b'), idEq('a', 'b')), t('c'), idEq('b', 'c'))))],
  ['SELECT * FROM a, b', q(from(join('comma', t('a'), t('b'), null)))],
  ['SELECT * FROM a, b JOIN c USING (id)', q(from(join('comma', t('a'), join('inner', t('b'), t('c'), null, ['id']), null)))],
  ['SELECT * FROM a CROSS JOIN b', q(from(join('cross', t('a'), t('b'), null)))],
  ['SELECT * FROM (a JOIN b USING (id))', q(from(join('inner', t('a'), t('b'), null, ['id'])))],
  // subqueries and CTEs
  ['SELECT * FROM (SELECT a FROM t) AS s', q(from({ kind: 'subquery', query: q(from(t('t'), {}, [c('a')])), alias: 's' }))],
  ['SELECT * FROM (SELECT a FROM t ORDER BY a LIMIT 1) s', q(from({ kind: 'subquery', query: q(from(t('t'), {}, [c('a')]), { orderBy: [asc(c('a'))], limit: 1 }), alias: 's' }))],
  ['SELECT * FROM (SELECT a FROM t)', q(from({ kind: 'subquery', query: q(from(t('t'), {}, [c('a')])), alias: null }))],
  [
    'WITH x AS (SELECT a FROM t), y AS (SELECT * FROM x) SELECT * FROM y',
    { ...q(from(t('y'))), ctes: [{ name: 'x', query: q(from(t('t'), {}, [c('a')])) }, { name: 'y', query: q(from(t('x'))) }] },
  ],
  // set operations
  ['SELECT a FROM t UNION ALL SELECT a FROM u', q({ kind: 'union', all: true, left: from(t('t'), {}, [c('a')]), right: from(t('u'), {}, [c('a')]) })],
  ['SELECT a FROM t UNION SELECT a FROM u', q({ kind: 'union', all: false, left: from(t('t'), {}, [c('a')]), right: from(t('u'), {}, [c('a')]) })],
  ['SELECT a FROM t UNION DISTINCT SELECT a FROM u', q({ kind: 'union', all: false, left: from(t('t'), {}, [c('a')]), right: from(t('u'), {}, [c('a')]) })],
  [
    'SELECT 1 UNION ALL SELECT 2 UNION SELECT 3 ORDER BY 1 LIMIT 2',
    q({ kind: 'union', all: false, left: { kind: 'union', all: true, left: sel([l(1)]), right: sel([l(2)]) }, right: sel([l(3)]) }, { orderBy: [asc(l(1))], limit: 2 }),
  ],
  [
    '(SELECT a FROM t LIMIT 1) UNION ALL (SELECT a FROM u)',
    q({ kind: 'union', all: true, left: { kind: 'nested', query: q(from(t('t'), {}, [c('a')]), { limit: 1 }) }, right: { kind: 'nested', query: q(from(t('u'), {}, [c('a')])) } }),
  ],
  // keywords in any case, whitespace and comments anywhere
  ['sElEcT a\n  FrOm t -- trailing\n  wHeRe /* x */ a = 1', q(from(t('t'), { where: b('=', c('a'), l(1)) }, [c('a')]))],
];

describe('parseSql', () => {
  it.each(cases)('%s', (text, expected) => {
    expect(parseSql(text)).toEqual({ ...expected, text });
  });

  it('keeps the text it parsed (for errors found while planning)', () => {
    expect(parseSql('SELECT 1').text).toBe('SELECT 1');
  });

  it('window in a select list, with the sort keys of its own', () => {
    const stmt = parseSql('SELECT a, rank() OVER (PARTITION BY g ORDER BY x DESC) AS r FROM t ORDER BY r');
    const items = (stmt.body as SqlSelect).items;
    expect(items[1]).toEqual(as({ kind: 'window', fn: { kind: 'call', fn: 'rank', args: [] }, partitionBy: [c('g')], orderBy: [desc(c('x'))] }, 'r'));
    expect(stmt.orderBy).toEqual<SortKey[]>([asc(c('r'))]);
  });
});
