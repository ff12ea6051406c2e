/**
 * DataFrames and SQL on real tabs: two worker tabs (two task slots each), each
 * stage's tasks running DuckDB-WASM in their Web Workers, blocks moving peer
 * to peer. Every answer is checked against plain JS over the same rows
 * (dataframeReference.ts). One server and browser for the file; the test that
 * closes a tab goes last.
 */
import { expect, test } from '@playwright/test';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { cluster, job } from './helpers.ts';
import { BRANDS, reference, salesRows } from './dataframeReference.ts';

type Local = Awaited<ReturnType<typeof cluster>>;
let local: Local | undefined;
let dataDir = '';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'shoal-df-'));
  mkdirSync(join(dataDir, 'native'));
  mkdirSync(join(dataDir, 'bad'));
  writeFileSync(join(dataDir, 'bad', 'broken.parquet'), 'PAR1 this is not a parquet file');
  writeFileSync(join(dataDir, 'bad', 'rows.csv'), `a,b\n${'1,2\n'.repeat(50)}x,oops\n`);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`COPY (SELECT i AS id, 'item' || (i % 10) AS name, (i % 13) * 1.5 AS weight FROM range(1000) t(i)) TO '${join(dataDir, 'native', 'items.parquet')}' (FORMAT parquet, ROW_GROUP_SIZE 250)`);
  conn.closeSync();
  local = await cluster({ workers: 2, slotsPerWorker: 2, dataDir });
});

