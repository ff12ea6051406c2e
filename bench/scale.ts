/**
 * A classroom of tabs on this machine, and a room of 1,000 and 10,000 by
 * simulation.
 *
 *   npm run bench:scale        (or: npx tsx bench/scale.ts [--tabs 8,16,32,64,128] [--browsers 2] [--tabs-per-process K] [--ready-timeout MS] [--attached] [--open N] [--no-sim] [--sim-only])
 *
 * --ready-timeout: how long tabs get to load and join (default: the launcher's, 30 s + 0.5 s per tab)
 * --tabs-per-process: worker tabs sharing one renderer process (the launcher's `tabsPerProcess`; default 8, 0 for a process per tab)
 * --open N: the launcher's `openConcurrency` (default 8)
 * --coordinator-query Q: the coordinator tab's extra link parameters (default `ui=0`: its dashboard hidden, since
 *          no one looks at it, which took the coordinator's main thread from 39-44% busy to 17% in the 10k job at
 *          64 tabs; `--coordinator-query ''` draws it)
 * --attached: worker tabs Playwright attaches to, as `shoal run` opens them; by default they open with nothing
 *          attached (the launcher's `detachedWorkers`: plain CDP in browsers of their own, the coordinator alone
 *          in a Playwright browser), as a volunteer's tab, which no DevTools client watches
 * --query: the worker tabs' extra link parameters (default `gpu=0&bench=0&ui=0`: no GPU, no speed test, and
 *          nothing drawn, since no one looks at these tabs; `--query gpu=0&bench=0` draws them)
 *
 * For each tab count N: a local cluster of N one-slot worker tabs dealt over
 * --browsers Chromium processes (default 2), and
 *   ready       from opening the first worker tab until the coordinator sees all N ready (ms)
 *   10k         bench/jobs/tasks-trivial.js: 10,000 trivial tasks (checked), tasks/s
 *   coordCpu    the coordinator tab's main-thread busy fraction during the 10k job
 *               (Chromium's TaskDuration over wall time; 1.0 = one core saturated)
 *   links       worker tabs' peer links after bench/jobs/scale-links.js (a broadcast
 *               and a ring of worker-to-worker objects): mean, and the most any tab had
 *               on demand at once, against the cap
 *   MB/tab      PSS of every process of the cluster's browsers ÷ (N + 1 tabs)
 *   CPU s/tab   CPU seconds of every process of the browsers once all N are ready, less
 *               those of the same cluster with no worker tab, ÷ N: what one tab costs
 *               from opening to ready (bench/scale/cpu.ts; the load disturbs it far
 *               less than wall time)
 *   idle        CPU of the whole cluster over 3 s once ready and before the job, in
 *               ms per second per tab (heartbeats, WebRTC timers, idle renderers)
 *   renderers   renderer processes of the browsers once ready (one per tab and a few more, or about N / --tabs-per-process)
 * then the simulation (packages/sim) for 1,000 and 10,000 workers: join storm
 * over 10 s, trivial-task and 1 s-task throughput, links per tab, the
 * coordinator's busy fraction and message rate, and the full mesh's cost.
 *
 * One JSON line per measurement, then a table. The machine's load average is
 * printed with each line: on a shared 2-core machine it is part of the figure.
 */
import { loadavg } from 'node:os';
import { startLocalCluster, type LocalCluster } from '@shoal/launcher';
import { fullMeshCost, simulateJoin, simulateTasks } from '@shoal/sim';
import { arg, runJobFile } from './common.ts';
import { browsersPss, coordinatorCpuSeconds, linkFigures } from './scale/measure.ts';
import { clusterCpu, clusterProcessCounts } from './scale/cpu.ts';

