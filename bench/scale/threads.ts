/**
 * Where an idle room's CPU goes, thread by thread: starts a local cluster of
 * N one-slot worker tabs, lets it settle, and reads /proc/<pid>/task/<tid>/stat
 * of every process of its browsers over a window, summed by process kind and
 * thread name, up to ready (each thread's whole life, the cluster's own start-up
 * included: compare with --tabs 0) and idle after it (CrRendererMain, DedicatedWorker thread, WebRTC_Network,
 * Compositor, ThreadPoolForeg…), in ms per second per worker tab. Linux only.
 *
 *   npx tsx bench/scale/threads.ts [--tabs 16] [--tabs-per-process 8] [--window 8000] [--query gpu=0&bench=0] [--by-pid] [--detached] [--chromium "--flag …"]
 *
 * --detached: worker tabs with nothing attached (the launcher's `detachedWorkers`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Browser } from 'playwright-core';
import { startLocalCluster, type PipeBrowser } from '@shoal/launcher';
import { arg } from '../common.ts';

const TABS = Number(arg('tabs') ?? 16);
const PER = Number(arg('tabs-per-process') ?? 8);
const WINDOW_MS = Number(arg('window') ?? 8000);
const QUERY = arg('query') ?? 'gpu=0&bench=0';
const TICKS = 100;
/** `--by-pid`: keep processes apart (the coordinator's renderer is then the one whose main thread is busiest). */
const BY_PID = process.argv.includes('--by-pid'); // USER_HZ on Linux

/** Every process of `browsers` and `tabBrowsers`, with its kind (browser, renderer, GPU, ...). */
async function processes(browsers: readonly Browser[], tabBrowsers: readonly PipeBrowser[]): Promise<Array<{ pid: number; kind: string }>> {
  const out: Array<{ pid: number; kind: string }> = [];
  for (const browser of tabBrowsers) for (const { type, id } of await browser.processes()) out.push({ pid: id, kind: type });
  for (const browser of browsers) {
    const session = await browser.newBrowserCDPSession();
    const info = (await session.send('SystemInfo.getProcessInfo' as never)) as unknown as { processInfo: Array<{ type: string; id: number }> };
    for (const { type, id } of info.processInfo) out.push({ pid: id, kind: type });
    await session.detach();
  }
  return out;
}

/** CPU ticks by `kind/thread name`, summed over threads (thread ids kept apart, so `read` can diff). */
function threadTicks(procs: Array<{ pid: number; kind: string }>): Map<string, { key: string; ticks: number }> {
  const out = new Map<string, { key: string; ticks: number }>();
  for (const { pid, kind } of procs) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '').trim();
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(`${pid}/${tid}`, { key: BY_PID ? `${kind} ${pid}/${name}` : `${kind}/${name}`, ticks: Number(fields[11]) + Number(fields[12]) });
      } catch {
        // the thread ended
      }
    }
  }
  return out;
}

const DETACHED = process.argv.includes('--detached');
/** `--chromium "--flag …"`: extra Chromium flags for every browser of the cluster. */
const CHROMIUM = (arg('chromium') ?? '').split(' ').filter(Boolean);
const cluster = await startLocalCluster({ workers: TABS, browsers: 2, slotsPerWorker: 1, workerQuery: () => QUERY, readyTimeoutMs: 300_000, detachedWorkers: DETACHED, browserArgs: CHROMIUM, ...(PER > 0 ? { tabsPerProcess: PER } : {}) });
try {
  console.log(`ready in ${((cluster.timings.workerTabsMs + cluster.timings.workersReadyMs) / 1000).toFixed(1)} s`);
  const procs = await processes(cluster.browsers, cluster.tabBrowsers);
  const perTab = (ticks: number, seconds = WINDOW_MS / 1000): string => ((ticks * (1000 / TICKS)) / seconds / Math.max(1, TABS)).toFixed(2);
  // Up to ready: every thread's whole life (the cluster's own start-up included: compare with --tabs 0), in ms per tab.
  const life = new Map<string, number>();
  for (const { key, ticks } of threadTicks(procs).values()) life.set(key, (life.get(key) ?? 0) + ticks);
  const lifeTotal = [...life.values()].reduce((a, b) => a + b, 0);
  console.log(`up to ready: ${perTab(lifeTotal, 1)} ms CPU per worker tab in all`);
  for (const [key, ticks] of [...life].sort((a, b) => b[1] - a[1]).slice(0, BY_PID ? 40 : 20)) if (ticks > 0) console.log(`  ${perTab(ticks, 1).padStart(7)}  ${key}`);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const before = threadTicks(procs);
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
  const after = threadTicks(procs);
  const sums = new Map<string, number>();
  let total = 0;
  for (const [id, { key, ticks }] of after) {
    const spent = ticks - (before.get(id)?.ticks ?? 0);
    sums.set(key, (sums.get(key) ?? 0) + spent);
    total += spent;
  }
  console.log(`idle: ${perTab(total)} ms/s per worker tab in all (${TABS} tabs, ${procs.length} processes, load ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
  for (const [key, ticks] of [...sums].sort((a, b) => b[1] - a[1]).slice(0, BY_PID ? 40 : 25)) if (ticks > 0) console.log(`  ${perTab(ticks).padStart(6)}  ${key}`);
} finally {
  await cluster.close();
}