test.afterAll(async () => {
  await local?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const run = async <T>(body: string): Promise<T> => {
  const outcome = await local!.runJob(job(body));
  if (!outcome.ok) throw new Error(`job failed: ${JSON.stringify(outcome.error)}`);
  return (outcome as { result: T }).result;
};

const ROWS = salesRows(240);
const setup = `
  const { col, lit, when, sum, avg, count, countDistinct, stddev, median, min, max } = cluster;
  const rows = ${JSON.stringify(ROWS)};
  const df = cluster.createDataFrame(rows, { partitions: 4 });
  const brands = cluster.createDataFrame(${JSON.stringify(BRANDS)});
`;

test("the seed: Spark's createDataFrame + agg({value: 'avg'})", async () => {
  const out = await run<unknown>(`
    const df = cluster.createDataFrame(Array.from({ length: 1000 }, (_, i) => [i, i * 2]), ['id', 'value']);
    return df.agg({ value: 'avg' }).collect();`);
  expect(out).toEqual([{ 'avg(value)': 999 }]);
});

test('transformations and actions agree with a plain-JS reference', async () => {
  const out = await run<Record<string, unknown>>(`${setup}
    const r = {};
    r.select = await df.select('id', 'price').orderBy('id').limit(5).collect();
    r.selectExpr = await df.selectExpr('id', 'price * 2 AS p2').orderBy('id').limit(3).collect();
    r.filterCol = await df.filter(col('price').gt(50).and(col('category').eq('electronics'))).count();
    r.filterSql = await df.filter("price > 50 AND category = 'electronics'").count();
    r.where = await df.where(col('qty').isIn(1, 2)).count();
    r.withColumn = await df.withColumn('total', col('price').mul(col('qty'))).agg({ total: 'sum' }).collect();
    r.replaced = (await df.withColumn('qty', col('qty').add(100)).agg({ qty: 'min' }).collect())[0];
    r.renamed = df.withColumnRenamed('qty', 'quantity').columns;
    r.dropped = df.drop('day', 'category').columns;
    r.byBrand = await df.groupBy('brand').agg({ price: 'avg', qty: 'sum' }).orderBy('brand').collect();
    r.aggForms = (await df.groupBy('category').agg(sum('qty').alias('s'), countDistinct('brand').alias('nb'), min('price').alias('lo'), max('price').alias('hi'), count('*').alias('n'), median('qty').alias('med'), stddev('qty').alias('sd')).orderBy('category').collect()).map((x) => ({ ...x, sd: Math.round(x.sd * 1e9) / 1e9 }));
    r.shortcuts = { count: await df.groupBy('category').count().orderBy('category').collect(), sum: await df.groupBy('category').sum('qty').orderBy('category').collect(), mean: await df.groupBy().mean('price').collect() };
    r.global = await df.agg({ price: 'max' }, { qty: 'count' }).collect();
    r.distinct = await df.select('category').distinct().count();
    r.dropDuplicates = await df.dropDuplicates(['brand']).count();
    r.union = await df.union(df).count();
    r.repartition = await df.repartition(3, 'brand').groupBy('brand').count().orderBy('brand').collect();
    r.mapPartitions = await df.mapPartitions((t, ctx) => {
      const n = t.numRows;
      return ctx.arrow.tableFromArrays({ rows: Float64Array.from([n]) });
    }, { rows: 'double' }).agg({ rows: 'sum' }).collect();
    r.strings = await df.filter(col('brand').isNotNull()).select(col('brand').upper().alias('u'), col('brand').length().alias('len'), col('brand').substr(1, 2).alias('pre'), col('brand').startsWith('a').alias('sw'), col('brand').contains('ol').alias('has')).distinct().orderBy('u').collect();
    r.when = await df.select(when(col('price').lt(25), 'cheap').when(col('price').lt(75), 'mid').otherwise('dear').alias('band')).groupBy('band').count().orderBy('band').collect();
    r.dates = await df.select(col('day').cast('date').alias('d')).select(col('d').year().alias('y'), col('d').month().alias('m')).groupBy('y', 'm').count().orderBy('y', 'm').collect();
    r.between = await df.filter(col('price').between(10, 20)).count();
    r.cast = (await df.select(col('price').cast('int').alias('p')).orderBy('p').limit(2).collect());
    const cached = df.filter(col('qty').gt(2)).cache();
    const before = cluster.dataFrameSession.history.filter((h) => h.action === 'cache').length;
    r.cached = [await cached.count(), await cached.agg({ qty: 'sum' }).collect()];
    r.cacheRuns = cluster.dataFrameSession.history.filter((h) => h.action === 'cache').length - before;
    cached.unpersist();
    r.toArrow = (await df.toArrow()).numRows;
    r.count = await df.count();
    r.first = await df.orderBy('id').first();
    r.head = await df.orderBy('id').head(2);
    r.take = (await df.orderBy(col('id').desc()).take(2)).map((x) => x.id);
    r.show = await df.orderBy('id').select('id', 'brand').show(3);
    r.schema = df.schema;
    r.dtypes = df.dtypes;
    r.explain = await df.filter("price > 90").groupBy('brand').agg({ qty: 'sum' }).explain();
    return r;`);
  const ref = reference(ROWS);
  for (const key of Object.keys(ref)) if (key !== 'joins') expect(out[key], key).toEqual(ref[key]);
  const explain = out['explain'] as string;
  expect(explain).toContain('== Optimized Plan ==');
  expect(explain).toMatch(/pushedFilters=\[\(price > 90\)\]/);
  expect(explain).toMatch(/columns=\[brand, price, qty\]/);
  expect(explain).toContain('hash exchange by [brand]');
  expect(out['cacheRuns']).toBe(1);
});

test('orderBy over more partitions than workers, ascending and descending, nulls first and last', async () => {
  const out = await run<Record<string, unknown[]>>(`${setup}
    cluster.conf.set('shufflePartitions', 7);
    cluster.conf.set('adaptive', false);
    const r = {};
    r.desc = (await df.orderBy(col('price').desc(), 'id').collect()).map((x) => x.id);
    r.asc = (await df.orderBy('price', 'id').collect()).map((x) => x.id);
    r.nullsFirst = (await df.orderBy(col('brand').asc(), 'id').collect()).map((x) => x.brand);
    r.nullsLast = (await df.orderBy(col('brand').ascNullsLast(), 'id').collect()).map((x) => x.brand);
    r.stages = cluster.dataFrameSession.history.at(-1);
    cluster.conf.set('adaptive', true);
    return r;`);
  const ids = (cmp: (a: (typeof ROWS)[number], b: (typeof ROWS)[number]) => number) => [...ROWS].sort((a, b) => cmp(a, b) || a.id - b.id).map((r) => r.id);
  expect(out['desc']).toEqual(ids((a, b) => b.price - a.price));
  expect(out['asc']).toEqual(ids((a, b) => a.price - b.price));
  const brandKey = (b: string | null, nullsFirst: boolean) => (b === null ? (nullsFirst ? '' : '\uffff') : b);
  expect(out['nullsFirst']).toEqual([...ROWS].sort((a, b) => brandKey(a.brand, true).localeCompare(brandKey(b.brand, true)) || a.id - b.id).map((r) => r.brand));
  expect(out['nullsLast']).toEqual([...ROWS].sort((a, b) => brandKey(a.brand, false).localeCompare(brandKey(b.brand, false)) || a.id - b.id).map((r) => r.brand));
  expect((out['stages'] as unknown as { tasks: number }).tasks).toBeGreaterThan(7);
});

test('every join type, as a broadcast join and as a shuffle join', async () => {
  const out = await run<Record<string, unknown>>(`${setup}
    const left = df.select('id', 'brand');
    const hows = ['inner', 'left', 'right', 'full', 'semi', 'anti'];
    const sortRows = (rs) => rs.sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
    const r = { broadcast: {}, shuffle: {} };
    for (const how of hows) r.broadcast[how] = sortRows(await left.join(brands, 'brand', how).collect());
    r.broadcastExplain = await left.join(brands, 'brand').explain();
    cluster.conf.set('autoBroadcastJoinThreshold', -1);
    for (const how of hows) r.shuffle[how] = sortRows(await left.join(brands, 'brand', how).collect());
    r.shuffleExplain = await left.join(brands, 'brand').explain();
    r.onCondition = await left.join(brands.withColumnRenamed('brand', 'b'), col('brand').eq(col('b')), 'inner').count();
    cluster.conf.set('autoBroadcastJoinThreshold', 10 * 1024 * 1024);
    return r;`);
  const ref = reference(ROWS);
  for (const mode of ['broadcast', 'shuffle']) {
    for (const how of ['inner', 'left', 'right', 'full', 'semi', 'anti']) expect((out[mode] as Record<string, unknown>)[how], `${mode} ${how}`).toEqual((ref['joins'] as Record<string, unknown>)[how]);
  }
  expect(out['broadcastExplain']).toContain('broadcast join');
  expect(out['shuffleExplain']).toContain('shuffle join');
  expect(out['onCondition']).toBe(((ref['joins'] as Record<string, unknown[]>)['inner'] ?? []).length);
});

test('SQL and the DataFrame API give the same rows', async () => {
  const out = await run<Record<string, unknown>>(`${setup}
    df.createOrReplaceTempView('sales');
    brands.createOrReplaceTempView('brands');
    const r = {};
    r.sql = await cluster.sql("SELECT brand, avg(price) AS ap, sum(qty) AS sq FROM sales WHERE category = 'electronics' GROUP BY brand HAVING sum(qty) > 0 ORDER BY brand").collect();
    r.api = await df.filter(col('category').eq('electronics')).groupBy('brand').agg(avg('price').alias('ap'), sum('qty').alias('sq')).filter(col('sq').gt(0)).orderBy('brand').collect();
    r.sqlJoin = await cluster.sql("WITH e AS (SELECT id, brand FROM sales WHERE qty > 3) SELECT b.country, count(*) AS n FROM e JOIN brands b ON e.brand = b.brand GROUP BY b.country ORDER BY n DESC, b.country").collect();
    r.apiJoin = await df.filter(col('qty').gt(3)).select('id', 'brand').join(brands, 'brand').groupBy('country').agg(count('*').alias('n')).orderBy(col('n').desc(), 'country').collect();
    r.sqlSub = await cluster.sql('SELECT category, m FROM (SELECT category, max(price) AS m FROM sales GROUP BY category) t WHERE m > 10 ORDER BY category LIMIT 2').collect();
    r.apiSub = await df.groupBy('category').agg(max('price').alias('m')).filter(col('m').gt(10)).orderBy('category').limit(2).collect();
    return r;`);
  expect(out['sql']).toEqual(out['api']);
  expect(out['sqlJoin']).toEqual(out['apiJoin']);
  expect(out['sqlSub']).toEqual(out['apiSub']);
  expect((out['sql'] as unknown[]).length).toBeGreaterThan(2);
});

test('each error code, found before anything runs where it can be', async () => {
  const out = await run<Record<string, { code: string; message: string }>>(`${setup}
    df.createOrReplaceTempView('sales');
    const r = {};
    const grab = async (name, work) => {
      try { await work(); r[name] = { code: 'none', message: '' }; } catch (e) { r[name] = { code: e.code, message: e.message }; }
    };
    await grab('column', () => df.select('nope'));
    await grab('type', () => df.filter(col('brand').gt(1)));
    await grab('sum', () => df.agg({ brand: 'sum' }));
    await grab('syntax', () => cluster.sql('SELECT brand,\\nFROM sales WHERE'));
    await grab('missing', () => cluster.read.parquet('nothing/*.parquet').count());
    await grab('corrupt', () => cluster.read.parquet('bad/broken.parquet').count());
    await grab('badRow', () => cluster.read.csv('bad/rows.csv', { schema: 'a int, b int' }).count());
    r.tasksBefore = { code: String(cluster.dataFrameSession.history.length), message: '' };
    return r;`);
  expect(out['column']!.code).toBe('ERR_COLUMN_NOT_FOUND');
  expect(out['column']!.message).toContain("column 'nope' not found; available columns: id, brand, category, price, qty, day");
  expect(out['type']!.code).toBe('ERR_TYPE_MISMATCH');
  expect(out['sum']!.code).toBe('ERR_TYPE_MISMATCH');
  expect(out['syntax']!.code).toBe('ERR_SQL_SYNTAX');
  expect(out['syntax']!.message).toMatch(/line 2, column 1/);
  expect(out['syntax']!.message).toContain('^');
  expect(out['missing']!.code).toBe('ERR_READ_FAILED');
  expect(out['missing']!.message).toContain('nothing/*.parquet');
  expect(out['corrupt']!.code).toBe('ERR_READ_FAILED');
  expect(out['corrupt']!.message).toContain('bad/broken.parquet');
  expect(out['badRow']!.code).toBe('ERR_READ_FAILED');
  expect(out['badRow']!.message).toMatch(/bad\/rows\.csv \(partition 0\)/);
});

test('Parquet: written by Shoal and read back; written by native DuckDB and read by Shoal; Shoal output read by native DuckDB', async () => {
  const out = await run<Record<string, unknown>>(`${setup}
    const r = {};
    await df.write.mode('overwrite').parquet('out/sales');
    const back = cluster.read.parquet('out/sales/*.parquet');
    r.back = await back.agg({ qty: 'sum' }, { id: 'count' }).collect();
    r.backSchema = (await back.load()).dtypes;
    let again = null;
    try { await df.write.parquet('out/sales'); } catch (e) { again = e.code; }
    r.again = again;
    await df.limit(10).write.mode('append').csv('out/csv');
    r.csv = await cluster.read.csv('out/csv').count();
    const items = cluster.read.parquet('native/items.parquet');
    r.native = await items.filter(col('id').ge(900)).groupBy('name').agg({ weight: 'sum' }).orderBy('name').collect();
    r.nativeExplain = await items.filter(col('id').ge(900)).groupBy('name').agg({ weight: 'sum' }).explain();
    return r;`);
  const qty = ROWS.reduce((s, r) => s + r.qty, 0);
  expect(out['back']).toEqual([{ 'sum(qty)': qty, 'count(id)': ROWS.length }]);
  expect(out['backSchema']).toEqual([['id', 'bigint'], ['brand', 'string'], ['category', 'string'], ['price', 'double'], ['qty', 'bigint'], ['day', 'string']]);
  expect(out['again']).toBe('ERR_PATH_EXISTS');
  expect(out['csv']).toBe(10);
  const expected = new Map<string, number>();
  for (let i = 900; i < 1000; i++) expected.set(`item${i % 10}`, (expected.get(`item${i % 10}`) ?? 0) + (i % 13) * 1.5);
  expect(out['native']).toEqual([...expected].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, w]) => ({ name, 'sum(weight)': w })));
  // Row groups of 250 rows: a filter on id >= 900 keeps only the last group.
  expect(out['nativeExplain']).toMatch(/rowGroups=1\b/);
  const files = readdirSync(join(dataDir, 'out', 'sales'));
  expect(files).toContain('_SUCCESS');
  expect(files.filter((f) => f.endsWith('.parquet')).length).toBeGreaterThanOrEqual(1);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const reader = await conn.runAndReadAll(`SELECT sum(qty)::BIGINT AS q, count(*)::BIGINT AS n FROM read_parquet('${join(dataDir, 'out', 'sales', '*.parquet')}')`);
  const [row] = reader.getRowObjects();
  conn.closeSync();
  expect(Number(row!['q'])).toBe(qty);
  expect(Number(row!['n'])).toBe(ROWS.length);
});

test('a worker tab closed mid-shuffle: the result is still exact', async () => {
  const c = local!;
  const query = c.runJob(
    job(`
    const { col } = cluster;
    cluster.conf.set('shufflePartitions', 8);
    const slow = cluster.range(0, 400000, 1, { partitions: 8 }).mapPartitions(async (t, ctx) => {
      await new Promise((r) => setTimeout(r, 600));
      return t;
    });
    return slow.withColumn('k', col('id').mod(97)).groupBy('k').agg({ id: 'sum' }).orderBy('k').collect();`),
  );
  await c.coordinator.waitForFunction(() => window.shoalCoordinator!.workers().reduce((s, w) => s + w.tasksDone, 0) >= 6, undefined, { polling: 20, timeout: 60_000 });
  await c.workers[1]!.close();
  const outcome = await query;
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const rows = (outcome as { result: { k: number; 'sum(id)': number }[] }).result;
  expect(rows.length).toBe(97);
  for (const r of rows) {
    let s = 0;
    for (let i = r.k; i < 400000; i += 97) s += i;
    expect(r['sum(id)']).toBe(s);
  }
});
