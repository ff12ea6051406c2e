/**
 * Arrays: Shoal's cluster.array (2 worker tabs × 1 slot) against dask.array on
 * a LocalCluster of 2 processes × 1 thread, same machine, same run.
 *
 *   npm run bench:array     (or: npx tsx bench/array.ts [--runs N] [--no-dask] [--build] [--mm N] [--only d-f64,d-f32])
 *
 * --only runs just the listed workloads, on both systems (the peer reads SHOAL_BENCH_ONLY).
 *
 * Workloads (see bench/peers/dask_array.py for Dask's side, written the same way):
 *   a      random((10000, 10000), chunks (1000, 1000)).mean()
 *   b      (x + x.T).sum(axis=0)
 *   c      a chain of 5 elementwise ops (mul, add, sqrt, sin, abs, exp), then std
 *   d-f64  (a @ b).sum(), 4000 × 4000 float64 (inputs persisted first, untimed)
 *   d-f32  the same in float32
 * Timing happens inside the job (performance.now() in the coordinator tab),
 * around graph building + compute; cluster startup is not counted.
 */
import { startLocalCluster, type LocalCluster } from '@shoal/launcher';
import { RUNS, flag, medianRun, openBench, printComparison, reportFailures, runBench, type BenchLine, type Row } from './common.ts';

const WORKERS = 2;
const SLOTS = 1;
const ALL = ['a', 'b', 'c', 'd-f64', 'd-f32'] as const;
type Workload = (typeof ALL)[number];
const WORKLOADS = ((): readonly Workload[] => {
  const at = process.argv.indexOf('--only');
  if (at < 0) return ALL;
  const picked = (process.argv[at + 1] ?? '').split(',');
  const unknown = picked.filter((w) => !(ALL as readonly string[]).includes(w));
  if (unknown.length > 0) {
    console.error(`--only takes some of ${ALL.join(',')}; unknown: ${unknown.join(',')}`);
    process.exit(2);
  }
  process.env['SHOAL_BENCH_ONLY'] = picked.join(',');
  return picked as Workload[];
})();
const MM = (() => {
  const at = process.argv.indexOf('--mm');
  return at >= 0 ? Number(process.argv[at + 1]) : 4000;
})();

const X = `cluster.array.random.random([10000, 10000], { chunks: [1000, 1000], seed: 1 })`;
const timed = (build: string, value: string) => `export default async (cluster) => {
  const t0 = performance.now();
  ${build}
  const result = ${value};
  return { ms: performance.now() - t0, value: result };
};`;
const matmul = (dtype: string) => `export default async (cluster) => {
  const da = cluster.array;
  const a = await da.random.random([${MM}, ${MM}], { chunks: [1000, 1000], seed: 1, dtype: '${dtype}' }).persist();
  const b = await da.random.random([${MM}, ${MM}], { chunks: [1000, 1000], seed: 2, dtype: '${dtype}' }).persist();
  const t0 = performance.now();
  const value = await a.matmul(b).sum().compute();
  return { ms: performance.now() - t0, value };
};`;

const JOBS: Record<Workload, string> = {
  a: timed('', `await ${X}.mean().compute()`),
  b: timed(`const x = ${X}; const s = await x.add(x.T).sum({ axis: 0 }).compute();`, 's.data.reduce((p, q) => p + q, 0)'),
  c: timed(`const x = ${X};`, 'await x.mul(2).add(1).sqrt().sin().abs().exp().std().compute()'),
  'd-f64': matmul('float64'),
  'd-f32': matmul('float32'),
};

async function measure(cluster: LocalCluster, workload: string): Promise<BenchLine> {
  const runs: { ms: number; value: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const outcome = await cluster.runJob(JOBS[workload as Workload]);
    if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
    runs.push(outcome.result as { ms: number; value: number });
  }
  const m = medianRun(runs, 'ms');
  return { system: 'shoal', workload, ms: m.ms, value: m.value, runs: runs.map((r) => Math.round(r.ms)) };
}

await openBench('bench:array', WORKERS, SLOTS);
const cluster = await startLocalCluster({ workers: WORKERS, slotsPerWorker: SLOTS });
const { results, failures } = await runBench(WORKLOADS, measure, 'bench/peers/dask_array.py', cluster);
const ms = (x: number | undefined) => (x === undefined ? '—' : `${(x / 1000).toFixed(2)} s`);
const rows = ([
  ['(a) random.mean', 'a', 'ms', 'lower', ms],
  ['(b) (x + x.T).sum(0)', 'b', 'ms', 'lower', ms],
  ['(c) 5 ops then std', 'c', 'ms', 'lower', ms],
  [`(d) matmul ${MM}² f64`, 'd-f64', 'ms', 'lower', ms],
  [`(d) matmul ${MM}² f32`, 'd-f32', 'ms', 'lower', ms],
] satisfies Row[]).filter((row) => WORKLOADS.includes(row[1] as Workload));
printComparison(results, rows);
console.log('\ngoals: (a)-(c) at least 2× faster than Dask; (d) within 2× of Dask (ratio ≥ 0.5×)');
if (flag('--no-dask')) console.log('(Dask skipped: --no-dask)');
reportFailures(failures);
