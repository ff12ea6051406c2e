/**
 * What bench/scale.ts reads off a running local cluster: the coordinator's
 * CPU (Chromium's own TaskDuration, through CDP), memory per tab (PSS of
 * every process of the cluster's browsers, from /proc), and each worker
 * tab's link counts.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { LocalCluster, PipeBrowser } from '@shoal/launcher';

/** Seconds of main-thread work the coordinator tab has done so far. */
export async function coordinatorCpuSeconds(page: Page): Promise<() => Promise<number>> {
  const session = await page.context().newCDPSession(page);
  await session.send('Performance.enable');
  return async () => {
    const { metrics } = await session.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0;
  };
}

/** PSS in bytes of every process of `browsers` (browser, GPU, utility, renderers), and of `tabBrowsers` (detached worker tabs). */
export async function browsersPss(browsers: readonly Browser[], tabBrowsers: readonly PipeBrowser[] = []): Promise<number> {
  let total = 0;
  for (const browser of tabBrowsers) for (const { id } of await browser.processes()) total += pssOf(id);
  for (const browser of browsers) {
    const session = await browser.newBrowserCDPSession();
    const info = (await session.send('SystemInfo.getProcessInfo' as never)) as unknown as { processInfo: Array<{ id: number }> };
    for (const { id } of info.processInfo) total += pssOf(id);
    await session.detach();
  }
  return total;
}

function pssOf(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const match = /^Pss:\s+(\d+) kB/m.exec(text);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface LinkFigures {
  /** Mean and most on-demand links per worker tab now. */
  meanOnDemand: number;
  maxOnDemand: number;
  /** The most any tab ever had at once, and the cap. */
  peakOnDemand: number;
  cap: number;
  /** Links per worker tab in all (on demand + to the coordinator), mean. */
  meanLinks: number;
}

export async function linkFigures(cluster: LocalCluster): Promise<LinkFigures> {
  type Links = ReturnType<NonNullable<NonNullable<typeof window.shoalWorker>['links']>>;
  const all =
    cluster.workerTabs.length > 0
      ? await Promise.all(cluster.workerTabs.map((tab) => tab.evaluate<Links>('window.shoalWorker?.links?.() ?? null')))
      : await Promise.all(cluster.workers.map((page) => page.evaluate(() => window.shoalWorker?.links?.() ?? null)));
  const stats = all.filter((s) => s !== null);
  const n = Math.max(1, stats.length);
  return {
    meanOnDemand: stats.reduce((s, x) => s + x.onDemand, 0) / n,
    maxOnDemand: Math.max(0, ...stats.map((x) => x.onDemand)),
    peakOnDemand: Math.max(0, ...stats.map((x) => x.maxOnDemand)),
    cap: stats[0]?.cap ?? 0,
    meanLinks: stats.reduce((s, x) => s + x.onDemand + x.pinned, 0) / n,
  };
}
