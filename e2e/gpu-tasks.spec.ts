/**
 * GPU work as tasks, on real tabs with WebGPU on SwiftShader: `ctx.gpu`
 * kernels inside tasks, placement of `gpu: 1` tasks only where a GPU is,
 * `gpu: 'prefer'` falling back to the CPU, shader errors, and the device
 * benchmark each worker runs when it joins.
 *
 * Worker 1 joins with `gpu=0` (it offers no GPU, and its tasks get
 * `ctx.gpu === null`); worker 2 offers its SwiftShader adapter.
 */
import { expect, test } from '@playwright/test';
import { cluster, job } from './helpers.ts';

let local: Awaited<ReturnType<typeof cluster>>;
let noGpu = '';
let withGpu = '';

test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  local = await cluster({ workers: 2, workerQuery: (i) => (i === 1 ? 'gpu=0' : '') });
  noGpu = await local.workers[0]!.evaluate(() => window.shoalWorker!.status().peerId!);
  withGpu = await local.workers[1]!.evaluate(() => window.shoalWorker!.status().peerId!);
});
test.afterAll(async () => {
  await local?.close();
});

const run = (body: string) => local.runJob(job(body));

test('workers report their GPU (or none) and their measured speed', async () => {
  await expect
    .poll(async () => local.coordinator.evaluate(() => window.shoalCoordinator!.workers().map((w) => ({ peerId: w.peerId, gpu: w.caps?.gpu?.isFallback ?? null, bench: w.caps?.bench ?? null }))), { timeout: 20_000 })
    .toEqual(
      expect.arrayContaining([
        { peerId: noGpu, gpu: null, bench: { gflops: null, cpuMflops: expect.any(Number) } },
        { peerId: withGpu, gpu: true, bench: { gflops: null, cpuMflops: expect.any(Number) } }, // SwiftShader: a software adapter is not measured
      ]),
    );
});

test('a gpu task runs its matmul on the worker with WebGPU, matching the CPU', async () => {
  const outcome = await run(`
    const M = 64, N = 48, K = 80;
    const a = Float32Array.from({ length: M * K }, (_, i) => ((i * 7) % 13) / 13 - 0.5);
    const b = Float32Array.from({ length: K * N }, (_, i) => ((i * 5) % 11) / 11 - 0.5);
    const gpuMatmul = cluster.remote(async (a, b, M, N, K, ctx) => ({ c: await ctx.gpu.matmul(a, b, M, N, K), on: ctx.workerId, fallback: ctx.gpu.info.isFallback }), { name: 'gpuMatmul', resources: { gpu: 1 } });
    const refs = [0, 1, 2, 3].map(() => gpuMatmul(a, b, M, N, K));
    const results = await cluster.get(refs);
    let worst = 0;
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0; for (let k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
      worst = Math.max(worst, Math.abs(results[0].c[i * N + j] - s) / Math.max(1, Math.abs(s)));
    }
    return { on: results.map((r) => r.on), fallback: results[0].fallback, worst };`);
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const result = (outcome as { result: { on: string[]; fallback: boolean; worst: number } }).result;
  expect(result.on).toEqual([withGpu, withGpu, withGpu, withGpu]);
  expect(result.fallback).toBe(true);
  expect(result.worst).toBeLessThan(1e-4);
});

test('a gpu task waits rather than run on the worker without WebGPU', async () => {
  const outcome = await run(`
    const hold = cluster.remote(async () => { await new Promise((r) => setTimeout(r, 600)); return 'held'; }, { name: 'hold', resources: { cpu: 1, custom: {} } });
    const gpuTask = cluster.remote(async (ctx) => (await ctx.gpu.reduce('sum', new Float32Array(1000).fill(1))) + '@' + ctx.workerId, { name: 'gpuSum', resources: { gpu: 1 } });
    const busy = [hold(), hold()]; // both workers' only slot taken for a moment
    const ref = gpuTask();
    const value = await cluster.get(ref);
    await cluster.get(busy);
    return { value };`);
  // The worker without WebGPU was free first, yet the task waited for the one with it.
  expect(outcome).toMatchObject({ ok: true, result: { value: `1000@${withGpu}` } });
});

test("gpu: 'prefer' takes a free GPU, and otherwise runs its CPU fallback", async () => {
  const outcome = await run(`
    const work = cluster.remote(async (i, ctx) => {
      await new Promise((r) => setTimeout(r, 150));
      if (ctx.gpu) return { i, how: 'gpu', on: ctx.workerId, sum: await ctx.gpu.reduce('sum', new Float32Array(256).fill(2)) };
      let sum = 0; for (let k = 0; k < 256; k++) sum += 2;
      return { i, how: 'cpu', on: ctx.workerId, sum };
    }, { name: 'preferGpu', resources: { gpu: 'prefer' } });
    return cluster.get([0, 1, 2, 3, 4, 5].map((i) => work(i)));`);
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const results = (outcome as { result: { how: string; on: string; sum: number }[] }).result;
  expect(results.every((r) => r.sum === 512)).toBe(true);
  expect(results.some((r) => r.how === 'gpu')).toBe(true);
  expect(results.some((r) => r.how === 'cpu')).toBe(true);
  for (const r of results) expect(r.on).toBe(r.how === 'gpu' ? withGpu : noGpu);
});

test('a shader that does not compile fails its task with ERR_GPU_SHADER naming the line', async () => {
  const outcome = await run(`
    const bad = cluster.remote((ctx) => ctx.gpu.run({
      wgsl: '@compute @workgroup_size(WORKGROUP_SIZE_X)\\nfn main(@builtin(global_invocation_id) id: vec3u) {\\n  out[id.x] = a[id.x] +* 2.0;\\n}',
      workgroupSize: [64], dispatch: [1],
      inputs: { a: new Float32Array(64) }, outputs: { out: { type: 'f32', length: 64 } },
    }), { name: 'badShader', resources: { gpu: 1 } });
    try { await cluster.get(bad()); return 'compiled?'; } catch (e) { return { code: e.code, message: e.message }; }`);
  expect(outcome).toMatchObject({ ok: true, result: { code: 'ERR_GPU_SHADER', message: expect.stringMatching(/:3:\d+/) } });
});

test('no page threw an uncaught error', () => {
  expect(local.pageErrors).toEqual([]);
});
