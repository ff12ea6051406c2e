/**
 * The object plane on real tabs: objects stay on the worker that made them
 * and move peer to peer over bulk data channels, Arrow tables and typed
 * arrays intact, spilling to OPFS under a small store, broadcast down a tree,
 * locality, corrupted transfers retried, inputs handed to a task that
 * consumes them (and made again when it fails), and a vanished holder.
 *
 * Three one-slot workers; worker i offers the custom resource `wi`, so a task
 * can be pinned to it with `resources: { custom: { wi: 1 } }`. Workers 1 and
 * 2 turn the co-located path off, so bytes between them (and from them to
 * anyone) cross real WebRTC data channels; worker 3 and the coordinator use
 * the in-browser channel between themselves. Worker 3's store holds 24 MiB,
 * so bigger working sets spill there.
 */
import { expect, test } from '@playwright/test';
import { cluster, job } from './helpers.ts';

let local: Awaited<ReturnType<typeof cluster>>;

test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  local = await cluster({ workers: 3, workerQuery: (i) => `resources=w${i}:1${i === 3 ? '&store=24' : '&colocated=0'}` });
});
test.afterAll(async () => {
  await local?.close();
});

const run = (body: string) => local.runJob(job(body));
const traffic = () => local.coordinator.evaluate(() => window.shoalCoordinator!.traffic());
const on = (i: number) => `{ resources: { custom: { w${i}: 1 } } }`;

/** A task-side checksum of a Float64Array (the same code runs on both workers). */
const CHECKSUM = `(a) => { let h = 0; for (let i = 0; i < a.length; i += 997) h = (h * 31 + a[i]) % 1000000007; return [a.length, h]; }`;

test('a 64 MB Float64Array made on one worker is consumed on another, and never passes through the coordinator', async () => {
  const before = await traffic();
  const outcome = await run(`
    const checksum = ${CHECKSUM};
    const make = cluster.remote((n, ctx) => {
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = (i * 7919) % 100003;
      return { data: a, made: (${CHECKSUM})(a), on: ctx.workerId };
    }, { name: 'make', ...${on(1)} });
    const use = cluster.remote((x, ctx) => ({ got: (${CHECKSUM})(x.data), made: x.made, from: x.on, on: ctx.workerId, isF64: x.data instanceof Float64Array }), { name: 'use', ...${on(2)} });
    return cluster.get(use(make(8 * 1024 * 1024)));`);
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const result = (outcome as { result: { got: number[]; made: number[]; from: string; on: string; isF64: boolean } }).result;
  expect(result.isF64).toBe(true);
  expect(result.got).toEqual(result.made);
  expect(result.got[0]).toBe(8 * 1024 * 1024);
  expect(result.from).not.toBe(result.on);
  const after = await traffic();
  // The coordinator neither served nor fetched the 64 MB, and its control traffic stayed small.
  expect(after.objectBytesServed - before.objectBytesServed).toBe(0);
  expect(after.objectBytesFetched - before.objectBytesFetched).toBe(0);
  expect(after.controlBytesIn - before.controlBytesIn).toBeLessThan(64 * 1024);
  expect(after.controlBytesOut - before.controlBytesOut).toBeLessThan(64 * 1024);
  // The consumer's tab fetched it, over WebRTC.
  const w2 = await local.workers[1]!.evaluate(() => window.shoalWorker!.status().traffic);
  expect(w2!.objectBytesFetched).toBeGreaterThanOrEqual(64 * 1024 * 1024);
  expect(w2!.bulkPaths[result.from]).toBe('webrtc');
});

test('tabs of one browser move object bytes through the in-browser channel', async () => {
  const outcome = await run(`
    const make = cluster.remote((ctx) => ({ data: new Float32Array(4 * 1024 * 1024).fill(0.25), on: ctx.workerId }), { name: 'make', ...${on(3)} });
    const value = await cluster.get(make());
    return { on: value.on, n: value.data.length, first: value.data[0], last: value.data[value.data.length - 1] };`);
  expect(outcome).toMatchObject({ ok: true, result: { n: 4 * 1024 * 1024, first: 0.25, last: 0.25 } });
  const from = (outcome as { result: { on: string } }).result.on;
  const after = await traffic();
  expect(after.bulkPaths[from]).toBe('colocated');
  expect(after.objectBytesFetched).toBeGreaterThanOrEqual(16 * 1024 * 1024);
});

