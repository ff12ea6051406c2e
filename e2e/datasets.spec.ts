/**
 * cluster.data on real tabs: two one-slot worker tabs whose object stores
 * are capped at 256 MiB. A 2 GiB synthetic dataset (generated inside the
 * read tasks: no file) streams through a 3-operator pipeline and gives the
 * exact count and checksum, with every tab's memory (its renderer process's
 * PSS, and its store) staying under its budget plus a stated margin; the
 * same pipeline unfused moves its blocks through the stores; an actor pool
 * grows to its max under load and shrinks when idle; a tab holding pool
 * actors is closed mid-stream and the result stays exact; bad batches fail
 * their dataset with ERR_BAD_BATCH and the cluster keeps working.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { cluster, job } from './helpers.ts';

/** 2 GiB: rows of 32 float64 columns (256 bytes a row; plus the id column, 8 bytes). SHOAL_DATASET_ROWS overrides. */
const ROWS = Number(process.env['SHOAL_DATASET_ROWS'] ?? 8 * 1024 * 1024);
const WIDTH = 32;
const BLOCKS = Math.max(2, Math.round((ROWS * WIDTH * 8) / (8 * 2 ** 20))); // 8 MiB of columns a block
const STORE_MIB = 256;
/**
 * What a tab's memory may exceed its store budget by: the renderer itself (a worker tab idles at 45-60 MiB
 * PSS here: V8 heaps, the page, its Web Workers), the block being made in its task's Web Worker (33 columns
 * of 2 MiB), the column buffers that Web Worker keeps for reuse (at most 96 MiB, bufferPool.ts), and garbage
 * not yet collected. Peaks seen: 84-145 MiB. Holding the dataset, or even a fifth of it, breaks it.
 */
const MARGIN_MIB = 160;

let local: Awaited<ReturnType<typeof cluster>>;

test.describe.configure({ mode: 'serial' });
test.setTimeout(120_000);
test.beforeAll(async () => {
  local = await cluster({ workers: 2, slotsPerWorker: 1, workerQuery: () => `store=${STORE_MIB}` });
});
test.afterAll(async () => {
  await local?.close();
});

async function run<T>(body: string): Promise<T> {
  const outcome = await local.runJob(job(body));
  expect(outcome.ok, JSON.stringify(outcome).slice(0, 2000)).toBe(true);
  return (outcome as { result: T }).result;
}

/** The pipeline as the tasks compute it: row id has columns c_k = (id * (k + 1)) & 65535; mix sums c_k ^ k. */
function reference(rows: number): { count: number; checksum: number } {
  let checksum = 0;
  for (let id = 0; id < rows; id++) for (let k = 0; k < WIDTH; k++) checksum += ((id * (k + 1)) & 65535) ^ k;
  return { count: rows, checksum };
}

