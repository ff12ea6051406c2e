/**
 * ctx.onnx on real tabs: the MLP that @shoal/inference builds in code runs
 * in onnxruntime-web on the wasm path and on the WebGPU path (SwiftShader
 * here, forced), and matches the plain-JS reference within float32
 * tolerance. The model comes from a put ref and from the data folder; a
 * model that does not load fails with ERR_MODEL_LOAD carrying onnxruntime's
 * message, and the cluster keeps working. The example classifies a dataset
 * on an actor pool with every label checked.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { cluster, example, job } from './helpers.ts';
import { mlpReference, mlpWeights } from '../packages/inference/src/mlp.ts';
import { mlpModel } from '../packages/inference/src/mlpModel.ts';

const SPEC = { inputs: 8, hidden: 16, classes: 3, seed: 11 };
const ROWS = 64;
const TOLERANCE = 1e-5;

let local: Awaited<ReturnType<typeof cluster>>;
let dataDir: string;

test.describe.configure({ mode: 'serial' });
test.setTimeout(90_000);
test.beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'shoal-onnx-'));
  mkdirSync(join(dataDir, 'models'));
  writeFileSync(join(dataDir, 'models', 'mlp.onnx'), mlpModel(mlpWeights(SPEC)));
  writeFileSync(join(dataDir, 'models', 'broken.onnx'), Buffer.from('this is not an onnx model'));
  local = await cluster({ workers: 2, slotsPerWorker: 1, dataDir });
});
test.afterAll(async () => {
  await local?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const features = (): Float32Array => Float32Array.from({ length: ROWS * SPEC.inputs }, (_, i) => Math.cos(i * 0.61) * 2);

async function infer(provider: 'wasm' | 'webgpu', source: 'ref' | 'data'): Promise<{ probs: number[]; dims: number[]; provider: string; cached: boolean }> {
  const outcome = await local.runJob(job(`
    const spec = ${JSON.stringify(SPEC)};
    const model = ${source === 'ref' ? 'cluster.put(cluster.models.mlp(spec).bytes)' : "await cluster.data.fileUrl('models/mlp.onnx')"};
    const x = Float32Array.from({ length: ${ROWS} * spec.inputs }, (_, i) => Math.cos(i * 0.61) * 2);
    const run = cluster.remote(async (model, x, rows, inputs, provider, ctx) => {
      const m = await ctx.onnx.load(model, { executionProvider: provider });
      const again = await ctx.onnx.load(model, { executionProvider: provider });
      const out = await m.run({ x: { data: x, dims: [rows, inputs] } });
      return { probs: Array.from(out.probs.data), dims: out.probs.dims, provider: m.executionProvider, cached: again === m };
    });
    return cluster.get(run(model, x, ${ROWS}, spec.inputs, ${JSON.stringify(provider)}));`));
  expect(outcome.ok, JSON.stringify(outcome).slice(0, 2000)).toBe(true);
  return (outcome as { result: { probs: number[]; dims: number[]; provider: string; cached: boolean } }).result;
}

function expectMatchesReference(probs: number[]): void {
  const want = mlpReference(mlpWeights(SPEC), features());
  expect(probs).toHaveLength(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(probs[i]! - want[i]!));
  expect(worst).toBeLessThanOrEqual(TOLERANCE);
}

test('the wasm path matches the plain-JS reference (model from a put ref, session cached by hash)', async () => {
  const r = await infer('wasm', 'ref');
  expect(r.provider).toBe('wasm');
  expect(r.dims).toEqual([ROWS, SPEC.classes]);
  expect(r.cached).toBe(true);
  expectMatchesReference(r.probs);
});

test('the WebGPU path (SwiftShader) matches the plain-JS reference (model from the data folder)', async () => {
  const r = await infer('webgpu', 'data');
  expect(r.provider).toBe('webgpu');
  expect(r.dims).toEqual([ROWS, SPEC.classes]);
  expectMatchesReference(r.probs);
});

test('a model that does not load fails with ERR_MODEL_LOAD and onnxruntime’s message; the cluster keeps working', async () => {
  const outcome = await local.runJob(job(`
    const errors = [];
    const load = cluster.remote(async (model, ctx) => { await ctx.onnx.load(model, { executionProvider: 'wasm' }); return 'loaded'; });
    for (const model of [cluster.put(new Uint8Array([1, 2, 3, 4])), await cluster.data.fileUrl('models/broken.onnx'), await cluster.data.fileUrl('models/missing.onnx')]) {
      await cluster.get(load(model)).then(() => errors.push(null), (e) => errors.push({ code: e.code, message: e.message }));
    }
    const ok = await cluster.get(cluster.remote((a, b) => a + b)(2, 3));
    return { errors, ok };`));
  expect(outcome.ok, JSON.stringify(outcome).slice(0, 2000)).toBe(true);
  const r = (outcome as { result: { errors: { code: string; message: string }[]; ok: number } }).result;
  expect(r.errors.map((e) => e.code)).toEqual(['ERR_MODEL_LOAD', 'ERR_MODEL_LOAD', 'ERR_MODEL_LOAD']);
  expect(r.errors[0]!.message).toMatch(/onnxruntime could not load the model .*wasm\): .+/);
  expect(r.errors[2]!.message).toMatch(/HTTP 404/);
  expect(r.ok).toBe(5);
});

test('examples/classify.js labels a dataset on an actor pool, every label as the JS reference gives it', async () => {
  // Each pool actor is a Web Worker of its own that compiles onnxruntime's 28 MB wasm once (seconds on a loaded machine).
  test.setTimeout(150_000);
  const outcome = await local.runJob(example('classify.js').replace('const ROWS = 50_000;', 'const ROWS = 5_000;').replace('concurrency: [1, 2]', 'concurrency: [1, 1]'));
  expect(outcome.ok, JSON.stringify(outcome).slice(0, 2000)).toBe(true);
  const r = (outcome as { result: { rows: number; counts: number[]; mismatches: number; providers: string[]; inferencesPerSec: number } }).result;
  expect(r.counts.reduce((a, b) => a + b, 0)).toBe(r.rows);
  expect(r.counts.filter((c) => c > 0).length).toBeGreaterThan(1);
  expect(r.mismatches).toBe(0);
  expect(r.providers).toEqual(['wasm']);
  console.log(`classify.js: ${r.rows} rows, ${r.inferencesPerSec} inferences/s (wasm, one actor, its model load included)`);
  expect(local.pageErrors).toEqual([]);
});