test('an Arrow table of 1M rows round-trips between workers with its values intact', async () => {
  const outcome = await run(`
    const make = cluster.remote((n, ctx) => {
      const ids = new Int32Array(n), scores = new Float64Array(n);
      for (let i = 0; i < n; i++) { ids[i] = i; scores[i] = i * 0.5; }
      return ctx.arrow.tableFromArrays({ id: ids, score: scores, tag: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 'a' : 'b')) });
    }, { name: 'makeTable', ...${on(1)} });
    const check = cluster.remote((t) => {
      let sum = 0, bad = 0;
      const id = t.getChild('id'), score = t.getChild('score'), tag = t.getChild('tag');
      for (let i = 0; i < t.numRows; i += 1) { sum += score.get(i); if (id.get(i) !== i) bad++; }
      return { rows: t.numRows, sum, bad, tag0: tag.get(0), tag1: tag.get(1), fields: t.schema.fields.map((f) => f.name) };
    }, { name: 'checkTable', ...${on(2)} });
    const table = make(1000000);
    const remote = await cluster.get(check(table));
    const local = await cluster.get(table);
    return { remote, localRows: local.numRows, localLast: local.getChild('score').get(999999) };`);
  expect(outcome).toMatchObject({
    ok: true,
    result: { remote: { rows: 1_000_000, sum: 0.5 * ((999_999 * 1_000_000) / 2), bad: 0, tag0: 'a', tag1: 'b', fields: ['id', 'score', 'tag'] }, localRows: 1_000_000, localLast: 499_999.5 },
  });
});

test('a store over capacity spills to OPFS, and spilled objects come back intact', async () => {
  const outcome = await run(`
    const make = cluster.remote((seed) => { const a = new Float64Array(1024 * 1024); a.fill(seed); a[0] = seed * 2; return a; }, { name: 'make8', ...${on(3)} });
    const refs = [1, 2, 3, 4, 5, 6].map((seed) => make(seed));   // 6 × 8 MiB on a 24 MiB store
    await cluster.wait(refs, { numReturns: refs.length });
    const big = cluster.remote(() => new Float64Array(4 * 1024 * 1024).fill(9), { name: 'make32', ...${on(3)} })(); // 32 MiB: over capacity by itself
    const sum = cluster.remote((a) => [a[0], a[1], a.length], { name: 'sum', ...${on(3)} });
    const values = await cluster.get([...refs, big].map((ref) => sum(ref)));
    const stats = () => cluster.memory().find((report) => report.name === 'w3').stats;
    const deadline = Date.now() + 5000;
    while (stats().spills === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    return { values, stats: stats() };`);
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const { values, stats } = (outcome as { result: { values: number[][]; stats: { spills: number; restores: number; capacityBytes: number; memoryBytes: number } } }).result;
  expect(values).toEqual([...[1, 2, 3, 4, 5, 6].map((seed) => [seed * 2, seed, 1024 * 1024]), [9, 9, 4 * 1024 * 1024]]);
  expect(stats.capacityBytes).toBe(24 * 1024 * 1024);
  expect(stats.spills).toBeGreaterThan(0);
  expect(stats.restores).toBeGreaterThan(0);
});

test('broadcast copies an object to 3 workers while the coordinator sends it once', async () => {
  const before = await traffic();
  const outcome = await run(`
    const data = new Float64Array(2 * 1024 * 1024).map((_, i) => i % 1000);
    const ref = cluster.put(data, { broadcast: true });
    const read = (i) => cluster.remote((a, ctx) => ({ on: ctx.workerId, last: a[a.length - 1], n: a.length }), { name: 'read' + i, resources: { custom: { ['w' + i]: 1 } } })(ref);
    const seen = await cluster.get([read(1), read(2), read(3)]);
    return { seen, size: data.byteLength };`);
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const { seen } = (outcome as { result: { seen: { on: string; last: number; n: number }[] } }).result;
  expect(new Set(seen.map((s) => s.on)).size).toBe(3);
  for (const s of seen) expect(s).toMatchObject({ last: (2 * 1024 * 1024 - 1) % 1000, n: 2 * 1024 * 1024 });
  const after = await traffic();
  const served = after.objectBytesServed - before.objectBytesServed;
  expect(served).toBeGreaterThanOrEqual(16 * 1024 * 1024);
  expect(served).toBeLessThan(2 * 16 * 1024 * 1024); // one copy (plus its header), not three
});