const TABS = (arg('tabs') ?? '8,16,32,64,128').split(',').map(Number);
const BROWSERS = Number(arg('browsers') ?? 2);
const PROCESSES = Number(arg('tabs-per-process') ?? 8);
const SHARED = PROCESSES > 0 ? { tabsPerProcess: PROCESSES } : {};
const QUERY = arg('query') ?? 'gpu=0&bench=0&ui=0';
const SIM = !process.argv.includes('--no-sim');
/** `--attached`: worker tabs Playwright attaches to (the launcher's default); else `detachedWorkers` (nothing attached, as a volunteer's tab). */
const DETACHED = process.argv.includes('--attached') ? {} : { detachedWorkers: true };
/** `--open N`: tabs loading at once (attached), or opened and not yet ready (detached); the launcher's `openConcurrency`. */
/** `--coordinator-query Q`: the coordinator tab's extra link parameters (default `ui=0`: its dashboard hidden; `''` draws it). */
const COORDINATOR = { coordinatorQuery: arg('coordinator-query') ?? 'ui=0' };
const OPEN = arg('open') === undefined ? {} : { openConcurrency: Number(arg('open')) };
const READY_TIMEOUT = arg('ready-timeout') === undefined ? {} : { readyTimeoutMs: Number(arg('ready-timeout')) };
const REAL = !process.argv.includes('--sim-only');
const load = (): string => loadavg().map((x) => x.toFixed(1)).join(' ');

interface Row {
  tabs: number;
  readyMs?: number;
  tasksPerSec?: number;
  coordinatorCpu?: number;
  meanLinks?: number;
  peakOnDemand?: number;
  cap?: number;
  mbPerTab?: number;
  cpuPerTabS?: number;
  idleMsPerTabPerS?: number;
  renderers?: number;
  error?: string;
  load: string;
}

const IDLE_MS = 3000;
let baseCpuS: number | null = null;

/** CPU seconds of the browsers of a cluster with no worker tab, once started (what `CPU s/tab` subtracts). */
async function baseCpu(): Promise<number> {
  const cluster = await startLocalCluster({ workers: 0, browsers: BROWSERS, slotsPerWorker: 1, ...SHARED, ...DETACHED, ...COORDINATOR });
  try {
    return (await clusterCpu(cluster))['total']!;
  } finally {
    await cluster.close();
  }
}

async function measure(tabs: number): Promise<Row> {
  let cluster: LocalCluster | undefined;
  let ready: { readyMs: number } | Record<string, never> = {};
  try {
    baseCpuS ??= await baseCpu();
    cluster = await startLocalCluster({ workers: tabs, browsers: Math.min(BROWSERS, tabs), slotsPerWorker: 1, workerQuery: () => QUERY, ...SHARED, ...DETACHED, ...OPEN, ...COORDINATOR, ...READY_TIMEOUT });
    const readyMs = cluster.timings.workerTabsMs + cluster.timings.workersReadyMs;
    ready = { readyMs };
    console.log(JSON.stringify({ tabs, readyMs, load: load() }));
    const readyCpuS = (await clusterCpu(cluster))['total']!;
    const renderers = (await clusterProcessCounts(cluster))['renderer'] ?? 0;
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idleCpuS = (await clusterCpu(cluster))['total']! - readyCpuS;
    const cpu = await coordinatorCpuSeconds(cluster.coordinator);
    const cpu0 = await cpu();
    const t0 = performance.now();
    const trivial = await runJobFile(cluster, 'bench/jobs/tasks-trivial.js');
    const coordinatorCpu = (await cpu()) - cpu0;
    const wallS = (performance.now() - t0) / 1000;
    await runJobFile(cluster, 'bench/jobs/scale-links.js');
    const links = await linkFigures(cluster);
    const pss = await browsersPss(cluster.browsers, cluster.tabBrowsers);
    return {
      tabs,
      readyMs,
      tasksPerSec: Math.round(trivial['tasksPerSec']!),
      coordinatorCpu: Number((coordinatorCpu / wallS).toFixed(2)),
      meanLinks: Number(links.meanLinks.toFixed(2)),
      peakOnDemand: links.peakOnDemand,
      cap: links.cap,
      mbPerTab: Math.round(pss / (tabs + 1) / 2 ** 20),
      cpuPerTabS: Number(((readyCpuS - baseCpuS) / tabs).toFixed(2)),
      idleMsPerTabPerS: Number(((idleCpuS * 1000) / tabs / (IDLE_MS / 1000)).toFixed(1)),
      renderers,
      load: load(),
    };
  } catch (error) {
    return { tabs, ...ready, error: error instanceof Error ? error.message.split('\n')[0]! : String(error), load: load() };
  } finally {
    await cluster?.close();
  }
}

