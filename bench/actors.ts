/**
 * Actor call latency and throughput: Shoal (2 worker tabs × 1 slot) against
 * Dask distributed's actors (LocalCluster, 2 processes × 1 thread) on the same
 * machine.
 *
 *   npm run bench:actors     (or: npx tsx bench/actors.ts [--runs N] [--no-dask] [--build])
 *
 * Workloads, the same for both systems (see bench/README.md, "Actors"):
 *   actor-roundtrip  one counter actor; 30 warm-up, then 300 sequential
 *                    `get(h.add(1))`; median and p90
 *   actor-pipelined  5,000 `h.add(1)` calls submitted without waiting, then all
 *                    fetched (100-call warm-up); calls/s; the final value is checked
 *   actor-fanin      one task takes the handle and makes 100 sequential
 *                    `ctx.get(handle.add(1))` calls; ms per call, timed in the task
 *                    (on a port straight to the actor's Web Worker: runtime/src/actorPorts.ts); `sameTab` says
 *                    whether the scheduler put the task on the actor's tab
 *   actor-fanin-cross  the same with the actor holding its tab's one slot, so the
 *                    task runs on the other tab (Dask's figure: its actor-fanin)
 *
 * Each workload runs --runs times (default 3) and the median run is reported:
 * one JSON line per (system, workload), then a table with the Shoal advantage.
 * Timing happens inside the job (performance.now() in the coordinator tab, or
 * in the task's Web Worker for actor-fanin) and inside the Python script, so
 * neither side counts process or cluster startup.
 *
 *   --no-dask   Shoal only
 *   --build     rebuild the pages (vite build) first
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalCluster, type LocalCluster } from '@shoal/launcher';
import { RUNS, figure, formatMs, formatRate, median, medianRun, openBench, printComparison, reportFailures, root, runBench, runJobFile as runJob } from './common.ts';

const WORKERS = 2;
const SLOTS = 1;

type Workload = 'actor-roundtrip' | 'actor-pipelined' | 'actor-fanin' | 'actor-fanin-cross';
interface Figures {
  callsPerSec?: number;
  medianMs?: number;
  p90Ms?: number;
  msPerCall?: number;
}
type Line = { system: 'shoal' | 'dask'; workload: Workload } & Figures & Record<string, unknown>;

// ---------------------------------------------------------------- Shoal

const JOBS: Record<Workload, string> = {
  'actor-roundtrip': 'bench/jobs/actors-roundtrip.js',
  'actor-pipelined': 'bench/jobs/actors-pipelined.js',
  'actor-fanin': 'bench/jobs/actors-fanin.js',
  'actor-fanin-cross': 'bench/jobs/actors-fanin.js',
};

/** actor-fanin with the actor holding its tab's one slot (2 tabs × 1 slot): the calling task must run on the other tab. */
async function crossTab(cluster: LocalCluster): Promise<Record<string, number>> {
  const source = readFileSync(join(root, JOBS['actor-fanin-cross']), 'utf8');
  const cross = source.replace('cluster.actor(Counter, { args: [0] })', 'cluster.actor(Counter, { args: [0], resources: { cpu: 1 } })');
  if (cross === source) throw new Error('actors-fanin.js no longer makes its actor as bench/actors.ts expects');
  const outcome = await cluster.runJob(cross);
  if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
  return outcome.result as Record<string, number>;
}

const runJobFile = (cluster: LocalCluster, workload: Workload): Promise<Record<string, number>> => (workload === 'actor-fanin-cross' ? crossTab(cluster) : runJob(cluster, JOBS[workload]));

async function shoalWorkload(cluster: LocalCluster, workload: Workload): Promise<Line> {
  const runs: Record<string, number>[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await runJobFile(cluster, workload));
  switch (workload) {
    case 'actor-roundtrip':
      return {
        system: 'shoal',
        workload,
        medianMs: median(runs.map((r) => r.medianMs!)),
        p90Ms: median(runs.map((r) => r.p90Ms!)),
        runs: runs.map((r) => ({ medianMs: r.medianMs, p90Ms: r.p90Ms, minMs: r.minMs, maxMs: r.maxMs })),
      };
    case 'actor-pipelined': {
      const m = medianRun(runs, 'callsPerSec');
      return { system: 'shoal', workload, callsPerSec: m.callsPerSec!, runs: runs.map((r) => r.callsPerSec), median: m };
    }
    case 'actor-fanin':
    case 'actor-fanin-cross': {
      const m = medianRun(runs, 'msPerCall');
      return { system: 'shoal', workload, msPerCall: m.msPerCall!, runs: runs.map((r) => r.msPerCall), sameTab: runs.map((r) => r.sameTab === 1 || (r.sameTab as unknown) === true), median: m };
    }
  }
}

// ---------------------------------------------------------------- Dask

// ---------------------------------------------------------------- main

await openBench('Shoal actor bench', WORKERS, SLOTS);
const cluster = await startLocalCluster({ workers: WORKERS, slotsPerWorker: SLOTS });
const { results, failures } = await runBench(Object.keys(JOBS), (c, workload) => shoalWorkload(c, workload as Workload), 'bench/peers/dask_actors.py', cluster);
// Dask's task and actor share no tab: its one fan-in line is the peer of both Shoal rows.
const daskFanin = results.find((line) => line.system === 'dask' && line.workload === 'actor-fanin');
if (daskFanin) results.push({ ...daskFanin, workload: 'actor-fanin-cross' });
printComparison(results, [
  ['round trip median', 'actor-roundtrip', 'medianMs', 'lower', formatMs],
  ['round trip p90', 'actor-roundtrip', 'p90Ms', 'lower', formatMs],
  ['5k pipelined calls', 'actor-pipelined', 'callsPerSec', 'higher', formatRate('calls/s')],
  ['from a task, /call', 'actor-fanin', 'msPerCall', 'lower', formatMs],
  ['same, across tabs', 'actor-fanin-cross', 'msPerCall', 'lower', formatMs],
]);
// The goal (issue 15): a call from inside a task at least 2x faster than Dask's actors, on the actor's tab and across tabs.
const perCall = (system: Line['system'], workload: Workload): number | undefined => figure(results, system, workload, 'msPerCall');
const goals = (['actor-fanin', 'actor-fanin-cross'] as const).map((workload) => {
  const shoal = perCall('shoal', workload);
  const dask = perCall('dask', workload);
  return shoal && dask ? `${workload} ${(dask / shoal).toFixed(1)}× ${dask / shoal >= 2 ? 'met' : 'missed'}` : `${workload} —`;
});
console.log(`goals (a call from inside a task ≥2× Dask's): ${goals.join(', ')}`);
reportFailures(failures);
