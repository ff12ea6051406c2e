/**
 * Datasets and inference: Shoal (2 worker tabs × 1 slot) against Dask
 * distributed (LocalCluster, 2 processes × 1 thread) on the same machine.
 *
 *   npm run bench:data     (or: npx tsx bench/data.ts [--rows N] [--blocks B] [--runs N] [--only w1,w2] [--no-dask] [--build])
 *
 * Workloads:
 *   pipeline          range(rows) → mapBatches(widen) → mapBatches(mix) → mapBatches(summarize),
 *                     float64 columns, `blocks` blocks (default 16M rows in 16 blocks); rows/s,
 *                     count and checksum checked. Fused as Ray fuses (the default): one task per block
 *                     reads the range and runs the three. Dask: a bag over the same blocks (numpy),
 *                     map ×3 (which Dask fuses into one task per partition too).
 *   pipeline-unfused  the same with cluster.data.context.fuseTransforms = false: four operators, each
 *                     block stored between them
 *   actor-fanin       an actor call from inside a task (bench/jobs/actors-fanin.js; Dask: its actors)
 *   inference-wasm    the example's MLP through ctx.onnx on the wasm path: inferences/s (batches of 4096,
 *   inference-webgpu  model load and warm-up not timed), and the same forced onto WebGPU (SwiftShader here)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalCluster, type LocalCluster } from '@shoal/launcher';
import { RUNS, formatMs, formatRate, medianRun, openBench, printComparison, reportFailures, root, runBench, runJobFile, type BenchLine } from './common.ts';

const WORKERS = 2;
const SLOTS = 1;
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROWS = arg('--rows', 16 * 1024 * 1024);
const BLOCKS = arg('--blocks', 16);

async function runJob(cluster: LocalCluster, path: string, replace: Record<string, string>): Promise<Record<string, unknown>> {
  let source = readFileSync(join(root, path), 'utf8');
  for (const [k, v] of Object.entries(replace)) source = source.replace(k, v);
  const outcome = await cluster.runJob(source);
  if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
  return outcome.result as Record<string, unknown>;
}

async function shoal(cluster: LocalCluster, workload: string): Promise<BenchLine> {
  const runs: Record<string, unknown>[] = [];
  switch (workload) {
    case 'pipeline':
    case 'pipeline-unfused': {
      const fuse = String(workload === 'pipeline');
      await runJob(cluster, 'bench/data/pipeline.js', { __ROWS__: String(Math.floor(ROWS / 8)), __BLOCKS__: String(BLOCKS), __FUSE__: fuse }); // warm-up
      for (let i = 0; i < RUNS; i++) runs.push(await runJob(cluster, 'bench/data/pipeline.js', { __ROWS__: String(ROWS), __BLOCKS__: String(BLOCKS), __FUSE__: fuse }));
      const m = medianRun(runs, 'rowsPerSec');
      return { system: 'shoal', workload, rowsPerSec: m['rowsPerSec'], rows: ROWS, checksum: m['checksum'], operators: m['operators'], runs: runs.map((r) => r['rowsPerSec']) };
    }
    case 'actor-fanin': {
      for (let i = 0; i < RUNS; i++) runs.push(await runJobFile(cluster, 'bench/jobs/actors-fanin.js'));
      const m = medianRun(runs, 'msPerCall');
      return { system: 'shoal', workload, msPerCall: m['msPerCall'], runs: runs.map((r) => r['msPerCall']) };
    }
    default: {
      const provider = workload.replace('inference-', '');
      for (let i = 0; i < RUNS; i++) runs.push(await runJob(cluster, 'bench/data/inference.js', { __PROVIDER__: JSON.stringify(provider) }));
      const m = medianRun(runs, 'inferencesPerSec');
      return { system: 'shoal', workload, inferencesPerSec: m['inferencesPerSec'], provider: m['provider'], loadMs: m['loadMs'], runs: runs.map((r) => r['inferencesPerSec']) };
    }
  }
}

await openBench(`Shoal datasets bench (${ROWS} rows in ${BLOCKS} blocks)`, WORKERS, SLOTS);
const cluster = await startLocalCluster({ workers: WORKERS, slotsPerWorker: SLOTS });
const ALL = ['pipeline', 'pipeline-unfused', 'actor-fanin', 'inference-wasm', 'inference-webgpu'];
const only = process.argv.indexOf('--only');
const { results, failures } = await runBench(
  only >= 0 ? ALL.filter((w) => process.argv[only + 1]!.split(',').includes(w)) : ALL,
  shoal,
  'bench/peers/dask_data.py',
  cluster,
  undefined,
  ['--rows', String(ROWS), '--blocks', String(BLOCKS)],
);
// Dask fuses the bag's maps into one task per partition: the same line is the peer of both Shoal rows.
const daskPipeline = results.find((line) => line.system === 'dask' && line.workload === 'pipeline');
if (daskPipeline) results.push({ ...daskPipeline, workload: 'pipeline-unfused' });
printComparison(results, [
  ['3-operator pipeline', 'pipeline', 'rowsPerSec', 'higher', formatRate('rows/s')],
  ['same, unfused', 'pipeline-unfused', 'rowsPerSec', 'higher', formatRate('rows/s')],
  ['actor call from a task', 'actor-fanin', 'msPerCall', 'lower', formatMs],
  ['MLP inference, wasm', 'inference-wasm', 'inferencesPerSec', 'higher', formatRate('inf/s')],
  ['MLP inference, WebGPU', 'inference-webgpu', 'inferencesPerSec', 'higher', formatRate('inf/s')],
]);
reportFailures(failures);
