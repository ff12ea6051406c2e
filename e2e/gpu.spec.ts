/**
 * @shoal/gpu in real headless Chromium, where WebGPU runs on SwiftShader:
 * every built-in kernel against its CPU reference, a user kernel, a shader
 * that does not compile, and device loss. The checks run in a dedicated Web
 * Worker (where tasks run) and, for one kernel, in the page itself. The page
 * is apps/bench-gpu.html, built into a temp dir (see bench/gpu-page.ts).
 */
import { expect, test } from '@playwright/test';
import { openGpuPage, type GpuPage } from '../bench/gpu-page.ts';
import { example } from './helpers.ts';

let gpu: GpuPage;

test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  gpu = await openGpuPage();
});
test.afterAll(async () => {
  await gpu?.close();
});

/** Runs an op and returns its value, failing the test with the op's error otherwise. */
async function value<T>(where: 'page' | 'worker', op: string, args: unknown = {}): Promise<T> {
  const reply = await gpu.run(where, op, args);
  if (!reply.ok) throw new Error(`${op} in the ${where} failed: ${reply.error.code}: ${reply.error.message}`);
  return reply.value as T;
}

test('a Web Worker gets a WebGPU device: SwiftShader, reported as a fallback adapter', async () => {
  const { info, scope, limits } = await value<{ info: Record<string, unknown>; scope: string; limits: Record<string, number> }>('worker', 'info');
  expect(scope).toBe('DedicatedWorkerGlobalScope');
  expect(info).toMatchObject({ vendor: 'google', architecture: 'swiftshader', isFallback: true });
  expect(limits['maxComputeInvocationsPerWorkgroup']).toBeGreaterThanOrEqual(256);
});

test('reduce: an fp32 sum over 1M elements is within 1e-4 of float64; min and max are exact', async () => {
  const sum = await value<{ relError: number; naiveRelError: number }>('worker', 'reduce', { n: 1_000_000, op: 'sum' });
  expect(sum.relError).toBeLessThan(1e-4);
  // The tree order is far better than summing in order in f32.
  expect(sum.relError).toBeLessThan(sum.naiveRelError);
  for (const op of ['min', 'max']) expect(await value('worker', 'reduce', { n: 10_007, op })).toMatchObject({ relError: 0 });
  const mean = await value<{ relError: number }>('worker', 'reduce', { n: 5000, op: 'mean' });
  expect(mean.relError).toBeLessThan(1e-5);
  // The same kernel in the page.
  expect((await value<{ relError: number }>('page', 'reduce', { n: 1_000_000, op: 'sum' })).relError).toBeLessThan(1e-4);
});

test('matmul: 256×192×128 and an odd 33×7×5 match the float64 reference within 1e-3', async () => {
  for (const dims of [
    { M: 256, N: 192, K: 128 },
    { M: 33, N: 7, K: 5 },
  ]) {
    const result = await value<{ length: number; scaledError: number; positiveRelError: number }>('worker', 'matmul', dims);
    expect(result.length).toBe(dims.M * dims.N);
    expect(result.scaledError).toBeLessThan(1e-3);
    expect(result.positiveRelError).toBeLessThan(1e-3);
  }
});

test('map: elementwise expressions over one and two arrays', async () => {
  const result = await value<{ length: number; scaledError: number; relErrorIndexed: number }>('worker', 'map', { n: 100_003 });
  expect(result.length).toBe(100_003);
  expect(result.scaledError).toBeLessThan(1e-6);
  expect(result.relErrorIndexed).toBeLessThan(1e-6);
});

test('scan: an exclusive prefix sum of 1M u32 is exact (two levels); f32 is close', async () => {
  expect(await value('worker', 'scan', { n: 1_000_000, type: 'u32' })).toMatchObject({ length: 1_000_000, kind: 'Uint32Array', mismatches: 0 });
  expect(await value('worker', 'scan', { n: 2049, type: 'u32' })).toMatchObject({ mismatches: 0 });
  const f32 = await value<{ kind: string; relError: number }>('worker', 'scan', { n: 30_000, type: 'f32' });
  expect(f32.kind).toBe('Float32Array');
  expect(f32.relError).toBeLessThan(1e-5);
});

