import { describe, expect, it } from 'vitest';
import type { Expr, SortKey } from '../expr.ts';
import type { JoinType, Plan } from '../plan.ts';
import { parseSql } from './parser.ts';
import { ONE_ROW, sqlToPlan } from './planner.ts';
import type { Catalog } from './scope.ts';
import { agg, as, asc, b, c, desc, fn, l, thrown } from './testUtil.ts';

const source = (name: string): Plan => ({
  kind: 'source',
  source: { kind: 'range', start: 0, end: name.length, step: 1, partitions: 1 },
  schema: [{ name: 'id', type: 'bigint' }],
  columns: null,
  filters: [],
});
const SALES = source('sales');
const ITEMS = source('items');
const tables: Record<string, Plan> = { sales: SALES, items: ITEMS };
const catalog: Catalog = { get: (n) => tables[n], names: () => Object.keys(tables) };
const plan = (text: string): Plan => sqlToPlan(parseSql(text), catalog);

// Plan builders.
const scan = (name: string, alias = name): Plan => ({ kind: 'subqueryAlias', input: tables[name]!, alias });
const project = (input: Plan, ...exprs: Expr[]): Plan => ({ kind: 'project', input, exprs });
const filter = (input: Plan, predicate: Expr): Plan => ({ kind: 'filter', input, predicate });
const aggregate = (input: Plan, groupBy: Expr[], aggs: Expr[]): Plan => ({ kind: 'aggregate', input, groupBy, aggs });
const sort = (input: Plan, ...keys: SortKey[]): Plan => ({ kind: 'sort', input, keys });
const join = (left: Plan, right: Plan, how: JoinType, on: Expr | null, using: string[] | null = null): Plan => ({ kind: 'join', left, right, how, on, using });
const star: Expr = { kind: 'star' };
const avgPrice = agg('avg', c('price'));
const count = agg('count', null);