test('locality: a chain of tasks over a big object stays on the worker that holds it', async () => {
  const outcome = await run(`
    const first = cluster.remote((ctx) => ({ data: new Float64Array(2 * 1024 * 1024).fill(1), path: [ctx.workerId] }), { name: 'first', ...${on(2)} });
    const step = cluster.remote((x, ctx) => { const d = x.data; for (let i = 0; i < d.length; i += 4096) d[i] += 1; return { data: d, path: [...x.path, ctx.workerId] }; }, { name: 'step' });
    let ref = first();
    for (let i = 0; i < 6; i++) ref = step(ref);
    const path = await cluster.get(cluster.remote((x) => x.path, { name: 'path' })(ref));
    return { path };`);
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const { path } = (outcome as { result: { path: string[] } }).result;
  expect(path).toHaveLength(7);
  expect(new Set(path).size).toBe(1);
});

test('a corrupted chunk is detected by its checksum and fetched again', async () => {
  await local.workers[0]!.evaluate(() => {
    (globalThis as { __shoalCorruptChunks?: number }).__shoalCorruptChunks = 1;
  });
  const outcome = await run(`
    const make = cluster.remote(() => new Float64Array(1024 * 1024).map((_, i) => i), { name: 'make', ...${on(1)} });
    const use = cluster.remote((a) => [a[12345], a[a.length - 1]], { name: 'use', ...${on(2)} });
    return cluster.get(use(make()));`);
  expect(outcome).toMatchObject({ ok: true, result: [12345, 1024 * 1024 - 1] });
  const corrupted = await local.workers[0]!.evaluate(() => (globalThis as { __shoalCorruptChunks?: number }).__shoalCorruptChunks);
  expect(corrupted).toBe(0); // the hook fired
});

const MiB = 1024 * 1024;
/** Worker 1's store, in bytes (as its page reports it). */
const memory = () => local.workers[0]!.evaluate(() => window.shoalWorker!.status().store?.memoryBytes ?? -1);
/** A task's source: the sum of an array's elements. */
const SUM = `(a) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]; return s; }`;
/** Makes, on worker 1 and kept there, one 8 MiB array `i * tag` per entry, as `globalThis[name]` in the job's tab. */
async function makeOnWorker1(arrays: Record<string, number>): Promise<void> {
  const names = Object.keys(arrays).map((name) => `globalThis.${name}`);
  const made = await run(`
    const make = cluster.remote((n, tag) => new Float64Array(n).map((_, i) => i * tag), { name: 'make', ...${on(1)} });
    ${Object.entries(arrays).map(([name, tag]) => `globalThis.${name} = make(${MiB}, ${tag});`).join('\n    ')}
    await cluster.wait([${names.join(', ')}], { numReturns: ${names.length} });
    return 'made';`);
  expect(made).toMatchObject({ ok: true, result: 'made' });
  await expect.poll(memory).toBeGreaterThanOrEqual(names.length * 8 * MiB);
}

