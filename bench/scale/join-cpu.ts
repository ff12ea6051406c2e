/**
 * CPU seconds one worker tab costs from opening to ready, by process kind.
 *
 *   npx tsx bench/scale/join-cpu.ts [--tabs 16,32] [--browsers 2] [--query gpu=0&bench=0] [--chromium "--flag"] [--tabs-per-process K]
 *
 * For each N: a local cluster of N one-slot worker tabs (over --browsers
 * Chromium processes), and the CPU of every browser process once all are
 * ready, less that of the same cluster with no worker tab (measured first),
 * divided by N. Also this Node process's CPU (the signaling server and
 * Playwright), and what the ready cluster costs idle over 5 s, per tab and
 * second (the coordinator's main thread apart; --profile-idle prints the JS
 * the coordinator and one worker ran meanwhile).
 * The load average is printed: wall times move with it, CPU seconds much less.
 */
import { loadavg } from 'node:os';
import { startLocalCluster } from '@shoal/launcher';
import { browsersCpu, cpuDelta, processCounts, type CpuByKind } from './cpu.ts';
import { startProfile } from './profileTop.ts';
import { arg } from '../common.ts';

const TABS = (arg('tabs') ?? '16,32').split(',').map(Number);
const BROWSERS = Number(arg('browsers') ?? 2);
const QUERY = arg('query') ?? 'gpu=0&bench=0';
/** Extra Chromium flags, space-separated (e.g. `--renderer-process-limit=4`). */
const CHROMIUM = (arg('chromium') ?? '').split(' ').filter(Boolean);
const PROCESSES = Number(arg('tabs-per-process') ?? 0);
const IDLE_MS = 5000;
const load = (): string => loadavg().map((x) => x.toFixed(1)).join(' ');

async function measure(tabs: number): Promise<{ cpu: CpuByKind; idle: CpuByKind; nodeS: number; wallS: number; readyS: number; processes: Record<string, number> }> {
  const node0 = process.cpuUsage();
  const t0 = performance.now();
  const cluster = await startLocalCluster({ workers: tabs, browsers: Math.max(1, Math.min(BROWSERS, tabs || BROWSERS)), slotsPerWorker: 1, workerQuery: () => QUERY, readyTimeoutMs: 600_000, browserArgs: CHROMIUM, ...(PROCESSES > 0 ? { tabsPerProcess: PROCESSES } : {}) });
  try {
    const wallS = (performance.now() - t0) / 1000;
    const cpu = await browsersCpu(cluster.browsers);
    const processes = await processCounts(cluster.browsers);
    const node = process.cpuUsage(node0);
    // What the joined cluster costs while idle (heartbeats, redraws): tabs that joined early pay it while the rest join.
    const watched = await Promise.all([cluster.coordinator].map(async (page) => {
      const session = await page.context().newCDPSession(page);
      await session.send('Performance.enable');
      const read = async () => (await session.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0;
      return { read, start: await read() };
    }));
    const profiles = process.argv.includes('--profile-idle') && tabs > 0
      ? await Promise.all([cluster.coordinator, cluster.workers[0]!].map(async (page) => startProfile(await page.context().newCDPSession(page))))
      : [];
    const idle0 = await browsersCpu(cluster.browsers);
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idle = cpuDelta(idle0, await browsersCpu(cluster.browsers));
    for (const [i, stop] of profiles.entries()) {
      const top = await stop();
      console.log(`idle ${i === 0 ? 'coordinator' : 'worker'} ${IDLE_MS} ms, self: ${top.self.join(' | ')}\n   total: ${top.total.join(' | ')}`);
    }
    const mains = await Promise.all(watched.map(async (w) => ((await w.read()) - w.start) / (IDLE_MS / 1000)));
    idle['coordinatorMain'] = mains[0]! * (IDLE_MS / 1000);
    return { processes, cpu, idle, nodeS: (node.user + node.system) / 1e6, wallS, readyS: (cluster.timings.workerTabsMs + cluster.timings.workersReadyMs) / 1000 };
  } finally {
    await cluster.close();
  }
}

const round = (x: number, d = 2): number => Number(x.toFixed(d));
const base = await measure(0);
console.log(JSON.stringify({ tabs: 0, cpu: Object.fromEntries(Object.entries(base.cpu).map(([k, v]) => [k, round(v)])), idlePerS: round(base.idle['total']! / (IDLE_MS / 1000), 3), nodeS: round(base.nodeS), load: load() }));
for (const tabs of TABS) {
  const m = await measure(tabs);
  const perTab = Object.fromEntries(Object.entries(cpuDelta(base.cpu, m.cpu)).map(([k, v]) => [k, round(v / tabs, 3)]));
  console.log(
    JSON.stringify({
      tabs,
      cpuPerTabS: perTab,
      idleCpuPerTabPerS: Object.fromEntries(Object.entries(m.idle).map(([k, v]) => [k, round(v / tabs / (IDLE_MS / 1000), 4)])),
      nodePerTabS: round((m.nodeS - base.nodeS) / tabs, 3),
      readyS: round(m.readyS, 1),
      processes: m.processes,
      wallS: round(m.wallS, 1),
      load: load(),
    }),
  );
}
