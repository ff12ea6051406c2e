/**
 * SQL and the DataFrame API give the same rows for the same query, run on the
 * in-process cluster (real engine, real task function; no browsers).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { dataFrameApi } from '../api.ts';
import type { DataFrame } from '../dataframe.ts';
import { localCluster } from '../testCluster.ts';

const c = dataFrameApi(localCluster(), undefined);
const F = c.functions;
const BRANDS = ['acme', 'bolt', 'core', 'dyna'];
const sales = Array.from({ length: 240 }, (_, i) => ({
  id: i,
  brand: BRANDS[i % 4]!,
  category: i % 3 === 0 ? 'electronics' : 'garden',
  price: (i * 37) % 101 + 0.5,
  qty: i % 7,
}));
const items = Array.from({ length: 60 }, (_, i) => ({ id: i * 3, label: `item${i}` }));
const salesDf = c.createDataFrame(sales, undefined, { partitions: 3 });
const itemsDf = c.createDataFrame(items, undefined, { partitions: 2 });
salesDf.createOrReplaceTempView('sales');
itemsDf.createOrReplaceTempView('items');

/** Rows as comparable text, sorted unless the query fixes the order. */
async function rows(df: DataFrame, ordered: boolean): Promise<string[]> {
  const out = (await df.collect()).map((r) => JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v)));
  return ordered ? out : out.sort();
}

const cases: [string, () => DataFrame, boolean][] = [
  ["SELECT * FROM sales WHERE price > 50 AND category = 'electronics'", () => salesDf.filter("price > 50 AND category = 'electronics'"), false],
  ['SELECT id, price * 2 AS p2 FROM sales WHERE qty BETWEEN 2 AND 4', () => salesDf.filter('qty BETWEEN 2 AND 4').selectExpr('id', 'price * 2 AS p2'), false],
  [
    "SELECT brand, avg(price), sum(qty) FROM sales WHERE category = 'electronics' GROUP BY brand ORDER BY avg(price) DESC",
    () => salesDf.filter(F.col('category').eq('electronics')).groupBy('brand').agg({ price: 'avg', qty: 'sum' }).orderBy(F.desc('avg(price)')),
    true,
  ],
  ['SELECT avg(price) FROM sales', () => salesDf.agg({ price: 'avg' }), false],
  ['SELECT brand, count(*) AS n FROM sales GROUP BY brand HAVING n > 10', () => salesDf.groupBy('brand').agg(F.count('*').alias('n')).filter('n > 10'), false],
  ['SELECT id FROM sales ORDER BY price DESC, id LIMIT 7', () => salesDf.orderBy(F.desc('price'), 'id').limit(7).select('id'), true],
  ['SELECT DISTINCT brand FROM sales', () => salesDf.select('brand').distinct(), false],
  ['SELECT s.id, label FROM sales s JOIN items i USING (id)', () => salesDf.join(itemsDf, 'id').select('id', 'label'), false],
  ['SELECT * FROM sales LEFT JOIN items USING (id)', () => salesDf.join(itemsDf, 'id', 'left'), false],
  ['SELECT * FROM sales LEFT SEMI JOIN items USING (id)', () => salesDf.join(itemsDf, 'id', 'semi'), false],
  ['SELECT * FROM sales LEFT ANTI JOIN items USING (id)', () => salesDf.join(itemsDf, 'id', 'anti'), false],
  [
    'WITH big AS (SELECT * FROM sales WHERE qty > 3) SELECT brand, max(price) FROM big GROUP BY brand',
    () => salesDf.filter('qty > 3').groupBy('brand').agg({ price: 'max' }),
    false,
  ],
  ['SELECT s.id, i.label FROM sales s JOIN items i ON s.id = i.id', () => salesDf.join(itemsDf, 'id').select('id', 'label'), false],
  ['SELECT i.id, count(*) AS n FROM sales s JOIN items i ON s.id = i.id GROUP BY i.id', () => salesDf.join(itemsDf, 'id').groupBy('id').agg(F.count('*').alias('n')), false],
  ['SELECT s.id, i.label FROM sales s, items i WHERE s.id = i.id AND s.qty > 2', () => salesDf.filter('qty > 2').join(itemsDf, 'id').select('id', 'label'), false],
  ['SELECT id FROM sales WHERE qty = 0 UNION ALL SELECT id FROM items', () => salesDf.filter('qty = 0').select('id').union(itemsDf.select('id')), false],
  ['SELECT id FROM sales WHERE qty = 0 UNION SELECT id FROM items', () => salesDf.filter('qty = 0').select('id').union(itemsDf.select('id')).distinct(), false],
  ['SELECT x.b FROM (SELECT brand AS b FROM sales WHERE id < 10) x', () => salesDf.filter('id < 10').selectExpr('brand AS b'), false],
];

describe('SQL and the DataFrame API give the same rows', () => {
  // The first query loads the engine (DuckDB's wasm); keep that out of each case's time limit.
  beforeAll(async () => {
    await c.sql('SELECT count(*) FROM sales').collect();
  }, 120_000);

  it.each(cases)('%s', { timeout: 60_000 }, async (sql, api, ordered) => {
    const a = await rows(c.sql(sql), ordered);
    const b = await rows(api(), ordered);
    expect(a.length).toBeGreaterThan(0);
    expect(a).toEqual(b);
  });

  it('a window function matches a plain-JS reference', { timeout: 60_000 }, async () => {
    const got = await c.sql('SELECT id, row_number() OVER (PARTITION BY brand ORDER BY price DESC, id) AS rn FROM sales').collect();
    const expected = new Map<number, number>();
    for (const brand of BRANDS) {
      const group = sales.filter((r) => r.brand === brand).sort((x, y) => y.price - x.price || x.id - y.id);
      group.forEach((r, i) => expected.set(r.id, i + 1));
    }
    expect(got.map((r) => [Number(r.id), Number(r.rn)]).sort((x, y) => x[0]! - y[0]!)).toEqual([...expected].sort((x, y) => x[0] - y[0]));
  });
});