describe('sqlToPlan: the same nodes as the DataFrame API', () => {
  const cases: [string, Plan][] = [
    ['SELECT * FROM sales', project(scan('sales'), star)],
    ['SELECT * FROM SALES', { kind: 'project', input: { kind: 'subqueryAlias', input: SALES, alias: 'SALES' }, exprs: [star] }],
    ['SELECT s.id FROM sales AS s', project(scan('sales', 's'), c('id', 's'))],
    ['SELECT price * 2 AS p2, upper(name) FROM sales', project(scan('sales'), as(b('*', c('price'), l(2)), 'p2'), fn('upper', c('name')))],
    ["SELECT * FROM sales WHERE price > 100 AND category = 'electronics'", project(filter(scan('sales'), b('and', b('>', c('price'), l(100)), b('=', c('category'), l('electronics')))), star)],
    ['SELECT 1 + 1', project(ONE_ROW, b('+', l(1), l(1)))],
    // aggregation: group keys then every distinct aggregate (Spark-named), and a project over them
    [
      'SELECT brand, avg(price) FROM sales GROUP BY brand',
      project(aggregate(scan('sales'), [c('brand')], [as(avgPrice, 'avg(price)')]), c('brand'), c('avg(price)')),
    ],
    [
      'SELECT brand, avg(price) * 2 AS x FROM sales GROUP BY brand',
      project(aggregate(scan('sales'), [c('brand')], [as(avgPrice, 'avg(price)')]), c('brand'), as(b('*', c('avg(price)'), l(2)), 'x')),
    ],
    [
      'SELECT brand, avg(price) * 2 FROM sales GROUP BY brand',
      project(aggregate(scan('sales'), [c('brand')], [as(avgPrice, 'avg(price)')]), c('brand'), b('*', c('avg(price)'), l(2))),
    ],
    [
      'SELECT count(*), max(price), count(DISTINCT brand), avg(price) / count(*) FROM sales',
      project(
        aggregate(scan('sales'), [], [as(count, 'count(1)'), as(agg('max', c('price')), 'max(price)'), as(agg('countDistinct', c('brand')), 'count(DISTINCT brand)'), as(avgPrice, 'avg(price)')]),
        c('count(1)'), c('max(price)'), c('count(DISTINCT brand)'), b('/', c('avg(price)'), c('count(1)')),
      ),
    ],
    [
      'SELECT s.brand, sum(s.qty) FROM sales s GROUP BY s.brand',
      project(aggregate(scan('sales', 's'), [as(c('brand', 's'), 'brand')], [as(agg('sum', c('qty', 's')), 'sum(qty)')]), c('brand'), c('sum(qty)')),
    ],
    [
      'SELECT brand AS b, count(*) AS n FROM sales GROUP BY brand HAVING n > 1 AND b <> \'x\'',
      project(
        filter(aggregate(scan('sales'), [c('brand')], [as(count, 'count(1)')]), b('and', b('>', c('count(1)'), l(1)), b('!=', c('brand'), l('x')))),
        as(c('brand'), 'b'), as(c('count(1)'), 'n'),
      ),
    ],
    [
      'SELECT brand FROM sales GROUP BY brand HAVING sum(qty) > 10',
      project(filter(aggregate(scan('sales'), [c('brand')], [as(agg('sum', c('qty')), 'sum(qty)')]), b('>', c('sum(qty)'), l(10))), c('brand')),
    ],
    [
      'SELECT upper(brand) AS u, count(*) FROM sales GROUP BY 1',
      project(aggregate(scan('sales'), [fn('upper', c('brand'))], [as(count, 'count(1)')]), as(c('upper(brand)'), 'u'), c('count(1)')),
    ],
    [
      'SELECT upper(brand) AS u, count(*) FROM sales GROUP BY u',
      project(aggregate(scan('sales'), [fn('upper', c('brand'))], [as(count, 'count(1)')]), as(c('upper(brand)'), 'u'), c('count(1)')),
    ],
    [
      'SELECT upper(brand) AS u, count(*) FROM sales GROUP BY ALL',
      project(aggregate(scan('sales'), [fn('upper', c('brand'))], [as(count, 'count(1)')]), as(c('upper(brand)'), 'u'), c('count(1)')),
    ],
    [
      'SELECT upper(brand), count(*) FROM sales GROUP BY upper(brand)',
      project(aggregate(scan('sales'), [fn('upper', c('brand'))], [as(count, 'count(1)')]), c('upper(brand)'), c('count(1)')),
    ],
    // ORDER BY after the project: aliases, output names, ordinals, items
    [
      'SELECT brand, avg(price) FROM sales GROUP BY brand ORDER BY avg(price) DESC',
      sort(project(aggregate(scan('sales'), [c('brand')], [as(avgPrice, 'avg(price)')]), c('brand'), c('avg(price)')), desc(c('avg(price)'))),
    ],
    [
      'SELECT brand, avg(price) AS a FROM sales GROUP BY brand ORDER BY a, 1 DESC NULLS FIRST',
      sort(project(aggregate(scan('sales'), [c('brand')], [as(avgPrice, 'avg(price)')]), c('brand'), as(c('avg(price)'), 'a')), asc(c('a')), desc(c('brand'), true)),
    ],
    ['SELECT name, price FROM sales ORDER BY price', sort(project(scan('sales'), c('name'), c('price')), asc(c('price')))],
    ['SELECT price * 2 FROM sales ORDER BY price * 2', sort(project(scan('sales'), b('*', c('price'), l(2))), asc(c('(price * 2)')))],
    // ORDER BY before the project, when it needs what the project drops
    ['SELECT name FROM sales ORDER BY price DESC', project(sort(scan('sales'), desc(c('price'))), c('name'))],
    ['SELECT name AS n FROM sales ORDER BY price, n', project(sort(scan('sales'), asc(c('price')), asc(c('name'))), as(c('name'), 'n'))],
    [
      'SELECT brand FROM sales GROUP BY brand ORDER BY count(*) DESC',
      project(sort(aggregate(scan('sales'), [c('brand')], [as(count, 'count(1)')]), desc(c('count(1)'))), c('brand')),
    ],
    ['SELECT * FROM sales ORDER BY price', sort(project(scan('sales'), star), asc(c('price')))],
    ['SELECT price * 2 AS p FROM sales ORDER BY p + 1 DESC', project(sort(scan('sales'), desc(b('+', b('*', c('price'), l(2)), l(1)))), as(b('*', c('price'), l(2)), 'p'))],
    [
      'SELECT brand, sum(qty) AS s FROM sales GROUP BY brand ORDER BY s * 2, brand',
      project(sort(aggregate(scan('sales'), [c('brand')], [as(agg('sum', c('qty')), 'sum(qty)')]), asc(b('*', c('sum(qty)'), l(2))), asc(c('brand'))), c('brand'), as(c('sum(qty)'), 's')),
    ],
    // DISTINCT, LIMIT, OFFSET
    ['SELECT DISTINCT brand FROM sales', { kind: 'distinct', input: project(scan('sales'), c('brand')), subset: null }],
    ['SELECT DISTINCT brand FROM sales ORDER BY brand LIMIT 3', { kind: 'limit', n: 3, offset: 0, input: sort({ kind: 'distinct', input: project(scan('sales'), c('brand')), subset: null }, asc(c('brand'))) }],
    ['SELECT DISTINCT * FROM sales ORDER BY price', sort({ kind: 'distinct', input: project(scan('sales'), star), subset: null }, asc(c('price')))],
    ['SELECT id FROM sales LIMIT 10 OFFSET 20', { kind: 'limit', input: project(scan('sales'), c('id')), n: 10, offset: 20 }],
    // joins
    ['SELECT * FROM sales JOIN items ON sales.id = items.id', project(join(scan('sales'), scan('items'), 'inner', b('=', c('id', 'sales'), c('id', 'items'))), star)],
    ['SELECT * FROM sales s LEFT JOIN items i USING (id)', project(join(scan('sales', 's'), scan('items', 'i'), 'left', null, ['id']), star)],
    ['SELECT * FROM sales s RIGHT OUTER JOIN items i USING (id)', project(join(scan('sales', 's'), scan('items', 'i'), 'right', null, ['id']), star)],
    ['SELECT * FROM sales s FULL JOIN items i USING (id)', project(join(scan('sales', 's'), scan('items', 'i'), 'full', null, ['id']), star)],
    ['SELECT * FROM sales s LEFT SEMI JOIN items i ON s.id = i.id', project(join(scan('sales', 's'), scan('items', 'i'), 'semi', b('=', c('id', 's'), c('id', 'i'))), star)],
    ['SELECT * FROM sales s LEFT ANTI JOIN items i ON s.id = i.id', project(join(scan('sales', 's'), scan('items', 'i'), 'anti', b('=', c('id', 's'), c('id', 'i'))), star)],
    [
      'SELECT s.id FROM sales s, items i WHERE s.id = i.id AND s.price > 1 AND qty = 2',
      project(filter(join(scan('sales', 's'), scan('items', 'i'), 'inner', b('=', c('id', 's'), c('id', 'i'))), b('and', b('>', c('price', 's'), l(1)), b('=', c('qty'), l(2)))), as(c('id', 's'), 'id')),
    ],
    [
      'SELECT * FROM sales a, items b, sales c WHERE c.x = b.x AND a.id = b.id',
      project(join(join(scan('sales', 'a'), scan('items', 'b'), 'inner', b('=', c('id', 'a'), c('id', 'b'))), scan('sales', 'c'), 'inner', b('=', c('x', 'c'), c('x', 'b'))), star),
    ],
    // subqueries, CTEs, unions
    ['SELECT x.n FROM (SELECT name AS n FROM sales) x', project({ kind: 'subqueryAlias', alias: 'x', input: project(scan('sales'), as(c('name'), 'n')) }, c('n', 'x'))],
    ['SELECT * FROM (SELECT id FROM sales)', project(project(scan('sales'), c('id')), star)],
    [
      'WITH cheap AS (SELECT * FROM sales WHERE price < 5) SELECT id FROM cheap',
      project({ kind: 'subqueryAlias', alias: 'cheap', input: project(filter(scan('sales'), b('<', c('price'), l(5))), star) }, c('id')),
    ],
    [
      'WITH items AS (SELECT id FROM sales), b AS (SELECT * FROM items) SELECT * FROM b',
      project({ kind: 'subqueryAlias', alias: 'b', input: project({ kind: 'subqueryAlias', alias: 'items', input: project(scan('sales'), c('id')) }, star) }, star),
    ],
    [
      'SELECT id FROM sales UNION ALL SELECT id FROM items UNION ALL SELECT id FROM sales',
      { kind: 'union', inputs: [project(scan('sales'), c('id')), project(scan('items'), c('id')), project(scan('sales'), c('id'))] },
    ],
    ['SELECT id FROM sales UNION SELECT id FROM items', { kind: 'distinct', subset: null, input: { kind: 'union', inputs: [project(scan('sales'), c('id')), project(scan('items'), c('id'))] } }],
    [
      'SELECT id AS k FROM sales UNION ALL SELECT id FROM items ORDER BY 1 DESC LIMIT 5',
      { kind: 'limit', n: 5, offset: 0, input: sort({ kind: 'union', inputs: [project(scan('sales'), as(c('id'), 'k')), project(scan('items'), c('id'))] }, desc(c('k'))) },
    ],
    [
      '(SELECT id FROM sales ORDER BY id LIMIT 1) UNION ALL (SELECT id FROM items)',
      { kind: 'union', inputs: [{ kind: 'limit', n: 1, offset: 0, input: sort(project(scan('sales'), c('id')), asc(c('id'))) }, project(scan('items'), c('id'))] },
    ],
  ];
  it.each(cases)('%s', (text, expected) => {
    expect(plan(text)).toEqual(expected);
  });
});

