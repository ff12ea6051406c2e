/**
 * Two (or more) builds of the pages against each other, in the same minutes:
 * what a worker tab costs to join and to sit in the room, per build.
 *
 *   npx tsx bench/scale/ab.ts --dists /tmp/dist-a,/tmp/dist-b [--tabs 16] [--rounds 2] [--tabs-per-process 8[,16]] [--browsers 2] [--open 8,16] [--query gpu=0&bench=0] [--queries "gpu=0&bench=0;gpu=0&bench=0&ui=0"] [--detached]
 *
 * --detached: worker tabs with nothing attached (the launcher's `detachedWorkers`); `--open` is then how many
 * are opened and not yet ready at once.
 *
 * Each round starts, for each build in turn (the order alternates from round
 * to round), a local cluster of N one-slot worker tabs served from that build
 * (`SHOAL_DIST`), and reads:
 *   readyS      opening the first worker tab until the coordinator lists all N
 *   loadedS     of which opening the tabs until all have loaded
 *   joinCpuS    CPU seconds of every browser process once all N are ready, less
 *               those of the same build's cluster with no worker tab, ÷ N (this
 *               includes what tabs already in cost while the others join)
 *   idleMs      the cluster's CPU over IDLE_MS, SETTLE_MS after ready, in ms per
 *               second per tab (what a joined tab costs while nothing runs)
 *   coordIdleMs the coordinator tab's main thread over the same window, per tab
 *   firstTaskMs one task run through the room right after (a cold task Web Worker)
 * CPU seconds are Chromium's own accounting (cpu.ts), which the load of other
 * sessions disturbs far less than wall time; the load average is printed too.
 */
import { loadavg } from 'node:os';
import { startLocalCluster } from '@shoal/launcher';
import { clusterCpu } from './cpu.ts';
import { coordinatorCpuSeconds } from './measure.ts';
import { arg } from '../common.ts';

const DISTS = (arg('dists') ?? '').split(',').filter(Boolean);
const TABS = Number(arg('tabs') ?? 16);
const ROUNDS = Number(arg('rounds') ?? 2);
const BROWSERS = Number(arg('browsers') ?? 2);
const QUERY = arg('query') ?? 'gpu=0&bench=0';
/** `--queries A;B`: the worker tabs' link parameters, each measured against the others like the builds. */
const QUERIES = (arg('queries') ?? QUERY).split(';');
/** Tabs loading at once (the launcher's `openConcurrency`); `--open 8,16` measures each against the others like the builds. */
const OPENS = (arg('open') ?? '8').split(',').map(Number);
/** `--tabs-per-process 8,16` measures each against the others too. */
const PERS = (arg('tabs-per-process') ?? '8').split(',').map(Number);
const DETACHED = process.argv.includes('--detached') ? { detachedWorkers: true } : {};
const SETTLE_MS = 3000;
const IDLE_MS = 6000;
const load = (): string => loadavg().map((x) => x.toFixed(1)).join(' ');
const round = (x: number, d = 3): number => Number(x.toFixed(d));
if (DISTS.length === 0) {
  console.error('--dists A,B[,...]: folders of built pages (SHOAL_DIST=A npx vite build)');
  process.exit(2);
}

const ONE_TASK = `export default async (cluster) => {
  const t0 = performance.now();
  const v = await cluster.get(cluster.remote((x) => x + 1)(41));
  if (v !== 42) throw new Error('wrong: ' + v);
  return { ms: performance.now() - t0 };
};`;

const base = new Map<string, number>();

async function measure(variant: string, tabs: number): Promise<Record<string, unknown>> {
  const [variantNoQuery, query] = variant.split('?') as [string, string | undefined];
  const [rest, per] = variantNoQuery.split('#') as [string, string | undefined];
  const [dist, open] = rest.split('@') as [string, string | undefined];
  const perProcess = Number(per ?? PERS[0]);
  const shared = perProcess > 0 ? { tabsPerProcess: perProcess } : {};
  process.env['SHOAL_DIST'] = dist;
  const cluster = await startLocalCluster({ workers: tabs, browsers: Math.max(1, Math.min(BROWSERS, tabs || BROWSERS)), slotsPerWorker: 1, workerQuery: () => query ?? QUERIES[0]!, readyTimeoutMs: 300_000, openConcurrency: Number(open ?? 8), ...shared, ...DETACHED });
  try {
    const readyS = (cluster.timings.workerTabsMs + cluster.timings.workersReadyMs) / 1000;
    const ready = (await clusterCpu(cluster))['total']!;
    if (tabs === 0) return { ready };
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const coordinator = await coordinatorCpuSeconds(cluster.coordinator);
    const c0 = await coordinator();
    const i0 = (await clusterCpu(cluster))['total']!;
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idle = (await clusterCpu(cluster))['total']! - i0;
    const coordIdle = (await coordinator()) - c0;
    const job = await cluster.runJob(ONE_TASK, 'one task');
    const firstTaskMs = job.ok ? (job.result as { ms: number }).ms : `failed: ${job.error.code} ${job.error.message.slice(0, 120)}`;
    return {
      readyS: round(readyS, 1),
      loadedS: round(cluster.timings.workerTabsMs / 1000, 1),
      joinCpuS: round((ready - base.get(dist)!) / tabs),
      idleMs: round((idle * 1000) / tabs / (IDLE_MS / 1000), 2),
      coordIdleMs: round((coordIdle * 1000) / tabs / (IDLE_MS / 1000), 2),
      firstTaskMs: typeof firstTaskMs === 'number' ? Math.round(firstTaskMs) : firstTaskMs,
    };
  } finally {
    await cluster.close();
  }
}

for (const dist of DISTS) base.set(dist, (await measure(dist, 0))['ready'] as number);
const VARIANTS = DISTS.flatMap((dist) => OPENS.map((open) => (OPENS.length > 1 ? `${dist}@${open}` : dist))).flatMap((v) => PERS.map((per) => (PERS.length > 1 ? `${v}#${per}` : v))).flatMap((v) => QUERIES.map((q) => (QUERIES.length > 1 ? `${v}?${q}` : v)));
const rows: Array<Record<string, unknown>> = [];
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
  for (const dist of order) {
    const row = { dist, tabs: TABS, ...(await measure(dist, TABS).catch((error: unknown) => ({ error: String(error).slice(0, 300) }))), load: load() };
    console.log(JSON.stringify(row));
    rows.push(row);
  }
}
for (const dist of VARIANTS) {
  const mine = rows.filter((row) => row['dist'] === dist && row['joinCpuS'] !== undefined);
  const mean = (key: string): number => round(mine.reduce((sum, row) => sum + (row[key] as number), 0) / Math.max(1, mine.length), 3);
  console.log(`${dist}: ${mine.length} runs, ready ${mean('readyS')} s, join ${mean('joinCpuS')} CPU s/tab, idle ${mean('idleMs')} ms/s/tab (coordinator ${mean('coordIdleMs')})`);
}
