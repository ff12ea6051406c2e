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
import { reference, salesRows } from './dataframeReference.ts';
import { JOBS } from './dataframeJobs.ts';

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
  mkdirSync(join(dataDir, 'events'));
  for (const day of [1, 2]) {
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ user: `u${i % 7}`, n: i * day, note: i % 10 === 0 ? null : `say "hi", ${i}` }));
    writeFileSync(join(dataDir, 'events', `day${day}.ndjson`), `${lines.join('\n')}\n`);
  }
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`COPY (SELECT i AS id, 'item' || (i % 10) AS name, (i % 13) * 1.5 AS weight FROM range(1000) t(i)) TO '${join(dataDir, 'native', 'items.parquet')}' (FORMAT parquet, ROW_GROUP_SIZE 250)`);
  // DuckDB's row groups are whole vectors (2048 rows): 10000 rows make 5 groups.
  await conn.run(`COPY (SELECT i AS id, 'item' || (i % 10) AS name, (i % 13) * 1.5 AS weight FROM range(10000) t(i)) TO '${join(dataDir, 'native', 'groups.parquet')}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
  conn.closeSync();
  local = await cluster({ workers: 2, slotsPerWorker: 1, dataDir });
  // Each task Web Worker loads DuckDB-WASM (34 MB) the first time a DataFrame task runs there; do it here, timed apart from the tests.
  test.setTimeout(240_000);
  const t0 = performance.now();
  const warm = await local.runJob(job(`
    const load = cluster.remote(async (i, ctx) => { await ctx.engine(); return ctx.workerId; });
    return cluster.get([load(1), load(2), load(3), load(4)]);`));
  expect(warm.ok, JSON.stringify(warm)).toBe(true);
  console.log(`[dataframe] engines loaded on ${new Set((warm as { result: string[] }).result).size} workers in ${Math.round(performance.now() - t0)} ms`);
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

test("the seed: Spark's createDataFrame + agg({value: 'avg'})", async () => {
  const out = await run<unknown>(JOBS.seed);
  expect(out).toEqual([{ 'avg(value)': 999 }]);
});

test('transformations and actions agree with a plain-JS reference', async () => {
  const out = await run<Record<string, unknown>>(JOBS.transformations);
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
  const out = await run<Record<string, unknown[]>>(JOBS.sorts);
  const ids = (cmp: (a: (typeof ROWS)[number], b: (typeof ROWS)[number]) => number) => [...ROWS].sort((a, b) => cmp(a, b) || a.id - b.id).map((r) => r.id);
  expect(out['desc']).toEqual(ids((a, b) => b.price - a.price));
  expect(out['asc']).toEqual(ids((a, b) => a.price - b.price));
  const brandKey = (b: string | null, nullsFirst: boolean) => (b === null ? (nullsFirst ? '' : '\uffff') : b);
  expect(out['nullsFirst']).toEqual([...ROWS].sort((a, b) => brandKey(a.brand, true).localeCompare(brandKey(b.brand, true)) || a.id - b.id).map((r) => r.brand));
  expect(out['nullsLast']).toEqual([...ROWS].sort((a, b) => brandKey(a.brand, false).localeCompare(brandKey(b.brand, false)) || a.id - b.id).map((r) => r.brand));
  expect((out['stages'] as unknown as { tasks: number }).tasks).toBeGreaterThan(7);
  // Descending puts nulls last (Spark's default), as the reference does.
  const prices = ROWS.map((r) => r.price as number | null);
  expect(out['byPrice']).toEqual([...prices.filter((p) => p !== null).sort((a, b) => b - a), ...prices.filter((p) => p === null)]);
  expect(out['kernelNotes']).toEqual([true, true, true]);
});

test('every join type, as a broadcast join and as a shuffle join', async () => {
  const out = await run<Record<string, unknown>>(JOBS.joins);
  const ref = reference(ROWS);
  for (const mode of ['broadcast', 'shuffle']) {
    for (const how of ['inner', 'left', 'right', 'full', 'semi', 'anti']) expect((out[mode] as Record<string, unknown>)[how], `${mode} ${how}`).toEqual((ref['joins'] as Record<string, unknown>)[how]);
  }
  expect(out['broadcastExplain']).toContain('broadcast join');
  expect(out['shuffleExplain']).toContain('shuffle join');
  expect(out['onCondition']).toBe(((ref['joins'] as Record<string, unknown[]>)['inner'] ?? []).length);
});

test('SQL and the DataFrame API give the same rows', async () => {
  const out = await run<Record<string, unknown>>(JOBS.sql);
  expect(out['sql']).toEqual(out['api']);
  expect(out['sqlJoin']).toEqual(out['apiJoin']);
  expect(out['sqlSub']).toEqual(out['apiSub']);
  expect((out['sql'] as unknown[]).length).toBeGreaterThan(2);
});

test('each error code, found before anything runs where it can be', async () => {
  const out = await run<Record<string, { code: string; message: string }>>(JOBS.errors);
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
  const out = await run<Record<string, unknown>>(JOBS.parquet);
  const qty = ROWS.reduce((s, r) => s + r.qty, 0);
  expect(out['back']).toEqual([{ 'sum(qty)': qty, 'count(id)': ROWS.length }]);
  expect(out['backSchema']).toEqual([['id', 'bigint'], ['brand', 'string'], ['category', 'string'], ['price', 'double'], ['qty', 'bigint'], ['day', 'string']]);
  expect(out['again']).toBe('ERR_PATH_EXISTS');
  expect(out['csv']).toBe(10);
  expect(out['json']).toEqual([{ users: 7, total: 3 * 1225, notes: 90 }]);
  const expected = new Map<string, number>();
  for (let i = 900; i < 1000; i++) expected.set(`item${i % 10}`, (expected.get(`item${i % 10}`) ?? 0) + (i % 13) * 1.5);
  expect(out['native']).toEqual([...expected].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, w]) => ({ name, 'sum(weight)': w })));
  // Row groups of 250 rows: a filter on id >= 900 keeps only the last group.
  expect(out['nativeExplain']).toMatch(/rowGroups=1\b/);
  const weight = (from: number) => Array.from({ length: 10000 - from }, (_, k) => ((from + k) % 13) * 1.5).reduce((a, b) => a + b, 0);
  expect(out['split']).toEqual([{ 'sum(weight)': weight(0), 'count(id)': 10000 }]);
  expect(out['splitScanTasks']).toBe(5);
  expect(out['lastGroup']).toEqual([{ 'sum(weight)': weight(8192), 'count(id)': 10000 - 8192 }]);
  expect(out['lastGroupExplain']).toMatch(/rowGroups=1\b/);
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

test('a cached DataFrame whose tab is closed is remade, and the answer is the same', async () => {
  const c = local!;
  await c.addWorker();
  await c.coordinator.waitForFunction(() => window.shoalCoordinator!.workers().length >= 2, undefined, { timeout: 30_000 });
  // However many workers the tests before left (run alone, this one has three), one fewer after the close below.
  const workersBefore = await c.coordinator.evaluate(() => window.shoalCoordinator!.workers().length);
  const ready = c.coordinator.waitForEvent('console', { predicate: (m) => m.text() === 'cached-ready', timeout: 60_000 });
  const query = c.runJob(
    job(`
    const { col } = cluster;
    const cached = cluster.range(0, 200000, 1, { partitions: 6 }).withColumn('k', col('id').mod(13)).withColumn('g', col('k').cast('string')).cache();
    const first = await cached.groupBy('k').agg({ id: 'sum' }).orderBy('k').collect();
    const merged = cluster.dataFrameSession.history[cluster.dataFrameSession.history.length - 1].detail[0].notes;
    console.log('cached-ready');
    while (!globalThis.__continue) await new Promise((r) => setTimeout(r, 50));
    const second = await cached.groupBy('k').agg({ id: 'sum' }).orderBy('k').collect();
    // A string column of 13 values (kept dictionary-encoded by the engines), grouped; then every row sorted, the sample drawn where the blocks are kept.
    const byString = await cached.groupBy('g').count().orderBy('g').collect();
    const sortedFrame = cached.orderBy(col('id').desc()).cache();
    const sorted = await sortedFrame.collect();
    const history = cluster.dataFrameSession.history;
    const sortStages = history.filter((h) => h.action === 'cache').pop().detail.map((d) => d.name + ': ' + d.notes.join(', '));
    // take(3) of the sorted cache reads its first partition only.
    const top = (await sortedFrame.take(3)).map((r) => r.id);
    const topTasks = history[history.length - 1].detail.map((d) => d.tasks);
    let descending = sorted.length === 200000;
    for (let i = 0; i < sorted.length && descending; i++) descending = sorted[i].id === 199999 - i && sorted[i].k === (199999 - i) % 13 && sorted[i].g === String((199999 - i) % 13);
    return { first, second, merged, byString, descending, sortStages, top, topTasks, caches: cluster.dataFrameSession.history.filter((h) => h.action === 'cache').length };`),
  );
  await ready;
  const pages = c.workers.filter((p) => !p.isClosed());
  await pages[0]!.close();
  await c.coordinator.waitForFunction((n) => window.shoalCoordinator!.workers().length < n, workersBefore, { timeout: 30_000 });
  await c.coordinator.evaluate(() => ((globalThis as { __continue?: boolean }).__continue = true));
  const outcome = await query;
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const { first, second, merged } = (outcome as { result: { first: unknown[]; second: unknown[]; merged: string[] } }).result;
  // A tab's kept blocks were read together (at most 6 ÷ slots per task, however the cache's tasks were placed): fewer tasks, the same sums.
  const tasks = Number(/^read 6 kept partitions in (\d+) tasks/m.exec(merged.join('\n'))?.[1]);
  expect(tasks, merged.join('; ')).toBeGreaterThanOrEqual(2);
  expect(tasks, merged.join('; ')).toBeLessThan(6);
  expect(first).toEqual(Array.from({ length: 13 }, (_, k) => ({ k, 'sum(id)': Array.from({ length: 200000 }, (_, i) => i).filter((i) => i % 13 === k).reduce((a, b) => a + b, 0) })));
  expect(second).toEqual(first);
  const { byString, descending, sortStages, top, topTasks } = (outcome as { result: { byString: unknown[]; descending: boolean; sortStages: string[]; top: number[]; topTasks: number[] } }).result;
  expect(top).toEqual([199999, 199998, 199997]);
  expect(topTasks).toEqual([1, 1]);
  expect(byString).toEqual(Array.from({ length: 13 }, (_, k) => String(k)).sort().map((g) => ({ g, count: Array.from({ length: 200000 }, (_, i) => i).filter((i) => String(i % 13) === g).length })));
  expect(descending).toBe(true);
  expect(sortStages.find((s) => s.startsWith('scan → sample')), sortStages.join('; ')).toMatch(/read 6 kept partitions in \d tasks/);
});

test('a sort written in chunks into recycled memory (conf sortChunkBytes): the same exact order on every run', async () => {
  test.setTimeout(120_000);
  const out = await run<{ rows: number; bad: number; blocks: number; tasks: number }[]>(`
    const { col } = cluster;
    // Chunks of at least 1 MiB: each sort task writes one block per input block, and the Web Workers' pools
    // (buffers of 1 MiB and more, recycled from the sort tasks' consumed inputs) take the next tasks' outputs.
    cluster.conf.set('sortChunkBytes', 1 << 20);
    const n = 2_000_000;
    const df = cluster.range(0, n, 1, { partitions: 4 }).withColumn('x', col('id').mul(7919).mod(1000003).cast('double')).withColumn('s', col('id').cast('string')).cache();
    const runs = [];
    try {
      for (let r = 0; r < 3; r++) {
        const t = await df.orderBy('x').toArrow();
        const x = t.getChild('x').toArray(), id = t.getChild('id'), s = t.getChild('s');
        let bad = 0;
        for (let i = 0; i < t.numRows; i++) {
          const v = Number(id.get(i));
          if ((i > 0 && x[i - 1] > x[i]) || x[i] !== (v * 7919) % 1000003 || s.get(i) !== String(v)) bad++;
        }
        const sort = cluster.dataFrameSession.history[cluster.dataFrameSession.history.length - 1].detail.find((d) => d.name === 'sort');
        runs.push({ rows: t.numRows, bad, blocks: t.batches.length, tasks: sort ? sort.tasks : -1 });
      }
    } finally {
      cluster.conf.set('sortChunkBytes', 4 << 20);
    }
    return runs;`);
  expect(out).toHaveLength(3);
  for (const r of out) {
    expect(r.rows).toBe(2_000_000);
    expect(r.bad).toBe(0);
    // More blocks came home than the sort had tasks: its tasks wrote their rows in chunks.
    expect(r.tasks).toBeGreaterThan(0);
    expect(r.blocks).toBeGreaterThan(r.tasks);
  }
});