describe('sqlToPlan: window functions', () => {
  it('adds a window node (named by the alias) and projects its columns', () => {
    const w: Expr = { kind: 'window', fn: fn('row_number'), partitionBy: [c('brand')], orderBy: [desc(c('price'))] };
    const s: Expr = { kind: 'window', fn: agg('sum', c('qty')), partitionBy: [c('brand')], orderBy: [] };
    const sName = 'sum(qty) OVER (PARTITION BY brand)';
    expect(plan('SELECT name, row_number() OVER (PARTITION BY brand ORDER BY price DESC) AS rn, sum(qty) OVER (PARTITION BY brand) FROM sales ORDER BY rn')).toEqual(
      sort(project({ kind: 'window', input: scan('sales'), exprs: [as(w, 'rn'), as(s, sName)] }, c('name'), c('rn'), c(sName)), asc(c('rn'))),
    );
  });

  it('SELECT * next to a window becomes each FROM item\'s t.* (the window columns are not repeated)', () => {
    const w: Expr = { kind: 'window', fn: fn('rank'), partitionBy: [], orderBy: [asc(c('price'))] };
    expect(plan('SELECT *, rank() OVER (ORDER BY price) AS r FROM sales s JOIN items USING (id)')).toEqual(
      project({ kind: 'window', input: join(scan('sales', 's'), scan('items'), 'inner', null, ['id']), exprs: [as(w, 'r')] }, { kind: 'star', table: 's' }, { kind: 'star', table: 'items' }, c('r')),
    );
    // An ORDER BY before the project still finds its item after * became two entries.
    expect(plan('SELECT *, rank() OVER (ORDER BY price) AS r FROM sales s JOIN items USING (id) ORDER BY qty * 2, r')).toEqual(
      project(
        sort({ kind: 'window', input: join(scan('sales', 's'), scan('items'), 'inner', null, ['id']), exprs: [as(w, 'r')] }, asc(b('*', c('qty'), l(2))), asc(c('r'))),
        { kind: 'star', table: 's' }, { kind: 'star', table: 'items' }, c('r'),
      ),
    );
    const e = thrown(() => plan('SELECT *, rank() OVER (ORDER BY price) AS r FROM (SELECT * FROM sales)'));
    expect(e.message).toContain('SELECT * with window functions needs a name for every FROM item');
  });

  it('an ORDER BY expression over a window alias sorts after the window node, before the project', () => {
    const w: Expr = { kind: 'window', fn: fn('rank'), partitionBy: [], orderBy: [asc(c('price'))] };
    expect(plan('SELECT name, rank() OVER (ORDER BY price) AS r FROM sales ORDER BY r * 2 DESC')).toEqual(
      project(sort({ kind: 'window', input: scan('sales'), exprs: [as(w, 'r')] }, desc(b('*', c('r'), l(2)))), c('name'), c('r')),
    );
  });

  it('runs after aggregation, over the groups', () => {
    const w: Expr = { kind: 'window', fn: fn('rank'), partitionBy: [], orderBy: [desc(c('sum(qty)'))] };
    expect(plan('SELECT brand, rank() OVER (ORDER BY sum(qty) DESC) AS r FROM sales GROUP BY brand')).toEqual(
      project({ kind: 'window', input: aggregate(scan('sales'), [c('brand')], [as(agg('sum', c('qty')), 'sum(qty)')]), exprs: [as(w, 'r')] }, c('brand'), c('r')),
    );
  });

  it('a window aggregate over a group aggregate (sum(sum(x)) OVER ())', () => {
    const w: Expr = { kind: 'window', fn: agg('sum', c('sum(qty)')), partitionBy: [], orderBy: [] };
    expect(plan('SELECT brand, sum(sum(qty)) OVER () AS total FROM sales GROUP BY brand')).toEqual(
      project({ kind: 'window', input: aggregate(scan('sales'), [c('brand')], [as(agg('sum', c('qty')), 'sum(qty)')]), exprs: [as(w, 'total')] }, c('brand'), c('total')),
    );
  });
});