function simulate(): void {
  for (const workers of [1_000, 10_000]) {
    const join = simulateJoin({ workers, arrivalWindowMs: 10_000 });
    const mesh = fullMeshCost(workers);
    const trivial = simulateTasks({ workers, tasks: 20_000, taskMs: 1 });
    const second = simulateTasks({ workers, tasks: 4 * workers * 2, taskMs: 1000 });
    const line = {
      sim: workers,
      joinAllReadyS: Number((join.allReadyMs / 1000).toFixed(1)),
      joinMedianMs: Math.round(join.medianJoinMs),
      signalingPerJoin: join.signalingPerJoin,
      joinCoordinatorBusy: Number(join.coordinatorBusy.toFixed(2)),
      linksPerWorker: join.linksPerWorker,
      linksAtCoordinator: workers,
      fullMeshSignalingPerJoin: Math.round(mesh.signalingPerJoin),
      fullMeshServerS: Math.round(mesh.serverMs / 1000),
      fullMeshLinksPerWorker: mesh.linksPerWorker,
      trivialTasksPerSec: Math.round(trivial.tasksPerSec),
      trivialCoordinatorBusy: Number(trivial.coordinatorBusy.toFixed(2)),
      trivialCoordinatorMsgsPerSec: Math.round(trivial.coordinatorMsgsPerSec),
      oneSecondTasksPerSec: Math.round(second.tasksPerSec),
      oneSecondIdealPerSec: Math.round(second.idealTasksPerSec),
      oneSecondCoordinatorBusy: Number(second.coordinatorBusy.toFixed(2)),
      oneSecondCoordinatorMsgsPerSec: Math.round(second.coordinatorMsgsPerSec),
      stepWallUs: Number(second.stepWallUs.toFixed(1)),
    };
    console.log(JSON.stringify(line));
  }
}

const rows: Row[] = [];
if (REAL) {
  for (const tabs of TABS) {
    const row = await measure(tabs);
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  console.log('\n tabs  ready(s)  10k tasks/s  coord CPU  links/tab (peak on demand / cap)  MB/tab  CPU s/tab  idle ms/s/tab  renderers  load');
  for (const r of rows) {
    if (r.error) {
      const readyText = r.readyMs === undefined ? '' : `all ready in ${(r.readyMs / 1000).toFixed(1)} s, then `;
      console.log(`${String(r.tabs).padStart(5)}  failed: ${readyText}${r.error}  (load ${r.load})`);
      continue;
    }
    console.log(
      `${String(r.tabs).padStart(5)}  ${(r.readyMs! / 1000).toFixed(1).padStart(8)}  ${String(r.tasksPerSec).padStart(11)}  ${r.coordinatorCpu!.toFixed(2).padStart(9)}  ${r.meanLinks!.toFixed(2).padStart(9)} (${r.peakOnDemand} / ${r.cap})${' '.repeat(16)}  ${String(r.mbPerTab).padStart(6)}  ${r.cpuPerTabS!.toFixed(2).padStart(9)}  ${r.idleMsPerTabPerS!.toFixed(1).padStart(13)}  ${String(r.renderers).padStart(9)}  ${r.load}`,
    );
  }
}
if (SIM) {
  console.log('\nsimulation (packages/sim): 1,000 and 10,000 workers × 4 slots, joins spread over 10 s');
  simulate();
}
