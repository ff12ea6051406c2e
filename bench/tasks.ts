/**
 * Task throughput and latency: Shoal (2 worker tabs × 1 slot) against Dask
 * distributed (LocalCluster, 2 processes × 1 thread) on the same machine.
 *
 *   npm run bench:tasks      (or: npx tsx bench/tasks.ts [--runs N] [--no-dask] [--build] [--profile])
 *
 * Workloads, the same for both systems (see bench/README.md):
 *   trivial-10k  10,000 `x => x + 1` tasks, submit all then get all (500-task warm-up)
 *   roundtrip    30 warm-up, then 300 sequential submit + get; median and p90
 *   chain-1000   each task takes the previous task's ref; submit all, get the last
 *
 * Each workload runs --runs times (default 3) and the median run is reported:
 * one JSON line per (system, workload), then a table and the goals line.
 * Timing happens inside the job (performance.now() in the coordinator tab) and
 * inside the Python script, so neither side counts process or cluster startup.
 *
 *   --no-dask   Shoal only
 *   --build     rebuild the pages (vite build) first
 *   --cpu       also measure the browser's CPU time (all its processes: the
 *               coordinator tab, the worker tabs, their Web Workers, the GPU
 *               and network processes) per trivial-10k run, as ms of CPU per
 *               task: a figure that a machine shared with other work
 *               disturbs much less than throughput
 *   --profile   after the timed runs, record a CPU profile of the coordinator tab
 *               and of worker tab w1 during one more trivial-10k run, write the
 *               .cpuprofile files to the temp dir and print the top self times
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startLocalCluster, type LocalCluster } from '@shoal/launcher';
import { RUNS, figure, flag, formatMs, formatRate, median, medianRun, openBench, printComparison, reportFailures, runBench, runJobFile as runJob } from './common.ts';

const WORKERS = 2;
const SLOTS = 1;

type Workload = 'trivial-10k' | 'roundtrip' | 'chain-1000';
interface Figures {
  tasksPerSec?: number;
  medianMs?: number;
  p90Ms?: number;
  msPerLink?: number;
}
type Line = { system: 'shoal' | 'dask'; workload: Workload } & Figures & Record<string, unknown>;

// ---------------------------------------------------------------- Shoal

const JOBS: Record<Workload, string> = {
  'trivial-10k': 'bench/jobs/tasks-trivial.js',
  roundtrip: 'bench/jobs/tasks-roundtrip.js',
  'chain-1000': 'bench/jobs/tasks-chain.js',
};

const runJobFile = (cluster: LocalCluster, workload: Workload): Promise<Record<string, number>> => runJob(cluster, JOBS[workload]);

/** CPU seconds so far of every process of the cluster's browser, by process type (CDP SystemInfo.getProcessInfo). */
async function browserCpu(cluster: LocalCluster): Promise<Record<string, number>> {
  const session = await cluster.browser.newBrowserCDPSession();
  try {
    const { processInfo } = (await session.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number; cpuTime: number }[] };
    const byType: Record<string, number> = { total: 0 };
    for (const p of processInfo) {
      byType[p.type] = (byType[p.type] ?? 0) + p.cpuTime;
      byType['total']! += p.cpuTime;
    }
    return byType;
  } finally {
    await session.detach();
  }
}

async function shoalWorkload(cluster: LocalCluster, workload: Workload): Promise<Line> {
  const runs: Record<string, number>[] = [];
  for (let i = 0; i < RUNS; i++) {
    const cpu = workload === 'trivial-10k' && flag('--cpu') ? await browserCpu(cluster) : null;
    const run = await runJobFile(cluster, workload);
    if (cpu) {
      const after = await browserCpu(cluster);
      // Per task of the whole job (the 500-task warm-up included), in ms.
      run['cpuMsPerTask'] = ((after['total']! - cpu['total']!) * 1000) / 10_500;
      run['rendererCpuMsPerTask'] = (((after['renderer'] ?? 0) - (cpu['renderer'] ?? 0)) * 1000) / 10_500;
    }
    runs.push(run);
  }
  switch (workload) {
    case 'trivial-10k': {
      const m = medianRun(runs, 'tasksPerSec');
      const cpu = flag('--cpu') ? { cpuMsPerTask: median(runs.map((r) => r['cpuMsPerTask']!)), rendererCpuMsPerTask: median(runs.map((r) => r['rendererCpuMsPerTask']!)) } : {};
      return { system: 'shoal', workload, tasksPerSec: m.tasksPerSec!, ...cpu, runs: runs.map((r) => r.tasksPerSec), median: m };
    }
    case 'roundtrip':
      return {
        system: 'shoal',
        workload,
        medianMs: median(runs.map((r) => r.medianMs!)),
        p90Ms: median(runs.map((r) => r.p90Ms!)),
        runs: runs.map((r) => ({ medianMs: r.medianMs, p90Ms: r.p90Ms, minMs: r.minMs, maxMs: r.maxMs })),
      };
    case 'chain-1000': {
      const m = medianRun(runs, 'msPerLink');
      return { system: 'shoal', workload, msPerLink: m.msPerLink!, runs: runs.map((r) => r.msPerLink), median: m };
    }
  }
}

