/**
 * A local cluster's worker tabs with nothing attached (`detachedWorkers`,
 * cluster.ts): opened by plain CDP in browsers Playwright does not drive
 * (pipeBrowser.ts), paced by what the coordinator says rather than by each
 * page's load event, and read only when something asks (why a tab is not
 * ready, a benchmark's link figures), by attaching for that one call.
 */
import type { Page } from 'playwright-core';
import { PipeBrowser, type PipeBrowserOptions } from './pipeBrowser.ts';
import type { RecentErrors } from './pages.ts';
import { browserFor } from './spread.ts';

/** What a worker page reports to someone reading it (`window.shoalWorker.status()` and the page's connection line). */
export interface TabStatus {
  peerId: string | null;
  connection: string;
  coordinator: string;
  text: string;
}

/** The expression that reads a worker page's status (null before `window.shoalWorker` is set). */
export const STATUS_EXPRESSION =
  "window.shoalWorker ? { ...window.shoalWorker.status(), text: document.getElementById('connection')?.textContent ?? '' } : null";

/** A worker tab nothing is attached to. */
export interface DetachedTab {
  /** `w1`, `w2`, ...: its `name=`, which the coordinator lists. */
  readonly name: string;
  /** Index into `LocalCluster.tabBrowsers`. */
  readonly browser: number;
  readonly targetId: string;
  /** Evaluates an expression in the page (attaching for this call only) and returns its value as JSON. */
  evaluate<T>(expression: string): Promise<T>;
  /** Closes the tab (as a volunteer closing it would). */
  close(): Promise<void>;
}

/**
 * Opens tabs `1..count` with at most `window` of them opened and not yet
 * ready: tab i waits until `ready(i - window)` resolves (the coordinator
 * lists i - window workers). A wait that fails stops the pacing, not the
 * opening: the remaining tabs open at once and the caller's readiness wait
 * reports what is missing.
 */
export async function openPaced(count: number, window: number, open: (index: number) => Promise<void>, ready: (count: number) => Promise<void>): Promise<void> {
  const lanes = Math.max(1, Math.floor(window));
  let paced = true;
  for (let index = 1; index <= count; index++) {
    if (paced && index > lanes) paced = await ready(index - lanes).then(() => true, () => false);
    await open(index);
  }
}

/** The browsers of detached worker tabs, and the tabs. */
export class DetachedWorkers {
  readonly tabs: DetachedTab[] = [];

  private constructor(
    readonly browsers: PipeBrowser[],
    /** Tab names by target id, for crash reports. */
    private readonly names: Map<string, string>,
  ) {}

  /** Starts `count` pipe browsers; a failure closes the ones that started. */
  static async launch(count: number, options: Omit<PipeBrowserOptions, 'onCrash'>, errors: RecentErrors): Promise<DetachedWorkers> {
    const names = new Map<string, string>();
    const onCrash = (targetId: string | null): void => {
      if (targetId === null) errors.add('[worker tabs] a browser exited');
      else errors.add(`[${names.get(targetId) ?? targetId}] page crashed`);
    };
    const settled = await Promise.allSettled(Array.from({ length: count }, () => PipeBrowser.launch({ ...options, onCrash })));
    const browsers = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const failed = settled.find((outcome) => outcome.status === 'rejected');
    if (failed) {
      await Promise.all(browsers.map((browser) => browser.close()));
      throw failed.reason;
    }
    return new DetachedWorkers(browsers, names);
  }

  /** Opens worker tab `index` (1-based) at `url`, in browser `browserFor(index)`, without waiting for it to load. */
  async open(index: number, name: string, url: string): Promise<DetachedTab> {
    const b = browserFor(index, this.browsers.length);
    const browser = this.browsers[b]!;
    const targetId = await browser.open(url);
    this.names.set(targetId, name);
    const tab: DetachedTab = {
      name,
      browser: b,
      targetId,
      evaluate: (expression) => browser.evaluate(targetId, expression),
      close: () => browser.closeTab(targetId),
    };
    this.tabs[index - 1] = tab;
    return tab;
  }

  /**
   * The tabs the coordinator does not list (by name), each with what its page
   * says, as `waitForWorkerCount` reports them; `''` when all are listed.
   */
  async notReady(coordinator: Page, timeoutMs = 5_000): Promise<string> {
    if (this.tabs.length === 0) return '';
    const listed = new Set(await coordinator.evaluate(() => window.shoalCoordinator!.workers().map((w) => w.name ?? '')).catch(() => [] as string[]));
    const missing = this.tabs.filter((tab) => tab !== undefined && !listed.has(tab.name));
    const lines = await Promise.all(
      missing.map(async (tab) => {
        const status = await Promise.race([
          tab.evaluate<TabStatus | null>(STATUS_EXPRESSION).catch(() => null),
          new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs).unref()),
        ]);
        return status ? `${tab.name} (${status.peerId ?? 'no peer id'}): ${status.connection}, coordinator ${status.coordinator} ("${status.text.slice(0, 200)}")` : `${tab.name}: its page did not answer`;
      }),
    );
    if (lines.length === 0) return '';
    return `; not listed by the coordinator: ${lines.slice(0, 16).join('; ')}${lines.length > 16 ? `; and ${lines.length - 16} more` : ''}`;
  }

  async close(): Promise<void> {
    await Promise.all(this.browsers.map((browser) => browser.close().catch(() => undefined)));
  }
}