describe('sqlToPlan: names', () => {
  it('after a join, a qualified column is named by its own name (the analyzer may have renamed it name_right) unless that name is taken', () => {
    const on = b('=', c('id', 'a'), c('id', 'b'));
    expect(plan('SELECT a.id, b.label FROM sales a JOIN items b ON a.id = b.id')).toEqual(project(join(scan('sales', 'a'), scan('items', 'b'), 'inner', on), as(c('id', 'a'), 'id'), as(c('label', 'b'), 'label')));
    expect(plan('SELECT a.id, b.id FROM sales a JOIN items b ON a.id = b.id')).toEqual(project(join(scan('sales', 'a'), scan('items', 'b'), 'inner', on), c('id', 'a'), c('id', 'b')));
    expect(plan('SELECT b.id, count(*) FROM sales a JOIN items b ON a.id = b.id GROUP BY b.id')).toEqual(
      project(aggregate(join(scan('sales', 'a'), scan('items', 'b'), 'inner', on), [as(c('id', 'b'), 'id')], [as(count, 'count(1)')]), c('id'), c('count(1)')),
    );
  });

  it('two different aggregates with the same Spark name get distinct internal names and keep their output names', () => {
    const p = plan('SELECT sum(s.qty), sum(i.qty) FROM sales s JOIN items i USING (id)');
    expect(p).toEqual(
      project(
        aggregate(join(scan('sales', 's'), scan('items', 'i'), 'inner', null, ['id']), [], [as(agg('sum', c('qty', 's')), 'sum(qty)'), as(agg('sum', c('qty', 'i')), 'sum(qty)#2')]),
        c('sum(qty)'), as(c('sum(qty)#2'), 'sum(qty)'),
      ),
    );
  });

  it('the same aggregate written twice is computed once', () => {
    expect(plan('SELECT avg(price), avg(price) + 1 AS a FROM sales HAVING avg(price) > 0')).toEqual(
      project(filter(aggregate(scan('sales'), [], [as(avgPrice, 'avg(price)')]), b('>', c('avg(price)'), l(0))), c('avg(price)'), as(b('+', c('avg(price)'), l(1)), 'a')),
    );
  });
});

