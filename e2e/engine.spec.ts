/**
 * The per-partition engine (DuckDB-WASM, @shoal/engine) in real task Web
 * Workers: a task loads an Arrow table it built into ctx.engine(), groups it,
 * and returns Arrow IPC bytes the job decodes; a hash-partitioned shuffle
 * between two stages; files over HTTP with Range requests (a tiny server in
 * this spec, with CORS); SQL errors as ERR_ENGINE; and each task's tables
 * dropped when it ends. The first load's time is printed, not asserted.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { DuckDBInstance } from '@duckdb/node-api';
import { cluster, job } from './helpers.ts';

let local: Awaited<ReturnType<typeof cluster>>;
let files: Server;
let base = '';
const served = { range: 0, full: 0, bytes: 0 };
const bodies = new Map<string, Buffer>();

// Each worker tab fetches and compiles the 34 MB wasm on its first engine task: slow on a busy 2-core machine.
test.describe.configure({ mode: 'serial', timeout: 240_000 });
test.beforeAll(async () => {
  // The files: a CSV and a Parquet file of 100 000 rows, made by DuckDB's Node API (native, with Parquet built in).
  const dir = mkdtempSync(join(tmpdir(), 'shoal-engine-e2e-'));
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  const rows = "SELECT range AS id, range % 7 AS g, (range % 100) * 0.5 AS x FROM range(100000)";
  await duck.run(`COPY (${rows}) TO '${dir}/data.csv' (FORMAT csv, HEADER true)`);
  await duck.run(`COPY (${rows}) TO '${dir}/data.parquet' (FORMAT parquet)`);
  bodies.set('/data.csv', readFileSync(`${dir}/data.csv`));
  bodies.set('/data.parquet', readFileSync(`${dir}/data.parquet`));
  // Row groups are whole vectors: 10 groups of 10240 rows.
  await duck.run(`COPY (SELECT range AS id, (range % 100) * 0.5 AS x, 'row' || range AS s FROM range(102400)) TO '${dir}/groups.parquet' (FORMAT parquet, ROW_GROUP_SIZE 10240)`);
  bodies.set('/groups.parquet', readFileSync(`${dir}/groups.parquet`));
  files = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'Range');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Range, Content-Length, Accept-Ranges');
    res.setHeader('Accept-Ranges', 'bytes');
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const body = bodies.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!body) return void res.writeHead(404).end();
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (!range || (range[1] === '' && range[2] === '')) {
      served.full += 1;
      served.bytes += body.byteLength;
      return void res.writeHead(200, { 'Content-Length': body.byteLength }).end(body);
    }
    // DuckDB-WASM probes with `HEAD` + `Range: bytes=0-` and reads by ranges only if that answers 206 with a length.
    if (req.method !== 'HEAD') served.range += 1;
    // `bytes=-N`: the last N bytes (how Parquet readers find the footer).
    const start = range[1] === '' ? Math.max(0, body.byteLength - Number(range[2])) : Number(range[1]);
    const end = range[1] === '' ? body.byteLength - 1 : Math.min(range[2] ? Number(range[2]) : body.byteLength - 1, body.byteLength - 1);
    if (req.method !== 'HEAD') served.bytes += end - start + 1;
    res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${body.byteLength}`, 'Content-Length': end - start + 1 });
    res.end(req.method === 'HEAD' ? undefined : body.subarray(start, end + 1));
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  // Worker 2 caps task memory at 128 MiB (DuckDB's memory_limit there) and offers `small`, to pin a task to it.
  local = await cluster({ workers: 2, workerQuery: (i) => (i === 2 ? 'taskMemory=128&resources=small:1' : '') });
});
test.afterAll(async () => {
  await local?.close();
  await new Promise<void>((resolve) => (files ? files.close(() => resolve()) : resolve()));
});

const run = (body: string) => local.runJob(job(body));

test('a task groups an Arrow table in ctx.engine() and returns IPC bytes the job decodes', async () => {
  const outcome = await run(`
    const groupBy = cluster.remote(async (n, ctx) => {
      const started = performance.now();
      const e = await ctx.engine();
      const loadMs = performance.now() - started;
      const k = new Int32Array(n), v = new Float64Array(n);
      for (let i = 0; i < n; i++) { k[i] = i % 5; v[i] = i; }
      e.load('t', ctx.arrow.tableToIPC(ctx.arrow.tableFromArrays({ k, v }), 'stream'));
      const ipc = e.query('SELECT k, count(*)::INTEGER AS n, sum(v) AS s, min(v) AS lo FROM t GROUP BY k ORDER BY k');
      const again = performance.now();
      await ctx.engine();
      return { ipc, loadMs, cachedMs: performance.now() - again, on: ctx.workerId };
    }, { name: 'groupBy' });
    const out = await cluster.get(groupBy(100000));
    const table = cluster.arrow.tableFromIPC(out.ipc);
    return { rows: table.toArray().map((r) => r.toJSON()), types: table.schema.fields.map((f) => f.name + ':' + f.type), loadMs: out.loadMs, cachedMs: out.cachedMs };`);
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const result = (outcome as { result: { rows: unknown[]; types: string[]; loadMs: number; cachedMs: number } }).result;
  console.log(`engine first load in a task Web Worker: ${result.loadMs.toFixed(0)} ms (cached: ${result.cachedMs.toFixed(2)} ms)`);
  expect(result.types).toEqual(['k:Int32', 'n:Int32', 's:Float64', 'lo:Float64']);
  // k = i % 5 over 0..99999: 20000 rows each; sum of i ≡ k (mod 5) is 20000k + 5·(19999·20000/2)
  expect(result.rows).toEqual([0, 1, 2, 3, 4].map((k) => ({ k, n: 20000, s: 20000 * k + 5 * ((19999 * 20000) / 2), lo: k })));
});

test('a two-stage shuffle: map tasks hash-partition with queryPartitioned, reduce tasks load one block from each', async () => {
  const outcome = await run(`
    const parts = 3;
    const map = cluster.remote(async (start, n, parts, ctx) => {
      const e = await ctx.engine();
      const k = new Int32Array(n), v = new Float64Array(n);
      for (let i = 0; i < n; i++) { k[i] = (start + i) % 11; v[i] = 1; }
      e.load('in0', ctx.arrow.tableToIPC(ctx.arrow.tableFromArrays({ k, v }), 'stream'));
      return e.queryPartitioned('SELECT k, sum(v) AS s FROM in0 GROUP BY k', ['k'], parts);
    }, { name: 'map', numReturns: 3 });
    const reduce = cluster.remote(async (a, b, ctx) => {
      const e = await ctx.engine();
      e.load('in0', [a, b]);
      return e.query('SELECT k, sum(s)::BIGINT AS s FROM in0 GROUP BY k ORDER BY k');
    }, { name: 'reduce' });
    const maps = [map(0, 5000, parts), map(5000, 7000, parts)];
    const reduced = await cluster.get(Array.from({ length: parts }, (_, p) => reduce(maps[0][p], maps[1][p])));
    const rows = reduced.flatMap((ipc, p) => cluster.arrow.tableFromIPC(ipc).toArray().map((r) => ({ k: r.k, s: Number(r.s), p })));
    return rows.sort((a, b) => a.k - b.k);`);
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const rows = (outcome as { result: { k: number; s: number; p: number }[] }).result;
  // 12000 rows, k = i % 11: keys 0..9 have 1091 rows, key 10 has 1090; each key reduced in exactly one part
  expect(rows.map((r) => r.k)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(rows.map((r) => r.s)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((k) => (k < 10 ? 1091 : 1090)));
  expect(rows.reduce((a, r) => a + r.s, 0)).toBe(12000);
});

test('a task reads a CSV file over HTTP with Range requests through registerUrl', async () => {
  served.range = 0;
  served.full = 0;
  const outcome = await run(`
    const read = cluster.remote(async (url, ctx) => {
      const e = await ctx.engine();
      e.registerUrl('data.csv', url);
      return e.query("SELECT g::INTEGER AS g, count(*)::INTEGER AS n, sum(x)::DOUBLE AS sx FROM read_csv('data.csv') GROUP BY g ORDER BY g");
    }, { name: 'readCsv' });
    return cluster.arrow.tableFromIPC(await cluster.get(read(${JSON.stringify(`${base}/data.csv`)}))).toArray().map((r) => r.toJSON());`);
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const rows = (outcome as { result: { g: number; n: number; sx: number }[] }).result;
  expect(rows.map((r) => r.g)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  expect(rows.reduce((a, r) => a + r.n, 0)).toBe(100000);
  expect(rows.reduce((a, r) => a + r.sx, 0)).toBeCloseTo(1000 * 0.5 * 4950, 6);
  expect(served.range).toBeGreaterThan(0);
  expect(served.full).toBe(0);
  console.log(`CSV over HTTP: ${served.range} Range requests, ${served.full} full GETs`);
});

test('engine.parquet().readUrl reads only the chosen row groups and columns of a remote file, by Range requests', async () => {
  Object.assign(served, { range: 0, full: 0, bytes: 0 });
  const outcome = await run(`
    const read = cluster.remote(async (url, ctx) => {
      const e = await ctx.engine();
      e.load('g', await (await e.parquet()).readUrl(url, { rowGroups: [2, 7], columns: ['id', 's'] }));
      return e.query("SELECT count(*)::INTEGER AS n, min(id)::INTEGER AS lo, max(id)::INTEGER AS hi, max(s) AS s, (SELECT count(*)::INTEGER FROM duckdb_columns() WHERE table_name = 'g') AS cols FROM g");
    }, { name: 'readParquetGroups' });
    return cluster.arrow.tableFromIPC(await cluster.get(read(${JSON.stringify(`${base}/groups.parquet`)}))).toArray().map((r) => r.toJSON());`);
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const [row] = (outcome as { result: { n: number; lo: number; hi: number; s: string; cols: number }[] }).result;
  expect(row).toEqual({ n: 2 * 10240, lo: 2 * 10240, hi: 8 * 10240 - 1, s: 'row81919', cols: 2 });
  expect(served.full).toBe(0);
  expect(served.range).toBeGreaterThan(0);
  const size = bodies.get('/groups.parquet')!.byteLength;
  expect(served.bytes).toBeLessThan(size / 2);
  console.log(`Parquet over HTTP: ${served.range} Range requests, ${served.bytes} of ${size} bytes, ${served.full} full GETs`);
});

test('read_parquet fails cleanly (DuckDB-WASM keeps Parquet in an extension the engine does not fetch; engine.parquet() is the way), and the engine goes on working', async () => {
  const outcome = await run(`
    const read = cluster.remote(async (url, ctx) => {
      const e = await ctx.engine();
      e.registerUrl('data.parquet', url);
      let error = null;
      try { e.query("SELECT count(*) AS n FROM read_parquet('data.parquet')"); } catch (thrown) { error = { code: thrown.code, message: thrown.message }; }
      const after = ctx.arrow.tableFromIPC(e.query('SELECT 41 + 1 AS x')).get(0).x;
      return { error, after };
    }, { name: 'readParquet' });
    return cluster.get(read(${JSON.stringify(`${base}/data.parquet`)}));`);
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const result = (outcome as { result: { error: { code: string; message: string }; after: number } }).result;
  expect(result.error.code).toBe('ERR_ENGINE');
  expect(result.error.message).toMatch(/exists in the parquet extension/);
  expect(result.after).toBe(42);
});

test('a SQL error fails the task with ERR_ENGINE and DuckDB message; the next task starts with no tables', async () => {
  const outcome = await run(`
    const bad = cluster.remote(async (ctx) => {
      const e = await ctx.engine();
      e.load('mine', ctx.arrow.tableToIPC(ctx.arrow.tableFromArrays({ a: Int32Array.from([1]) }), 'stream'));
      e.query('SELECT * FROM no_such_table');
    }, { name: 'bad' });
    const tables = cluster.remote(async (ctx) => {
      const e = await ctx.engine();
      const t = ctx.arrow.tableFromIPC(e.query("SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE table_name = 'mine'"));
      return t.get(0).n;
    }, { name: 'tables' });
    let error = null;
    try { await cluster.get(bad()); } catch (e) { error = { code: e.code, message: e.message }; }
    const left = await cluster.get([tables(), tables(), tables(), tables()]);
    return { error, left };`);
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const result = (outcome as { result: { error: { code: string; message: string }; left: number[] } }).result;
  expect(result.error.code).toBe('ERR_ENGINE');
  expect(result.error.message).toContain('Catalog Error: Table with name no_such_table does not exist');
  expect(result.left).toEqual([0, 0, 0, 0]);
  expect(local.pageErrors).toEqual([]);
});

test("DuckDB's memory_limit is the worker's task memory cap: past it a query fails with ERR_ENGINE, and the engine serves on", async () => {
  const outcome = await run(`
    const on = { resources: { custom: { small: 1 } } };
    const big = cluster.remote(async (n, ctx) => {
      const e = await ctx.engine();
      e.exec('CREATE TABLE big AS SELECT range AS k, random() AS v FROM range(' + n + ')');
      return 'made';
    }, { name: 'big', ...on });
    const small = cluster.remote(async (ctx) => {
      const e = await ctx.engine();
      const limit = ctx.arrow.tableFromIPC(e.query("SELECT current_setting('memory_limit') AS m")).get(0).m;
      return { limit, n: Number(ctx.arrow.tableFromIPC(e.query('SELECT count(*) AS n FROM range(1000)')).get(0).n) };
    }, { name: 'small', ...on });
    let error = null;
    try { await cluster.get(big(20000000)); } catch (e) { error = { code: e.code, message: e.message }; }
    return { error, after: await cluster.get(small()) };`);
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const result = (outcome as { result: { error: { code: string; message: string }; after: { limit: string; n: number } } }).result;
  expect(result.error.code).toBe('ERR_ENGINE');
  expect(result.error.message).toContain('Out of Memory Error');
  expect(result.after).toEqual({ limit: '128.0 MiB', n: 1000 });
});