test('a user WGSL kernel runs with the binding convention: inputs, outputs (one atomic), uniforms', async () => {
  const n = 1000;
  const x = Array.from({ length: n }, (_, i) => i * 0.5);
  const y = Array.from({ length: n }, (_, i) => n - i);
  const { outputs, error } = await value<{ outputs: Record<string, number[]>; error: unknown }>('worker', 'kernel', {
    wgsl: `
@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x;
  if (i >= arrayLength(&x)) { return; }
  let v = uniforms.alpha * x[i] + y[i];
  out[i] = v;
  if (v > uniforms.limit) { atomicAdd(&over[0], 1u); }
}`,
    workgroupSize: [64],
    dispatch: [Math.ceil(n / 64)],
    inputs: { x: { type: 'f32', values: x }, y: { type: 'f32', values: y } },
    outputs: { out: { type: 'f32', length: n }, over: { type: 'u32', length: 1, atomic: true } },
    uniforms: { alpha: 2, limit: 1000 },
  });
  expect(error).toBeNull();
  const expected = x.map((v, i) => 2 * v + y[i]!);
  expect(outputs['out']).toEqual(expected);
  expect(outputs['over']).toEqual([expected.filter((v) => v > 1000).length]);
});

test('a shader with a syntax error rejects with ERR_GPU_SHADER naming the line', async () => {
  const { error } = await value<{ error: { code: string; message: string } | null }>('worker', 'kernel', {
    wgsl: '@compute @workgroup_size(WORKGROUP_SIZE_X)\nfn main(@builtin(global_invocation_id) id: vec3u) {\n  out[id.x] = 1.0 +;\n}\n',
    workgroupSize: [1],
    dispatch: [1],
    outputs: { out: { type: 'f32', length: 1 } },
  });
  expect(error?.code).toBe('ERR_GPU_SHADER');
  // Line 3 of the user's code (the generated bindings in front are not counted), with its text and a caret.
  expect(error?.message).toMatch(/wgsl:3:\d+: error: /);
  expect(error?.message).toContain('3 |   out[id.x] = 1.0 +;');
  expect(error?.message).toContain('^');
});

test('device loss: the call in flight and later calls reject with ERR_GPU_LOST; a new device works', async () => {
  const lost = await value<{ during: { code: string }; after: { code: string }; state: { status: string }; reacquiredSum: number }>('worker', 'lost');
  expect(lost.during.code).toBe('ERR_GPU_LOST');
  expect(lost.after.code).toBe('ERR_GPU_LOST');
  expect(lost.state.status).toBe('lost');
  expect(lost.reacquiredSum).toBe(6);
});

test('the GPU examples run against ctx.gpu (a stand-in cluster in the Web Worker)', async () => {
  const matmul = await value<{ result: Record<string, unknown>; options: unknown[]; tasks: number }>('worker', 'example', { source: example('gpu-matmul.js') });
  expect(matmul.options).toEqual([{ resources: { gpu: 1 } }]);
  expect(matmul.tasks).toBe(6);
  expect(matmul.result).toMatchObject({ M: 768, N: 640, K: 512, tasks: 6, adapters: ['swiftshader'], checked: 64 });
  expect(matmul.result['relError']).toBeLessThan(1e-3);
  const mandelbrot = await value<{ result: Record<string, unknown>; tasks: number }>('worker', 'example', { source: example('mandelbrot.js') });
  expect(mandelbrot.tasks).toBe(12);
  expect(mandelbrot.result).toMatchObject({ width: 640, height: 480, tiles: 12, rgba: { typedArray: 'Uint8ClampedArray', length: 640 * 480 * 4 } });
});

test('measureDevice takes under a second and reports both figures', async () => {
  const m = await value<{ gflops: number; cpuMflops: number; totalMs: number }>('worker', 'measure');
  expect(m.gflops).toBeGreaterThan(0);
  expect(m.cpuMflops).toBeGreaterThan(0);
  expect(m.totalMs).toBeLessThan(3000);
  expect(gpu.errors).toEqual([]);
});