/** PSS of each renderer process of the cluster's browser (the coordinator's and the worker tabs'), by pid. */
async function rendererPss(): Promise<Map<number, number>> {
  const session = await local.browser.newBrowserCDPSession();
  const { processInfo } = (await session.send('SystemInfo.getProcessInfo' as never)) as unknown as { processInfo: { type: string; id: number }[] };
  await session.detach();
  const out = new Map<number, number>();
  for (const { type, id } of processInfo) {
    if (type !== 'renderer') continue;
    try {
      const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${id}/smaps_rollup`, 'utf8'));
      if (match) out.set(id, Number(match[1]) * 1024);
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

const PIPELINE = (rows: number, blocks: number): string => `
    const ds = cluster.data.range(${rows}, { blocks: ${blocks} })
      .mapBatches(function make(b) {
        const cols = {};
        for (let k = 0; k < ${WIDTH}; k++) {
          const c = new Float64Array(b.id.length);
          for (let i = 0; i < c.length; i++) c[i] = (b.id[i] * (k + 1)) & 65535;
          cols['c' + k] = c;
        }
        return cols;
      })
      .mapBatches(function mix(b) {
        const y = new Float64Array(b.c0.length);
        for (let k = 0; k < ${WIDTH}; k++) { const c = b['c' + k]; for (let i = 0; i < y.length; i++) y[i] += c[i] ^ k; }
        return { y };
      })
      .mapBatches(function summarize(b) {
        let s = 0;
        for (let i = 0; i < b.y.length; i++) s += b.y[i];
        return { n: [b.y.length], s: [s] };
      });`;

const STREAM = `
    const peak = {};
    let spilled = 0;
    const capacity = [];
    const coordinator = cluster.memory()[0].peerId;
    const sample = () => {
      for (const m of cluster.memory()) {
        if (m.peerId === coordinator) continue;
        peak[m.peerId] = Math.max(peak[m.peerId] ?? 0, m.stats.memoryBytes);
        spilled = Math.max(spilled, m.stats.spilledBytes);
        if (!capacity.includes(m.stats.capacityBytes)) capacity.push(m.stats.capacityBytes);
      }
    };
    const timer = setInterval(sample, 50);
    let count = 0, checksum = 0;
    for await (const batch of ds.iterBatches({ batchFormat: 'columns', prefetchBatches: 2 })) {
      for (let i = 0; i < batch.n.length; i++) { count += batch.n[i]; checksum += batch.s[i]; }
    }
    sample();
    clearInterval(timer);
    return { count, checksum, peak, spilled, capacity, stats: ds.lastStats.map((s) => ({ name: s.name, rowsOut: s.rowsOut, blocksOut: s.blocksOut, bytesOut: s.bytesOut })) };`;

interface StreamResult {
  count: number;
  checksum: number;
  peak: Record<string, number>;
  spilled: number;
  capacity: number[];
  stats: { name: string; rowsOut: number; blocksOut: number; bytesOut: number }[];
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);

test(`${((ROWS * WIDTH * 8) / 2 ** 30).toFixed(2)} GiB streams through 3 operators on 2 tabs with 256 MiB stores: exact count and checksum, each tab's memory within its budget`, async () => {
  const baseline = await rendererPss();
  const peaks = new Map<number, number>();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      for (const [pid, bytes] of await rendererPss()) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, bytes));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  const started = Date.now();
  const result = await run<StreamResult>(PIPELINE(ROWS, BLOCKS) + STREAM).finally(() => (sampling = false));
  await sampler;
  const seconds = (Date.now() - started) / 1000;
  const want = reference(ROWS);
  expect(result.count).toBe(want.count);
  expect(result.checksum).toBe(want.checksum);
  // Fused as Ray fuses (the default): one read task per block runs the three operators, so a block is made and
  // consumed in one Web Worker and only its 2-number summary is stored.
  expect(result.stats.map((s) => s.name)).toEqual([`Range(${ROWS})->MapBatches(make)->MapBatches(mix)->MapBatches(summarize)`]);
  expect(result.stats[0]!.blocksOut).toBe(BLOCKS);
  expect(result.capacity).toEqual([STORE_MIB * 2 ** 20]);
  for (const bytes of Object.values(result.peak)) expect(bytes).toBeLessThanOrEqual(STORE_MIB * 2 ** 20);
  expect(result.spilled).toBe(0);
  // Every renderer (both worker tabs and the coordinator's) stayed within the budget plus the margin.
  expect(peaks.size).toBeGreaterThanOrEqual(3);
  for (const bytes of peaks.values()) expect(bytes).toBeLessThanOrEqual((STORE_MIB + MARGIN_MIB) * 2 ** 20);
  console.log(
    `datasets: ${ROWS} rows × ${WIDTH} float64 (${((ROWS * WIDTH * 8) / 2 ** 30).toFixed(2)} GiB) in ${BLOCKS} blocks in ${seconds.toFixed(1)} s ` +
      `(${((ROWS * WIDTH * 8) / 2 ** 20 / seconds).toFixed(0)} MiB/s); renderer PSS before ${[...baseline.values()].map(mib).join(', ')} MiB, ` +
      `peaks ${[...peaks.values()].map(mib).join(', ')} MiB (bound ${STORE_MIB + MARGIN_MIB}); store peaks ${Object.values(result.peak).map(mib).join(', ')} MiB`,
  );
  expect(local.pageErrors).toEqual([]);
});

test('unfused, the same pipeline moves its blocks through the stores, within the budget, with backpressure', async () => {
  const rows = ROWS / 16;
  const blocks = BLOCKS / 16;
  const result = await run<StreamResult>(`cluster.data.context.fuseTransforms = false;${PIPELINE(rows, blocks)}${STREAM}`);
  const want = reference(rows);
  expect(result.count).toBe(want.count);
  expect(result.checksum).toBe(want.checksum);
  expect(result.stats.map((s) => s.name)).toEqual([`Range(${rows})`, 'MapBatches(make)', 'MapBatches(mix)', 'MapBatches(summarize)']);
  expect(result.stats.every((s) => s.blocksOut === blocks)).toBe(true);
  // Each make block (8.25 MiB) went out as a stored object for a mix task to take (unfused), and the stores never
  // went past their budget. (A store's size is sampled from its tab's reports, which can miss a block taken
  // quickly, so the blocks' passage is checked by the bytes make sent out, and the sampled peaks only as a bound.)
  const make = result.stats.find((s) => s.name === 'MapBatches(make)')!;
  expect(make.bytesOut).toBeGreaterThanOrEqual(blocks * 8 * 2 ** 20);
  for (const bytes of Object.values(result.peak)) expect(bytes).toBeLessThanOrEqual(STORE_MIB * 2 ** 20);
  expect(result.spilled).toBe(0);
});

