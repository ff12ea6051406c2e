/**
 * Training and tuning on real tabs (one cluster of four one-slot worker tabs):
 *
 * - the MLP example runs as a user runs it, `npx shoal run examples/train-mlp.js
 *   --workers 4 --json` (its own cluster, before the shared one starts), and
 *   prints a falling loss curve (on the CPU here: the example's 'auto' device
 *   takes a real GPU only, and SwiftShader is a fallback adapter);
 * - the MLP example's trainLoop with its gradients on WebGPU (SwiftShader,
 *   forced with device 'gpu') against the same loop on the CPU, on 2 tabs:
 *   every epoch's loss within 1e-3 relative (the GPU's float32 matmuls sum
 *   in another order than the per-example CPU loop), and the kernels ran;
 * - data-parallel logistic regression (full-batch gradient descent, float64
 *   gradients summed by ring allreduce) on 4 tabs follows the same loss curve
 *   as on 1 tab with the same seed and effective batch (the whole set):
 *   every step within 1e-9 relative (only the order of additions differs);
 * - ASHA runs fewer iterations than FIFO on the same space and finds the same
 *   best config; the dashboard's Tune view draws the curves, stopped ones marked;
 * - a tab closed mid-training: the attempt fails (ERR_GROUP_BROKEN on the
 *   others), training resumes from the last checkpoint on the 3 tabs left,
 *   the reports run 1..N with none missing or repeated, and the final loss
 *   meets the target (and equals the uninterrupted run's).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { REPO, cluster, job } from './helpers.ts';

type Local = Awaited<ReturnType<typeof cluster>>;
let local: Local | null = null;

test.describe.configure({ mode: 'serial' });
test.setTimeout(120_000);
test.afterAll(async () => {
  await local?.close();
  local = null;
});

const shared = async () => (local ??= await cluster({ workers: 4, slotsPerWorker: 1 }));

/** `npx shoal ARGS` from the repo root; resolves with its exit code and output. */
function shoal(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['--no-install', 'shoal', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

type MlpReport = { epoch: number; loss: number; device: string; kernels: number };

test('npx shoal run examples/train-mlp.js --workers 4 trains and prints a falling loss curve', async () => {
  const run = await shoal(['run', 'examples/train-mlp.js', '--workers', '4', '--json']);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  const printed = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { ok: boolean; result: { lossCurve: number[]; finalLoss: number; device: string; kernels: number; attempts: unknown[]; model: { layers: unknown[] } } };
  expect(printed.ok, run.stdout).toBe(true);
  const { lossCurve, finalLoss, device, kernels, attempts, model } = printed.result;
  expect(lossCurve).toHaveLength(150);
  expect(finalLoss).toBeLessThan(lossCurve[0]! * 0.5);
  expect(device).toBe('cpu'); // 'auto' takes a real GPU only; this machine's WebGPU is SwiftShader
  expect(kernels).toBe(0);
  expect(attempts).toEqual([{ worldSize: 4 }]);
  expect(model.layers).toHaveLength(2);
  console.log(`CLI: loss ${lossCurve[0]} → ${finalLoss.toFixed(4)} on ${device}`);
});

test('the MLP example: gradients on WebGPU (SwiftShader) follow the CPU loss curve within 1e-3', async () => {
  const c = await shared();
  // The example's own trainLoop and data (its default export set aside), run for 12 epochs on each device, on 2 tabs
  // (SwiftShader runs each small matmul in tens of milliseconds on this machine's shared cores).
  const example = readFileSync(join(REPO, 'examples/train-mlp.js'), 'utf8').replace('export default async (cluster) =>', 'const exampleJob = async (cluster) =>');
  const outcome = await c.runJob(`${example}
const EPOCHS = 12;
export default async (cluster) => {
  const run = (device) => cluster.train({ numWorkers: 2, trainLoop, config: { hidden: 16, lr: 0.5, momentum: 0.9, epochs: EPOCHS, seed: 3, every: 4, device }, dataset: spirals(11, 16, 256) });
  const gpu = await run('gpu');
  const cpu = await run('cpu');
  return { gpu: gpu.metrics, cpu: cpu.metrics };
};`);
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const { gpu, cpu } = (outcome as { result: { gpu: MlpReport[]; cpu: MlpReport[] } }).result;
  expect(gpu).toHaveLength(12);
  expect(cpu).toHaveLength(12);
  expect(gpu.every((m) => m.device === 'webgpu')).toBe(true);
  expect(gpu.at(-1)!.kernels).toBe(12 * 5);
  expect(cpu.every((m) => m.device === 'cpu' && m.kernels === 0)).toBe(true);
  const worst = Math.max(...gpu.map((m, i) => Math.abs(m.loss - cpu[i]!.loss) / cpu[i]!.loss));
  expect(worst).toBeLessThan(1e-3);
  expect(gpu.at(-1)!.loss).toBeLessThan(gpu[0]!.loss);
  console.log(`MLP loss: ${gpu[0]!.loss.toFixed(5)} → ${gpu.at(-1)!.loss.toFixed(5)} (WebGPU) vs ${cpu.at(-1)!.loss.toFixed(5)} (CPU); worst relative difference ${worst.toExponential(2)}`);
});

/** A synthetic, seeded binary classification set in 8 blocks, and the training loop. */
const SETUP = `
  function random(seed) { let a = seed >>> 0; return () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }; }
  const D = 8, ROWS = 512, BLOCKS = 8;
  const rand = random(42);
  const truth = Array.from({ length: D }, () => rand() * 4 - 2);
  const blocks = Array.from({ length: BLOCKS }, () => {
    const x = new Float64Array(ROWS * D), y = new Float64Array(ROWS);
    for (let i = 0; i < ROWS; i++) {
      let z = 0.5;
      for (let k = 0; k < D; k++) { x[i * D + k] = rand() * 2 - 1; z += truth[k] * x[i * D + k]; }
      y[i] = rand() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    return { x, y, rows: ROWS, d: D };
  });
  const trainLoop = async (ctx) => {
    const { lr, iters, d, total, every, slowMs } = ctx.config;
    const w = ctx.checkpoint ? Float64Array.from(ctx.checkpoint.w) : new Float64Array(d + 1);
    for (let it = ctx.checkpoint ? ctx.checkpoint.iter : 0; it < iters; it++) {
      const g = new Float64Array(d + 2); // gradient (d weights, bias), then the loss sum
      for (const b of ctx.shard) {
        for (let i = 0; i < b.rows; i++) {
          let z = w[d];
          for (let k = 0; k < d; k++) z += w[k] * b.x[i * d + k];
          const p = 1 / (1 + Math.exp(-z));
          const e = p - b.y[i];
          for (let k = 0; k < d; k++) g[k] += e * b.x[i * d + k];
          g[d] += e;
          g[d + 1] -= b.y[i] ? Math.log(p + 1e-12) : Math.log(1 - p + 1e-12);
        }
      }
      const sum = await ctx.allreduce(g);
      for (let k = 0; k <= d; k++) w[k] -= (lr * sum[k]) / total;
      if (slowMs) await new Promise((r) => setTimeout(r, slowMs));
      const checkpoint = (it + 1) % every === 0 ? { w: Array.from(w), iter: it + 1 } : undefined;
      await ctx.report({ iter: it + 1, loss: sum[d + 1] / total, worldSize: ctx.worldSize }, checkpoint);
    }
  };
  const config = (extra) => ({ lr: 1.0, iters: 40, d: D, total: ROWS * BLOCKS, every: 5, slowMs: 0, ...extra });
`;

test('4-tab data-parallel training follows the 1-tab loss curve (same seed, whole-set batch) within 1e-9', async () => {
  const c = await shared();
  const outcome = await c.runJob(
    job(`${SETUP}
    const four = await cluster.train({ numWorkers: 4, trainLoop, config: config({}), dataset: blocks });
    const one = await cluster.train({ numWorkers: 1, trainLoop, config: config({}), dataset: blocks });
    return { four, one };`),
  );
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const { four, one } = (outcome as { result: Record<'four' | 'one', { metrics: Array<{ iter: number; loss: number; worldSize: number }>; checkpoint: { iter: number }; attempts: unknown[] }> }).result;
  expect(four.metrics).toHaveLength(40);
  expect(one.metrics).toHaveLength(40);
  expect(four.metrics.every((m) => m.worldSize === 4)).toBe(true);
  expect(one.metrics.every((m) => m.worldSize === 1)).toBe(true);
  for (let i = 0; i < 40; i++) expect(Math.abs(four.metrics[i]!.loss - one.metrics[i]!.loss) / one.metrics[i]!.loss).toBeLessThan(1e-9);
  expect(four.metrics[39]!.loss).toBeLessThan(four.metrics[0]!.loss * 0.8);
  expect(four.checkpoint.iter).toBe(40);
  expect(four.attempts).toEqual([{ worldSize: 4 }]);
  console.log(`loss: first ${four.metrics[0]!.loss.toFixed(4)}, last ${four.metrics[39]!.loss.toFixed(4)} (4 tabs) vs ${one.metrics[39]!.loss.toFixed(4)} (1 tab)`);
});

test('ASHA runs fewer iterations than FIFO on the same space and finds the same best config', async () => {
  const c = await shared();
  const outcome = await c.runJob(
    job(`
    const trainable = async (config, ctx) => {
      for (let t = 1; t <= 27; t++) {
        const loss = 0.1 * (Math.log10(config.lr) + 2) ** 2 + 8 / config.hidden / 10 + 1 / t;
        await ctx.report({ loss, t });
      }
    };
    const space = { lr: cluster.tune.grid([1e-4, 1e-3, 1e-2, 1e-1, 1]), hidden: cluster.tune.grid([8, 32]) };
    const fifo = await cluster.tune(trainable, { paramSpace: space, metric: 'loss', mode: 'min', scheduler: 'fifo', maxConcurrent: 2, maxT: 27 });
    const asha = await cluster.tune(trainable, { paramSpace: space, metric: 'loss', mode: 'min', scheduler: 'asha', maxConcurrent: 2, maxT: 27, gracePeriod: 1, reductionFactor: 3 });
    return { fifo, asha };`),
  );
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  type Result = { trials: Array<{ config: { lr: number; hidden: number }; status: string; iterations: number }>; best: { config: { lr: number; hidden: number } }; iterations: number };
  const { fifo, asha } = (outcome as { result: { fifo: Result; asha: Result } }).result;
  expect(fifo.trials).toHaveLength(10);
  expect(fifo.trials.every((t) => t.status === 'done' && t.iterations === 27)).toBe(true);
  expect(fifo.iterations).toBe(270);
  expect(asha.iterations).toBeLessThan(fifo.iterations);
  expect(asha.trials.some((t) => t.status === 'stopped')).toBe(true);
  expect(fifo.best.config).toEqual({ lr: 1e-2, hidden: 32 });
  expect(asha.best.config).toEqual(fifo.best.config);
  // The dashboard's Tune view draws every trial's curve, the stopped ones marked (dashed, data-status="stopped").
  await expect.poll(() => c.coordinator.locator('#tune-view polyline[data-status="stopped"]').count()).toBe(asha.trials.filter((t) => t.status === 'stopped').length);
  await expect(c.coordinator.locator('#tune-view tr[data-status="stopped"]').first()).toContainText('stopped early');
  console.log(`iterations: FIFO ${fifo.iterations}, ASHA ${asha.iterations}; stopped ${asha.trials.filter((t) => t.status === 'stopped').length} of ${asha.trials.length}`);
});

test('a tab closed mid-training: training resumes from the last checkpoint on the tabs left and meets the target', async () => {
  const c = await shared();
  const running = c.runJob(
    job(`${SETUP}
    const result = await cluster.train({
      numWorkers: 4, trainLoop, config: config({ slowMs: 150 }), dataset: blocks,
      onReport: (m) => { globalThis.__trainIter = m.iter; },
    });
    const reference = await cluster.train({ numWorkers: 1, trainLoop, config: config({}), dataset: blocks });
    return { result, reference };`),
  );
  await expect.poll(async () => c.coordinator.evaluate(() => (globalThis as { __trainIter?: number }).__trainIter ?? 0), { timeout: 60_000 }).toBeGreaterThanOrEqual(12);
  await c.workers[1]!.close();
  const outcome = await running;
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const { result, reference } = (outcome as { result: Record<'result' | 'reference', { metrics: Array<{ iter: number; loss: number; worldSize: number }>; attempts: Array<{ worldSize: number; error?: string }> }> }).result;
  expect(result.attempts.length).toBeGreaterThanOrEqual(2);
  expect(result.attempts[0]!.worldSize).toBe(4);
  expect(result.attempts[0]!.error).toBeTruthy();
  expect(result.attempts.at(-1)).toEqual({ worldSize: 3 });
  // Reports after the last checkpoint were dropped and made again: 1..40, each once.
  expect(result.metrics.map((m) => m.iter)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  expect(result.metrics.at(-1)!.worldSize).toBe(3);
  const target = reference.metrics.at(-1)!.loss;
  expect(Math.abs(result.metrics.at(-1)!.loss - target) / target).toBeLessThan(1e-9);
  console.log(`attempts ${JSON.stringify(result.attempts.map((a) => ({ worldSize: a.worldSize, error: a.error?.slice(0, 80) })))}; final loss ${result.metrics.at(-1)!.loss.toFixed(5)} (target ${target.toFixed(5)})`);
});