// ---------------------------------------------------------------- profiling (optional)

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function topSelfTimes(profile: CpuProfile, count: number): string[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i + 1] ?? 0; // a sample's time runs until the next one
    const f = byNode.get(id)!.callFrame;
    const file = f.url.split('/').at(-1) ?? '';
    const key = f.url ? `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}` : f.functionName;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, us]) => `${(us / 1000).toFixed(0).padStart(6)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`);
}

async function profileTrivial(cluster: LocalCluster): Promise<void> {
  const tabs: [string, Page][] = [['coordinator', cluster.coordinator], ['w1', cluster.workers[0]!]];
  const sessions = await Promise.all(tabs.map(([, page]) => cluster.context.newCDPSession(page)));
  for (const s of sessions) {
    await s.send('Profiler.enable');
    await s.send('Profiler.setSamplingInterval', { interval: 100 });
    await s.send('Profiler.start');
  }
  const result = await runJobFile(cluster, 'trivial-10k');
  const dir = join(tmpdir(), 'shoal-bench-profiles');
  mkdirSync(dir, { recursive: true });
  console.log(`\nCPU profile of one more trivial-10k run (${result.tasksPerSec!.toFixed(0)} tasks/s while profiling; includes the 500-task warm-up):`);
  for (const [i, s] of sessions.entries()) {
    const { profile } = (await s.send('Profiler.stop')) as unknown as { profile: CpuProfile };
    const file = join(dir, `tasks-trivial-${tabs[i]![0]}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    console.log(`\n${tabs[i]![0]} tab main thread, top self time (${file}):`);
    for (const line of topSelfTimes(profile, 15)) console.log(`  ${line}`);
    await s.detach();
  }
}

// ---------------------------------------------------------------- Dask

// ---------------------------------------------------------------- report

function report(results: Line[]): void {
  printComparison(results, [
    ['10k trivial tasks', 'trivial-10k', 'tasksPerSec', 'higher', formatRate('tasks/s')],
    ['round trip median', 'roundtrip', 'medianMs', 'lower', formatMs],
    ['round trip p90', 'roundtrip', 'p90Ms', 'lower', formatMs],
    ['chain, per link', 'chain-1000', 'msPerLink', 'lower', formatMs],
  ]);
  const num = (system: Line['system'], workload: Workload, key: string): number | undefined => figure(results, system, workload, key);
  const tps = num('shoal', 'trivial-10k', 'tasksPerSec');
  const daskTps = num('dask', 'trivial-10k', 'tasksPerSec');
  const rt = num('shoal', 'roundtrip', 'medianMs');
  const link = num('shoal', 'chain-1000', 'msPerLink');
  const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'n/a' : ok ? 'met' : 'missed');
  const goals = [
    `≥10× Dask tasks/s: ${verdict(tps === undefined || daskTps === undefined ? undefined : tps >= 10 * daskTps)}` +
      (tps !== undefined && daskTps !== undefined ? ` (${(tps / daskTps).toFixed(1)}×)` : ''),
    `round trip ≤1.5 ms: ${verdict(rt === undefined ? undefined : rt <= 1.5)}${rt !== undefined ? ` (median ${rt.toFixed(2)} ms)` : ''}`,
    `chain link ≤1.5 ms: ${verdict(link === undefined ? undefined : link <= 1.5)}${link !== undefined ? ` (${link.toFixed(2)} ms)` : ''}`,
  ];
  console.log(`\ngoals: ≥10× Dask tasks/s, round trip ≤1.5 ms, chain link ≤1.5 ms`);
  console.log(`       ${goals.join('; ')}`);
}

// ---------------------------------------------------------------- main

await openBench('Shoal task bench', WORKERS, SLOTS);
const cluster = await startLocalCluster({ workers: WORKERS, slotsPerWorker: SLOTS });
const { results, failures } = await runBench(Object.keys(JOBS), (c, workload) => shoalWorkload(c, workload as Workload), 'bench/peers/dask_tasks.py', cluster, async (c) => {
  if (flag('--profile')) await profileTrivial(c);
});
report(results as Line[]);
reportFailures(failures);