describe('sqlToPlan: errors', () => {
  const cases: [string, string, string][] = [
    ['SELECT * FROM nope', 'ERR_BAD_OPTION', "unknown table or view 'nope' (line 1, column 15); known: sales, items"],
    ['WITH x AS (SELECT 1) SELECT * FROM y', 'ERR_BAD_OPTION', "unknown table or view 'y' (line 1, column 36); known: x, sales, items"],
    ['SELECT sum(x) FROM sales WHERE sum(x) > 1', 'ERR_SQL_SYNTAX', 'SQL error at line 1, column 32: aggregate functions are not allowed in WHERE (use HAVING)\n  SELECT sum(x) FROM sales WHERE sum(x) > 1\n                                 ^'],
    ['SELECT a FROM sales WHERE rank() OVER () = 1', 'ERR_SQL_SYNTAX', 'SQL error at line 1, column 27: window functions are not allowed in WHERE; compute them in a subquery\'s SELECT first\n  SELECT a FROM sales WHERE rank() OVER () = 1\n                            ^'],
    ['SELECT sum(avg(x)) FROM sales', 'ERR_SQL_SYNTAX', 'SQL error at line 1, column 12: aggregate functions cannot be nested\n  SELECT sum(avg(x)) FROM sales\n             ^'],
    ['SELECT name, count(*) FROM sales GROUP BY brand', 'ERR_SQL_SYNTAX', "SQL error at line 1, column 8: column 'name' must appear in GROUP BY or inside an aggregate function\n  SELECT name, count(*) FROM sales GROUP BY brand\n         ^"],
    ['SELECT brand FROM sales GROUP BY brand ORDER BY s.price', 'ERR_SQL_SYNTAX', "SQL error at line 1, column 49: column 's.price' must appear in GROUP BY or inside an aggregate function\n  SELECT brand FROM sales GROUP BY brand ORDER BY s.price\n                                                  ^"],
    ['SELECT * FROM sales GROUP BY brand', 'ERR_SQL_SYNTAX', 'SQL error at line 1, column 8: SELECT * cannot be used with GROUP BY or aggregate functions; list the columns\n  SELECT * FROM sales GROUP BY brand\n         ^'],
    ['SELECT brand FROM sales ORDER BY 2', 'ERR_SQL_SYNTAX', 'SQL error at line 1, column 34: ORDER BY position 2 is not in the select list (it has 1 item)\n  SELECT brand FROM sales ORDER BY 2\n                                   ^'],
    ['SELECT * FROM sales ORDER BY 1', 'ERR_SQL_SYNTAX', "SQL error at line 1, column 30: ORDER BY position 1 refers to '*'; name the column instead\n  SELECT * FROM sales ORDER BY 1\n                               ^"],
    ['SELECT count(*) FROM sales GROUP BY 1', 'ERR_SQL_SYNTAX', 'SQL error at line 1, column 37: GROUP BY position 1 refers to an aggregate (count(1))\n  SELECT count(*) FROM sales GROUP BY 1\n                                      ^'],
    ['SELECT a FROM sales GROUP BY sum(a)', 'ERR_SQL_SYNTAX', 'SQL error at line 1, column 30: aggregate functions are not allowed in GROUP BY\n  SELECT a FROM sales GROUP BY sum(a)\n                               ^'],
    ['SELECT DISTINCT name FROM sales ORDER BY price', 'ERR_SQL_SYNTAX', 'SQL error at line 1, column 42: with SELECT DISTINCT, ORDER BY expressions must appear in the select list\n  SELECT DISTINCT name FROM sales ORDER BY price\n                                           ^'],
    ['SELECT a FROM sales ORDER BY rank() OVER (ORDER BY a)', 'ERR_SQL_SYNTAX', 'SQL error at line 1, column 30: window functions in ORDER BY must be select items; alias it in SELECT and order by the alias\n  SELECT a FROM sales ORDER BY rank() OVER (ORDER BY a)\n                               ^'],
    ['SELECT * FROM sales CROSS JOIN items', 'ERR_SQL_SYNTAX', 'SQL error at line 1, column 21: CROSS JOIN is not supported; join with ON or USING\n  SELECT * FROM sales CROSS JOIN items\n                      ^'],
    ['SELECT * FROM sales s, items i WHERE id = 1', 'ERR_SQL_SYNTAX', 'SQL error at line 1, column 22: nothing in WHERE relates s to i (cross joins are not supported): write JOIN ... ON, or a WHERE condition over qualified columns such as s.id = i.id\n  SELECT * FROM sales s, items i WHERE id = 1\n                       ^'],
    ['SELECT * FROM sales JOIN items ON count(*) > 1', 'ERR_SQL_SYNTAX', 'SQL error at line 1, column 35: aggregate functions are not allowed in JOIN ... ON\n  SELECT * FROM sales JOIN items ON count(*) > 1\n                                    ^'],
    ['SELECT rank() OVER (ORDER BY a) AS r FROM sales GROUP BY a HAVING r > 1', 'ERR_SQL_SYNTAX', 'SQL error at line 1, column 8: window functions are not allowed in HAVING; compute them in a subquery\'s SELECT first\n  SELECT rank() OVER (ORDER BY a) AS r FROM sales GROUP BY a HAVING r > 1\n         ^'],
    ['SELECT *, price FROM sales ORDER BY 2', 'ERR_SQL_SYNTAX', "SQL error at line 1, column 37: ORDER BY position 2 comes after a '*' in the select list, so it cannot be resolved without the schema; name the column instead\n  SELECT *, price FROM sales ORDER BY 2\n                                      ^"],
    ['SELECT id FROM sales UNION ALL SELECT id FROM items ORDER BY 0', 'ERR_SQL_SYNTAX', 'SQL error at line 1, column 62: ORDER BY position 0 is not in the select list (it has 1 item)\n  SELECT id FROM sales UNION ALL SELECT id FROM items ORDER BY 0\n                                                               ^'],
    ['SELECT * FROM sales ORDER BY 3', 'ERR_SQL_SYNTAX', "SQL error at line 1, column 30: ORDER BY position 3 cannot be resolved next to a '*' in the select list (it needs the schema); name the column instead\n  SELECT * FROM sales ORDER BY 3\n                               ^"],
    ['SELECT *', 'ERR_SQL_SYNTAX', 'SQL error at line 1, column 8: SELECT * needs a FROM clause\n  SELECT *\n         ^'],
    ['SELECT id FROM sales UNION ALL SELECT * FROM items ORDER BY 2', 'ERR_SQL_SYNTAX', 'SQL error at line 1, column 61: ORDER BY position 2 is not in the select list (it has 1 item)\n  SELECT id FROM sales UNION ALL SELECT * FROM items ORDER BY 2\n                                                              ^'],
  ];
  it.each(cases)('%s', (text, code, message) => {
    const e = thrown(() => plan(text));
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
  });

  it('puts line and column on planning errors too', () => {
    const e = thrown(() => plan('SELECT a\nFROM sales\nWHERE max(a) > 1'));
    expect([e.line, e.column]).toEqual([3, 7]);
  });

  it('a statement built by hand (no text) still gets a clear error, without a position', () => {
    const stmt = { ...parseSql('SELECT * FROM sales CROSS JOIN items') };
    const clone = JSON.parse(JSON.stringify({ ...stmt, text: undefined }));
    const e = thrown(() => sqlToPlan(clone, catalog));
    expect(e.message).toBe('SQL error: CROSS JOIN is not supported; join with ON or USING');
    expect(e.line).toBeUndefined();
  });
});
