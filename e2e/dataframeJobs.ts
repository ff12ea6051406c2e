/** The DataFrame jobs e2e/dataframe.spec.ts runs on real tabs (and packages/dataframe's unit tests run in process). */
import { BRANDS, salesRows } from './dataframeReference.ts';

const ROWS = salesRows(240);
const setup = `
  const { col, lit, when, sum, avg, count, countDistinct, stddev, variance, corr, median, min, max } = cluster;
  const rows = ${JSON.stringify(ROWS)};
  const df = cluster.createDataFrame(rows, { partitions: 4 });
  const brands = cluster.createDataFrame(${JSON.stringify(BRANDS)});
`;

export const JOBS = {
  seed: `
    const df = cluster.createDataFrame(Array.from({ length: 1000 }, (_, i) => [i, i * 2]), ['id', 'value']);
    return df.agg({ value: 'avg' }).collect();`,
  transformations: `${setup}
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
    // Split around the exchange: per-partition moments and value lists, merged after it.
    r.moments = (await df.groupBy('category').agg(stddev('price').alias('sd'), variance('qty').alias('var'), corr('price', 'qty').alias('r'), median('price').alias('med')).orderBy('category').collect()).map((x) => ({ ...x, sd: Math.round(x.sd * 1e9) / 1e9, var: Math.round(x.var * 1e9) / 1e9, r: Math.round(x.r * 1e9) / 1e9 }));
    r.shortcuts = { count: await df.groupBy('category').count().orderBy('category').collect(), sum: await df.groupBy('category').sum('qty').orderBy('category').collect(), mean: await df.groupBy().mean('price').collect() };
    r.global = await df.agg({ price: 'max' }, { qty: 'count' }).collect();
    r.distinct = await df.select('category').distinct().count();
    r.dropDuplicates = await df.dropDuplicates(['brand']).count();
    r.union = await df.union(df).count();
    r.repartition = await df.repartition(3, 'brand').groupBy('brand').count().orderBy('brand').collect();
    // A user's repartition(n) keeps its n partitions (adaptive coalescing leaves them alone).
    const parts = await df.repartition(3).mapPartitions((t, ctx) => ctx.arrow.tableFromArrays({ rows: Float64Array.from([t.numRows]) }), { rows: 'double' }).collect();
    r.repartitionParts = { parts: parts.length, rows: parts.reduce((s, p) => s + Number(p.rows), 0) };
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
    return r;`,
  sorts: `${setup}
    cluster.conf.set('shufflePartitions', 7);
    cluster.conf.set('adaptive', false);
    const r = {};
    r.desc = (await df.orderBy(col('price').desc(), 'id').collect()).map((x) => x.id);
    r.asc = (await df.orderBy('price', 'id').collect()).map((x) => x.id);
    r.nullsFirst = (await df.orderBy(col('brand').asc(), 'id').collect()).map((x) => x.brand);
    r.nullsLast = (await df.orderBy(col('brand').ascNullsLast(), 'id').collect()).map((x) => x.brand);
    r.stages = cluster.dataFrameSession.history.at(-1);
    cluster.conf.set('adaptive', true);
    // One numeric key: sample, range split and sort on the Arrow kernels (the query log's notes say so).
    r.byPrice = (await df.orderBy(col('price').desc()).collect()).map((x) => x.price);
    r.kernelNotes = (globalThis.shoalCoordinator?.queries?.() ?? []).at(-1)?.stages.map((st) => st.notes.some((n) => n.startsWith('rows sorted or cut in JS'))) ?? [];
    return r;`,
  joins: `${setup}
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
    return r;`,
  sql: `${setup}
    df.createOrReplaceTempView('sales');
    brands.createOrReplaceTempView('brands');
    const r = {};
    r.sql = await cluster.sql("SELECT brand, avg(price) AS ap, sum(qty) AS sq FROM sales WHERE category = 'electronics' GROUP BY brand HAVING sum(qty) > 0 ORDER BY brand").collect();
    r.api = await df.filter(col('category').eq('electronics')).groupBy('brand').agg(avg('price').alias('ap'), sum('qty').alias('sq')).filter(col('sq').gt(0)).orderBy('brand').collect();
    r.sqlJoin = await cluster.sql("WITH e AS (SELECT id, brand FROM sales WHERE qty > 3) SELECT b.country, count(*) AS n FROM e JOIN brands b ON e.brand = b.brand GROUP BY b.country ORDER BY n DESC, b.country").collect();
    r.apiJoin = await df.filter(col('qty').gt(3)).select('id', 'brand').join(brands, 'brand').groupBy('country').agg(count('*').alias('n')).orderBy(col('n').desc(), 'country').collect();
    r.sqlSub = await cluster.sql('SELECT category, m FROM (SELECT category, max(price) AS m FROM sales GROUP BY category) t WHERE m > 10 ORDER BY category LIMIT 2').collect();
    r.apiSub = await df.groupBy('category').agg(max('price').alias('m')).filter(col('m').gt(10)).orderBy('category').limit(2).collect();
    return r;`,
  errors: `${setup}
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
    await grab('badRow', () => cluster.read.csv('bad/rows.csv', { schema: 'a int, b int' }).agg({ a: 'sum' }).collect());
    r.tasksBefore = { code: String(cluster.dataFrameSession.history.length), message: '' };
    return r;`,
  parquet: `${setup}
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
    r.json = await cluster.read.json('events/*.ndjson').agg(countDistinct('user').alias('users'), sum('n').alias('total'), count('note').alias('notes')).collect();
    const items = cluster.read.parquet('native/items.parquet');
    r.native = await items.filter(col('id').ge(900)).groupBy('name').agg({ weight: 'sum' }).orderBy('name').collect();
    r.nativeExplain = await items.filter(col('id').ge(900)).groupBy('name').agg({ weight: 'sum' }).explain();
    // Split by row groups (each task reads its own groups by Range requests), only the columns used.
    const groups = cluster.read.parquet('native/groups.parquet');
    cluster.conf.set('maxPartitionBytes', 1);
    r.split = await groups.agg({ weight: 'sum' }, { id: 'count' }).collect();
    r.splitScanTasks = cluster.dataFrameSession.history.at(-1).detail[0].tasks;
    r.lastGroup = await groups.filter(col('id').ge(8192)).agg({ weight: 'sum' }, { id: 'count' }).collect();
    r.lastGroupExplain = await groups.filter(col('id').ge(8192)).agg({ weight: 'sum' }).explain();
    cluster.conf.set('maxPartitionBytes', 64 * 1024 * 1024);
    return r;`,
};
