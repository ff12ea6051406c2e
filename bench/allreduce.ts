/**
 * Ring allreduce bus bandwidth against the link rate, in one run.
 *
 *   npm run bench:allreduce      (or: npx tsx bench/allreduce.ts [--sizes 1,4,16,64,256] [--ranks 2,4] [--runs 3] [--webrtc])
 *
 * One local cluster of 4 one-slot worker tabs. For each size:
 * 1. link: a group of 2 tabs, rank 0 broadcasts the array to rank 1 (one
 *    hop: chunks pushed page to page over the same path the ring uses,
 *    co-located port or WebRTC bulk channels), timed from a barrier to the
 *    last rank done: the one-way rate a ring link can carry here.
 * 2. allreduce (sum, float32) on 2 and on 4 tabs, timed the same way. Bus
 *    bandwidth = size × 2(n−1)/n ÷ time (NCCL's definition): each rank
 *    sends and receives 2(n−1)/n of the array, so a ring at the link rate
 *    has a bus bandwidth equal to that rate. The ratio to the link rate is
 *    the figure the goal (≥ 80%) is about.
 *
 * The times include handing the array to the page and back (a copy and two
 * transfers), as a user's `allreduce` pays them. The median of `--runs`.
 * `--webrtc` turns the co-located path off (worker link `colocated=0`).
 */
import { startLocalCluster } from '@shoal/launcher';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = argv.indexOf(name);
  return at >= 0 && argv[at + 1] ? argv[at + 1]! : fallback;
};
const SIZES = option('--sizes', '1,4,16,64,256').split(',').map(Number);
const RANKS = option('--ranks', '2,4').split(',').map(Number);
const RUNS = Number(option('--runs', '3'));
const WEBRTC = argv.includes('--webrtc');

const JOB = (ranks: number, mib: number, op: 'link' | 'allreduce') => `export default async (cluster) => {
  const group = cluster.collective.group(${ranks});
  const member = cluster.remote(async (spec, rank, elements, runs, op, ctx) => {
    const g = await ctx.collective.join(spec, rank);
    const data = new Float32Array(elements).fill(rank + 1);
    const times = [];
    for (let k = 0; k < runs; k++) {
      await g.barrier();
      const t0 = performance.now();
      if (op === 'link') await g.broadcast(data, 0);
      else await g.allreduce(data, 'sum');
      times.push(performance.now() - t0);
    }
    return times;
  }, { maxRetries: 0 });
  const perRank = await cluster.get(Array.from({ length: ${ranks} }, (_, rank) => member(group, rank, ${mib * 262144}, ${RUNS}, '${op}')));
  cluster.kill(group.rendezvous);
  return perRank[0].map((_, run) => Math.max(...perRank.map((times) => times[run])));
};`;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const local = await startLocalCluster({ workers: Math.max(...RANKS, 2), slotsPerWorker: 1, readyTimeoutMs: 120_000, ...(WEBRTC ? { workerQuery: () => 'colocated=0' } : {}) });
const rows: Array<Record<string, unknown>> = [];
try {
  for (const mib of SIZES) {
    const run = async (ranks: number, op: 'link' | 'allreduce') => {
      const outcome = await local.runJob(JOB(ranks, mib, op), `${op}-${ranks}x${mib}MiB`);
      if (!outcome.ok) return { ms: NaN, error: JSON.stringify(outcome).slice(0, 300) };
      return { ms: median((outcome as { result: number[] }).result) };
    };
    const link = await run(2, 'link');
    const linkMBps = (mib * 1.048576) / (link.ms / 1000);
    console.log(JSON.stringify({ kind: 'link', mib, ms: Math.round(link.ms), MBps: Math.round(linkMBps), ...('error' in link ? { error: link.error } : {}) }));
    for (const ranks of RANKS) {
      const ar = await run(ranks, 'allreduce');
      const busMBps = (mib * 1.048576 * (2 * (ranks - 1))) / ranks / (ar.ms / 1000);
      const row = { kind: 'allreduce', ranks, mib, ms: Math.round(ar.ms), busMBps: Math.round(busMBps), linkMBps: Math.round(linkMBps), ofLink: Number((busMBps / linkMBps).toFixed(2)), ...('error' in ar ? { error: ar.error } : {}) };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
} finally {
  await local.close();
}
console.log('\nranks  size MiB  allreduce ms  bus MB/s  link MB/s  bus/link');
for (const r of rows) console.log(`${String(r['ranks']).padStart(5)}  ${String(r['mib']).padStart(8)}  ${String(r['ms']).padStart(12)}  ${String(r['busMBps']).padStart(8)}  ${String(r['linkMBps']).padStart(9)}  ${String(r['ofLink']).padStart(8)}`);