test('a task that consumes its input gets the holder\'s bytes, not a copy, and a failed consumer\'s input is made again', async () => {
  // Two 8 MiB arrays made on worker 1 and kept there; consumers pinned to worker 1 read them where they lie.
  await makeOnWorker1({ __eaten: 2, __flaky: 3 });
  const held = await memory();
  const eaten = await run(`return cluster.get(cluster.remote((x) => (${SUM})(x), { name: 'eat', consumeInputs: true, ...${on(1)} })(globalThis.__eaten));`);
  expect(eaten).toMatchObject({ ok: true, result: 2 * ((MiB * (MiB - 1)) / 2) });
  // Handed over and forgotten: worker 1's store let go of its 8 MiB though the job still holds the ref (a copy would have left it there).
  await expect.poll(memory).toBeLessThanOrEqual(held - 8 * MiB);
  // The first run throws after it got its input: worker 1 no longer has it and says so, lineage makes it again, and the retry reads it.
  const flaky = await run(`
    const flaky = cluster.remote((x, ctx) => { if (ctx.attempt === 1) throw new Error('fails once'); return { sum: (${SUM})(x), attempt: ctx.attempt }; },
      { name: 'flaky', consumeInputs: true, retryExceptions: true, maxRetries: 2, ...${on(1)} });
    return cluster.get(flaky(globalThis.__flaky));`);
  expect(flaky).toMatchObject({ ok: true, result: { sum: 3 * ((MiB * (MiB - 1)) / 2), attempt: 2 } });
});

test('a task that lends its input reads the holder\'s bytes and gives them back, whether it succeeds or throws', async () => {
  await makeOnWorker1({ __lent: 5 });
  const held = await memory();
  // Given back each time: worker 1's store still holds the 8 MiB after each read (a lend that lost them lets go
  // of them, and only the next task that needs them would have lineage make them again).
  // A lost input is made again from lineage at once: worker 1 would then have run one task more than the job's.
  const tasksRun = () => local.workers[0]!.evaluate(() => window.shoalWorker!.status().tasksRun);
  let ran = await tasksRun();
  const stillHeld = async () => {
    await new Promise((resolve) => setTimeout(resolve, 700)); // store figures reach the page within 0.5 s
    expect(await memory()).toBeGreaterThanOrEqual(held);
    expect(await tasksRun()).toBe(ran + 1);
    ran += 1;
  };
  const read = await run(`return cluster.get(cluster.remote((x) => (${SUM})(x), { name: 'read', lendInputs: true, ...${on(1)} })(globalThis.__lent));`);
  expect(read).toMatchObject({ ok: true, result: 5 * ((MiB * (MiB - 1)) / 2) });
  await stillHeld();
  const throws = await run(`
    const bad = cluster.remote((x) => { throw new Error('read ' + x.length + ' and threw'); }, { name: 'bad', lendInputs: true, maxRetries: 0, ...${on(1)} });
    try { await cluster.get(bad(globalThis.__lent)); return 'no error'; } catch (e) { return e.message; }`);
  expect(throws).toMatchObject({ ok: true, result: expect.stringContaining(`read ${MiB} and threw`) });
  await stillHeld();
  const again = await run(`return cluster.get(cluster.remote((x) => (${SUM})(x), { name: 'again', ...${on(1)} })(globalThis.__lent));`);
  expect(again).toMatchObject({ ok: true, result: 5 * ((MiB * (MiB - 1)) / 2) });
});

test('when the only holder of an object a task put is gone, get fails with ERR_OBJECT_LOST and the cluster keeps going', async () => {
  // A task's put cannot be recomputed (no lineage); a task's result would be remade instead (see faults.spec.ts).
  const made = await run(`
    const ref = cluster.remote((ctx) => [ctx.put(new Float64Array(1024 * 1024).fill(3))], { name: 'orphan', ...${on(3)} })();
    const [inner] = await cluster.get(ref);
    globalThis.__orphan = inner;
    globalThis.__outer = ref;
    return 'made';`);
  expect(made).toMatchObject({ ok: true, result: 'made' });
  await local.workers[2]!.close();
  await expect.poll(() => local.coordinator.evaluate(() => window.shoalCoordinator!.workers().length)).toBe(2);
  const outcome = await run(`
    try { await cluster.get(globalThis.__orphan); return 'no error'; } catch (e) { return { code: e.code, message: e.message }; }`);
  expect(outcome).toMatchObject({ ok: true, result: { code: 'ERR_OBJECT_LOST', message: expect.stringMatching(/lost.*cannot be recomputed/) } });
  expect(await run(`return cluster.get(cluster.remote((x) => x + 1)(41));`)).toMatchObject({ ok: true, result: 42 });
});

test('no page threw an uncaught error', () => {
  expect(local.pageErrors).toEqual([]);
});
