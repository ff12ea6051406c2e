/**
 * Where one worker tab's join CPU goes: opens tabs one at a time into a
 * running cluster and, for each, reads the browsers' CPU by process kind
 * around it (CDP SystemInfo, until 1 s after it is ready), its main-thread
 * metrics, the coordinator's main-thread time for the join, and JS CPU
 * profiles of both (CDP Profiler).
 *
 *   npx tsx bench/scale/tab-profile.ts [--tabs 8] [--extra 3] [--query gpu=0&bench=0] [--variant join|noroom|blank] [--tabs-per-process K]
 *
 * --tabs-per-process: K worker tabs share a renderer process (the launcher's `tabsPerProcess`), and the
 * extra tabs open straight at their URL into them (directTabs.ts).
 *
 * --variant: `join` (the worker page joining), `noroom` (the worker page
 * without a room: its modules load and it draws, but joins nothing), `blank`
 * (a 404 page: what any tab costs Playwright and Chromium).
 */
import { loadavg } from 'node:os';
import { DirectTabs, startLocalCluster } from '@shoal/launcher';
import { browsersCpu, cpuDelta } from './cpu.ts';
import { startProfile } from './profileTop.ts';
import { arg } from '../common.ts';

const TABS = Number(arg('tabs') ?? 8);
const EXTRA = Number(arg('extra') ?? 3);
const QUERY = arg('query') ?? 'gpu=0&bench=0';
const VARIANT = arg('variant') ?? 'join';
const PROCESSES = Number(arg('tabs-per-process') ?? 0);
const round = (x: number): number => Number(x.toFixed(3));

const cluster = await startLocalCluster({ workers: TABS, browsers: 1, slotsPerWorker: 1, workerQuery: () => QUERY, readyTimeoutMs: 300_000, ...(PROCESSES > 0 ? { tabsPerProcess: PROCESSES } : {}) });
try {
  const template = new URL(cluster.workers[0]!.url());
  const coordinator = await cluster.context.newCDPSession(cluster.coordinator);
  await coordinator.send('Performance.enable');
  const coordinatorTask = async (): Promise<number> => (await coordinator.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0;
  const coordinatorProfile = await startProfile(coordinator);
  const workerContext = cluster.contexts[0]!;
  const direct = PROCESSES > 0 ? await DirectTabs.for(workerContext, cluster.workers[0]!) : null;
  for (let i = 0; i < EXTRA; i++) {
    const url = new URL(template);
    url.searchParams.set('name', `x${i}`);
    if (VARIANT === 'noroom') url.searchParams.delete('room');
    if (VARIANT === 'blank') url.pathname = url.pathname.replace('worker.html', 'nonexistent.txt');
    // A direct tab exists only once opened: its CPU is counted from before the open, its JS profile and
    // main-thread metrics from its load on (and, its process being shared, they include its neighbours).
    const before0 = direct ? await browsersCpu(cluster.browsers) : null;
    const coordinatorDirect0 = direct ? await coordinatorTask() : null;
    const started0 = performance.now();
    const page = direct ? await direct.open(url.toString(), 120_000) : await workerContext.newPage();
    const session = await workerContext.newCDPSession(page);
    await session.send('Performance.enable');
    const profile = await startProfile(session);
    const before = before0 ?? (await browsersCpu(cluster.browsers));
    const coordinator0 = coordinatorDirect0 ?? (await coordinatorTask());
    const started = direct ? started0 : performance.now();
    if (!direct) await page.goto(url.toString(), { waitUntil: 'load' });
    if (VARIANT === 'join') await page.waitForFunction(() => window.shoalWorker?.status().coordinator === 'open', undefined, { polling: 50, timeout: 120_000 });
    const readyMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 1000)); // what follows the join (hello, first heartbeat, redraws)
    const spent = cpuDelta(before, await browsersCpu(cluster.browsers));
    const coordinatorMainS = (await coordinatorTask()) - coordinator0;
    const top = await profile();
    const { metrics } = await session.send('Performance.getMetrics');
    const main = Object.fromEntries(metrics.filter((m) => /Duration$/.test(m.name)).map((m) => [m.name, round(m.value)]));
    console.log(JSON.stringify({ tab: i, variant: VARIANT, readyMs: Math.round(readyMs), cpuS: Object.fromEntries(Object.entries(spent).map(([k, v]) => [k, round(v)])), mainThreadS: main, coordinatorMainS: round(coordinatorMainS), load: loadavg()[0]!.toFixed(1) }));
    console.log(`  tab JS, self: ${top.self.join(' | ')}`);
    await session.detach();
  }
  const top = await coordinatorProfile();
  console.log(`coordinator JS over the ${EXTRA} joins, total: ${top.total.join(' | ')}`);
} finally {
  await cluster.close();
}