test('an actor pool grows from min to max under load and shrinks back to min when idle', async () => {
  const result = await run<{ n: number; history: number[]; min: number; max: number; peak: number }>(`
    class Echo {
      call(batch) { const t = Date.now(); while (Date.now() - t < 40) {} return batch; }
    }
    // The last blocks come slowly (their map waits), so the pool idles before the stream ends.
    const ds = cluster.data.range(60, { blocks: 30 })
      .mapBatches(async function pace(b) { if (b.id[0] >= 40) await new Promise((r) => setTimeout(r, 400)); return b; })
      .mapBatches(Echo, { concurrency: [1, 3], idleTimeoutMs: 300 });
    const n = await ds.count();
    const pool = ds.lastStats.at(-1).actors;
    return { n, history: pool.history.map((h) => h.alive), min: pool.min, max: pool.max, peak: pool.peak };`);
  expect(result.n).toBe(60);
  expect(result.peak).toBe(3);
  const top = result.history.indexOf(3);
  expect(top).toBeGreaterThan(0);
  expect(result.history[0]).toBe(1);
  expect(result.history.slice(top).includes(1)).toBe(true);
  // The dashboard's Datasets view shows the run, operator by operator.
  await local.coordinator.waitForSelector('#datasets-view tr[data-op="MapBatches(Echo)"][data-rows="60"]', { state: 'attached', timeout: 10_000 });
  await local.coordinator.waitForSelector('#datasets-view tr[data-op="Range(60)->MapBatches(pace)"][data-rows="60"]', { state: 'attached', timeout: 10_000 });
  // And `shoal run`'s bars read the same figures through the page API: each operator's rows and rows/s.
  const progress = await local.coordinator.evaluate(() => window.shoalCoordinator!.datasetProgress!());
  expect(progress.map((op) => [op.name, op.rowsOut, op.finished])).toEqual([
    ['Range(60)->MapBatches(pace)', 60, true],
    ['MapBatches(Echo)', 60, true],
  ]);
  expect(progress.every((op) => op.rowsPerSec > 0)).toBe(true);
});

test('a tab holding pool actors is closed mid-stream: no batch lost or counted twice', async () => {
  await local.addWorker();
  const running = local.runJob(job(`
    class Tag {
      call(batch, ctx) {
        const t = Date.now(); while (Date.now() - t < 30) {}
        return { id: batch.id, w: batch.id.map(() => 0), worker: Array.from(batch.id, () => ctx.workerId) };
      }
    }
    const ds = cluster.data.range(4000, { blocks: 80 }).mapBatches(Tag, { concurrency: [3, 3] });
    const ids = [];
    const workers = new Set();
    for await (const batch of ds.iterBatches({ batchFormat: 'columns' })) {
      for (let i = 0; i < batch.id.length; i++) { ids.push(batch.id[i]); workers.add(batch.worker[i]); }
      if (ids.length >= 600 && globalThis.__poolWorker === undefined) globalThis.__poolWorker = batch.worker[0];
    }
    return { ids, workers: [...workers] };`));
  await local.coordinator.waitForFunction(() => typeof (globalThis as { __poolWorker?: string }).__poolWorker === 'string', null, { timeout: 60_000 });
  const target = await local.coordinator.evaluate(() => (globalThis as { __poolWorker?: string }).__poolWorker!);
  const ids = await Promise.all(local.workers.map((page) => page.evaluate(() => window.shoalWorker!.status().peerId).catch(() => null)));
  const index = ids.indexOf(target);
  expect(index).toBeGreaterThanOrEqual(0);
  await local.workers[index]!.close();
  const outcome = await running;
  expect(outcome.ok, JSON.stringify(outcome).slice(0, 2000)).toBe(true);
  const result = (outcome as { result: { ids: number[]; workers: string[] } }).result;
  expect(result.ids).toEqual(Array.from({ length: 4000 }, (_, i) => i));
  expect(result.workers).toContain(target);
  local.workers.splice(index, 1);
});

test('bad batches fail the dataset with ERR_BAD_BATCH naming operator and block; the cluster keeps working', async () => {
  const result = await run<{ errors: { code: string; message: string }[]; after: number }>(`
    const errors = [];
    const wrong = cluster.data.range(100, { blocks: 2 }).mapBatches(function ragged(b) { return { a: b.id, b: [1] }; });
    await wrong.count().catch((e) => errors.push({ code: e.code, message: e.message }));
    class NotABatch { call() { return 42; } }
    await cluster.data.range(10).mapBatches(NotABatch, { concurrency: 1 }).count().catch((e) => errors.push({ code: e.code, message: e.message }));
    await cluster.data.range(10).map((r) => r.id).count().catch((e) => errors.push({ code: e.code, message: e.message }));
    const after = await cluster.data.range(1000).map((r) => ({ v: r.id * 2 })).filter((r) => r.v % 3 === 0).count();
    return { errors, after };`);
  expect(result.errors.map((e) => e.code)).toEqual(['ERR_BAD_BATCH', 'ERR_BAD_BATCH', 'ERR_BAD_BATCH']);
  expect(result.errors[0]!.message).toMatch(/operator MapBatches\(ragged\), block 0:\d+: .*column 'b' has 1 values/);
  expect(result.errors[1]!.message).toMatch(/operator MapBatches\(NotABatch\), block \d+: the batch function returned a number/);
  expect(result.errors[2]!.message).toMatch(/operator Map\(<lambda>\)/);
  expect(result.after).toBe(334);
});
