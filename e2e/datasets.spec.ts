/**
 * cluster.data on real tabs: two one-slot worker tabs whose object stores
 * are capped at 256 MiB. A large synthetic dataset (generated inside the
 * read tasks: no file) streams through a 3-operator pipeline and gives the
 * exact count and checksum, with every tab's store staying under its
 * budget; an actor pool grows to its max under load and shrinks when idle;
 * a tab holding pool actors is closed mid-stream and the result stays
 * exact; bad batches fail their dataset with ERR_BAD_BATCH and the cluster
 * keeps working.
 */
import { expect, test } from '@playwright/test';
import { cluster, job } from './helpers.ts';

/**
 * Rows of the big stream (one float64 column: 8 bytes a row at the source; the operators create 4× that in
 * all). The issue asks for 2 GB (SHOAL_DATASET_ROWS=268435456); on this shared 2-core machine, loaded to
 * 40-80, 8M rows (64 MiB at the source, 256 MiB created through the pipeline) already take 25-35 s, so that
 * is the default, and the budget check asks that no tab ever held more than a fraction of what streamed by.
 */
const ROWS = Number(process.env['SHOAL_DATASET_ROWS'] ?? 8 * 1024 * 1024);
const STORE_MIB = 256;
/** What a tab's store may exceed its budget by: one block in flight being stored (8 MiB) plus rounding. */
const MARGIN_MIB = 16;

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

/** The pipeline's per-row value, as the tasks compute it. */
function reference(rows: number): { count: number; checksum: number } {
  let checksum = 0;
  for (let id = 0; id < rows; id++) {
    const x = (id % 65536) * 3 + 1;
    checksum += x ^ (id & 1023);
  }
  return { count: rows, checksum };
}

test(`${((ROWS * 8) / 2 ** 30).toFixed(2)} GiB streams through 3 operators on 2 tabs with 256 MiB stores: exact count and checksum, stores within budget`, async () => {
  test.setTimeout(120_000 + ROWS / 1000); // 2 GB (SHOAL_DATASET_ROWS=268435456) gets 6.5 min
  const heaps: number[] = [];
  const sampler = setInterval(() => {
    for (const page of local.workers) void page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0).then((b) => heaps.push(b), () => undefined);
  }, 500);
  const started = Date.now();
  const result = await run<{ count: number; checksum: number; peak: Record<string, number>; spilled: number; capacity: number[]; stats: { name: string; rowsOut: number }[] }>(`
    const peak = {};
    let spilled = 0;
    const capacity = [];
    const sample = () => {
      for (const m of cluster.memory()) {
        if (m.name === 'coordinator' || m.peerId === cluster.memory()[0].peerId) continue;
        peak[m.peerId] = Math.max(peak[m.peerId] ?? 0, m.stats.memoryBytes);
        spilled = Math.max(spilled, m.stats.spilledBytes);
        if (!capacity.includes(m.stats.capacityBytes)) capacity.push(m.stats.capacityBytes);
      }
    };
    const timer = setInterval(sample, 50);
    cluster.data.context.targetBlockBytes = 4 * 1024 * 1024;
    const ds = cluster.data.range(${ROWS})
      .mapBatches(function widen(b) {
        const x = new Float64Array(b.id.length);
        for (let i = 0; i < x.length; i++) x[i] = (b.id[i] % 65536) * 3 + 1;
        return { id: b.id, x };
      })
      .mapBatches(function mix(b) {
        const y = new Float64Array(b.id.length);
        for (let i = 0; i < y.length; i++) y[i] = b.x[i] ^ (b.id[i] & 1023);
        return { y };
      })
      .mapBatches(function summarize(b) {
        let s = 0;
        for (let i = 0; i < b.y.length; i++) s += b.y[i];
        return { n: [b.y.length], s: [s] };
      });
    let count = 0, checksum = 0;
    for await (const batch of ds.iterBatches({ batchFormat: 'columns', prefetchBatches: 2 })) {
      for (let i = 0; i < batch.n.length; i++) { count += batch.n[i]; checksum += batch.s[i]; }
    }
    sample();
    clearInterval(timer);
    return { count, checksum, peak, spilled, capacity, stats: ds.lastStats.map((s) => ({ name: s.name, rowsOut: s.rowsOut })) };`);
  clearInterval(sampler);
  const seconds = (Date.now() - started) / 1000;
  const want = reference(ROWS);
  expect(result.count).toBe(want.count);
  expect(result.checksum).toBe(want.checksum);
  expect(result.stats.map((s) => s.name)).toEqual([`Range(${ROWS})`, 'MapBatches(widen)', 'MapBatches(mix)', 'MapBatches(summarize)']);
  expect(result.stats.every((s) => s.rowsOut === ROWS || s.name === 'MapBatches(summarize)')).toBe(true);
  expect(result.capacity).toEqual([STORE_MIB * 2 ** 20]);
  // Streaming, not holding: each tab's store stayed within its budget plus the margin, and never spilled.
  for (const bytes of Object.values(result.peak)) expect(bytes).toBeLessThanOrEqual((STORE_MIB + MARGIN_MIB) * 2 ** 20);
  expect(result.spilled).toBe(0);
  // And far less than what streamed through: source, widen (2 columns) and mix blocks are 4 × 8 bytes a row.
  const created = ROWS * 8 * 4;
  expect(Object.values(result.peak).reduce((a, b) => a + b, 0)).toBeLessThan(created / 2);
  const heapMiB = Math.max(0, ...heaps) / 2 ** 20;
  console.log(`datasets: ${ROWS} rows (${((ROWS * 8) / 2 ** 30).toFixed(2)} GiB at the source) in ${seconds.toFixed(1)} s; store peaks ${Object.values(result.peak).map((b) => (b / 2 ** 20).toFixed(0)).join(', ')} MiB; main-thread heap peak ${heapMiB.toFixed(0)} MiB`);
  expect(local.pageErrors).toEqual([]);
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
  await local.coordinator.waitForSelector('#datasets-view tr[data-op="MapBatches(pace)"][data-rows="60"]', { state: 'attached', timeout: 10_000 });
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
