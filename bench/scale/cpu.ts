/**
 * CPU time of a local cluster's browsers, by process kind, from Chromium's
 * own accounting (CDP `SystemInfo.getProcessInfo`: each live process's
 * cumulative CPU seconds, all its threads: a renderer's main thread, its Web
 * Workers, its compositor). CPU seconds are what a join storm spends on a
 * 2-core machine, and the load of other sessions disturbs them far less than
 * wall time.
 *
 *   const before = await browsersCpu(cluster.browsers);
 *   ...
 *   const spent = cpuDelta(before, await browsersCpu(cluster.browsers));   // { renderer: 12.3, gpu: 1.1, ... , total }
 */
import type { Browser } from 'playwright-core';
import type { LocalCluster, PipeBrowser } from '@shoal/launcher';

/** CPU seconds by process kind (`browser`, `renderer`, `gpu-process`, `utility`, ...) and `total`. */
export type CpuByKind = Record<string, number>;

/** CPU seconds so far of every live process of `browsers`, summed by kind. */
export async function browsersCpu(browsers: readonly Browser[]): Promise<CpuByKind> {
  const out: CpuByKind = { total: 0 };
  for (const browser of browsers) {
    const session = await browser.newBrowserCDPSession();
    const info = (await session.send('SystemInfo.getProcessInfo' as never)) as unknown as { processInfo: Array<{ type: string; id: number; cpuTime: number }> };
    for (const { type, cpuTime } of info.processInfo) {
      out[type] = (out[type] ?? 0) + cpuTime;
      out['total']! += cpuTime;
    }
    await session.detach();
  }
  return out;
}

/** `after - before`, kind by kind (a kind only in `after` counts from zero). */
export function cpuDelta(before: CpuByKind, after: CpuByKind): CpuByKind {
  const out: CpuByKind = {};
  for (const [kind, seconds] of Object.entries(after)) out[kind] = seconds - (before[kind] ?? 0);
  return out;
}

/** How many live processes of each kind `browsers` have (renderers shared by tabs show here). */
export async function processCounts(browsers: readonly Browser[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const browser of browsers) {
    const session = await browser.newBrowserCDPSession();
    const info = (await session.send('SystemInfo.getProcessInfo' as never)) as unknown as { processInfo: Array<{ type: string }> };
    for (const { type } of info.processInfo) out[type] = (out[type] ?? 0) + 1;
    await session.detach();
  }
  return out;
}

/** CPU seconds so far of every process of a cluster: its Playwright browsers and, with `detachedWorkers`, its worker tabs' browsers. */
export async function clusterCpu(cluster: Pick<LocalCluster, 'browsers' | 'tabBrowsers'>): Promise<CpuByKind> {
  const out = await browsersCpu(cluster.browsers);
  for (const { type, cpuTime } of await tabProcesses(cluster.tabBrowsers)) {
    out[type] = (out[type] ?? 0) + cpuTime;
    out['total']! += cpuTime;
  }
  return out;
}

/** `processCounts` of a whole cluster (its detached worker tabs' browsers too). */
export async function clusterProcessCounts(cluster: Pick<LocalCluster, 'browsers' | 'tabBrowsers'>): Promise<Record<string, number>> {
  const out = await processCounts(cluster.browsers);
  for (const { type } of await tabProcesses(cluster.tabBrowsers)) out[type] = (out[type] ?? 0) + 1;
  return out;
}

async function tabProcesses(browsers: readonly PipeBrowser[]): Promise<Array<{ type: string; id: number; cpuTime: number }>> {
  return (await Promise.all(browsers.map((browser) => browser.processes()))).flat();
}
