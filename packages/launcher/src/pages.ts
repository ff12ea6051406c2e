/**
 * Opening Shoal's pages in a Playwright context and watching them. Functions
 * passed to `evaluate` / `waitForFunction` are shipped as source, so they stay
 * tiny and self-contained (no inner named functions: tsx's keepNames would
 * wrap those in a `__name` helper that the page lacks).
 */
import type { BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { ShoalError } from '@shoal/protocol';

export type PageLogger = (source: string, text: string) => void;

const PROGRESS_INTERVAL_MS = 500;

/** The last few errors from any page, to explain a failed startup. */
export class RecentErrors {
  readonly #lines: string[] = [];
  constructor(private readonly limit = 8) {}

  add(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.limit) this.#lines.shift();
  }

  /** `''` when there were none, else a suffix for an error message. */
  describe(): string {
    return this.#lines.length === 0 ? '' : `; recent page errors:\n  ${this.#lines.join('\n  ')}`;
  }
}

/**
 * Forwards a page's console messages, uncaught errors and crashes to `log`
 * (labelled `source`, e.g. `coordinator` or `w1`), and records errors in
 * `errors`. Messages from the page's Web Workers carry a `(worker)` suffix.
 */
export function watchPage(page: Page, source: string, log: PageLogger | undefined, errors: RecentErrors): void {
  page.on('console', (message: ConsoleMessage) => {
    const from = message.worker() === null ? source : `${source} (worker)`;
    const type = message.type();
    // Browsers ask for /favicon.ico on their own; its 404 is noise.
    if (type === 'error' && message.location().url.endsWith('/favicon.ico')) return;
    const text = type === 'log' || type === 'info' ? message.text() : `${type}: ${message.text()}`;
    if (type === 'error') errors.add(`[${from}] ${message.text()}`);
    log?.(from, text);
  });
  page.on('pageerror', (error: Error) => {
    errors.add(`[${source}] ${error.message}`);
    log?.(source, `uncaught ${error.name}: ${error.message}`);
  });
  page.on('crash', () => {
    errors.add(`[${source}] page crashed`);
    log?.(source, 'page crashed');
  });
}

/**
 * Opens `url` in a new tab of `context` and fails with a clear message when
 * the server answers with an error (typically 404: the apps are not built).
 */
export async function openPage(context: BrowserContext, url: string, timeoutMs: number, beforeLoad?: (page: Page) => void): Promise<Page> {
  const page = await context.newPage();
  beforeLoad?.(page);
  let response;
  try {
    response = await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
  } catch (cause) {
    const timedOut = cause instanceof Error && cause.name === 'TimeoutError';
    const detail = timedOut ? `it did not load within ${timeoutMs} ms` : cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new ShoalError(timedOut ? 'ERR_TIMEOUT' : 'ERR_INTERNAL', `could not open ${url}: ${detail}`, { cause });
  }
  if (response !== null && !response.ok()) {
    const hint = response.status() === 404 ? ' (are the apps built? run `npm run build`)' : '';
    throw new ShoalError('ERR_INTERNAL', `GET ${url} answered ${response.status()}${hint}`);
  }
  return page;
}

/** Resolves once the coordinator page has set `window.shoalCoordinator` and joined its room. */
export async function waitForCoordinator(page: Page, timeoutMs: number, errors: RecentErrors): Promise<string> {
  try {
    await page.waitForFunction(() => window.shoalCoordinator?.peerId() != null, undefined, { timeout: timeoutMs, polling: 50 });
  } catch (cause) {
    const state = await page.evaluate(() => (window.shoalCoordinator === undefined ? 'absent' : 'not joined')).catch(() => 'unknown');
    throw new ShoalError(
      'ERR_NOT_JOINED',
      `the coordinator tab did not join its room within ${timeoutMs} ms (window.shoalCoordinator: ${state})${errors.describe()}`,
      { cause },
    );
  }
  return page.evaluate(() => window.shoalCoordinator!.peerId()!);
}

/** Resolves once a worker page reports an open channel to the coordinator. */
export async function waitForWorkerPage(page: Page, name: string, timeoutMs: number, errors: RecentErrors): Promise<void> {
  try {
    await page.waitForFunction(() => window.shoalWorker?.status().coordinator === 'open', undefined, { timeout: timeoutMs, polling: 100 });
  } catch (cause) {
    throw new ShoalError('ERR_NO_WORKERS', `worker tab ${name} did not connect to the coordinator within ${timeoutMs} ms${errors.describe()}`, {
      cause,
    });
  }
}

/**
 * Asks the coordinator page to wait for `count` ready workers; explains a
 * timeout with the tabs it does not list: `workers`' pages, or what the
 * function `workers` says (detached tabs: detachedWorkers.ts). `onProgress`
 * hears how many are ready about twice a second.
 */
export async function waitForWorkerCount(
  coordinator: Page,
  count: number,
  timeoutMs: number,
  errors: RecentErrors,
  onProgress?: (ready: number, total: number) => void,
  workers: readonly Page[] | (() => Promise<string>) = [],
): Promise<void> {
  let polling = onProgress !== undefined;
  const poll = async (): Promise<void> => {
    let last = -1;
    while (polling) {
      const ready = await coordinator.evaluate(() => window.shoalCoordinator!.workers().length).catch(() => last);
      if (ready !== last && polling) onProgress!((last = ready), count);
      await new Promise((resolve) => setTimeout(resolve, PROGRESS_INTERVAL_MS));
    }
  };
  const progress = poll();
  try {
    await coordinator.evaluate(([n, ms]) => window.shoalCoordinator!.waitForWorkers(n, ms), [count, timeoutMs] as const);
    polling = false;
    await progress;
    onProgress?.(count, count);
  } catch (cause) {
    polling = false;
    const ready = await coordinator.evaluate(() => window.shoalCoordinator!.workers().length).catch(() => '?');
    const stuck = typeof workers === 'function' ? await workers() : await notReady(coordinator, workers);
    throw new ShoalError('ERR_NO_WORKERS', `only ${ready} of ${count} worker tabs became ready within ${timeoutMs} ms${stuck}${errors.describe()}`, {
      cause,
    });
  }
}

const STATUS_TIMEOUT_MS = 5_000;

/**
 * The worker tabs the coordinator does not list, each with what its page
 * says (`w7: connected, coordinator connecting ("Connected, waiting for the
 * coordinator…")`, or why it could not join; a tab whose page does not
 * answer says so): why a join storm left tabs out. `''` when all are listed.
 */
async function notReady(coordinator: Page, workers: readonly Page[]): Promise<string> {
  if (workers.length === 0) return '';
  const listed = new Set(await coordinator.evaluate(() => window.shoalCoordinator!.workers().map((w) => w.peerId)).catch(() => [] as string[]));
  const lines = await Promise.all(
    workers.map(async (page, i) => {
      const status = await Promise.race([
        page.evaluate(() => (window.shoalWorker ? { ...window.shoalWorker.status(), text: document.getElementById('connection')?.textContent ?? '' } : null)).catch(() => null),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), STATUS_TIMEOUT_MS).unref()),
      ]);
      if (status?.peerId && listed.has(status.peerId)) return null;
      return status ? `w${i + 1} (${status.peerId ?? 'no peer id'}): ${status.connection}, coordinator ${status.coordinator} ("${status.text.slice(0, 200)}")` : `w${i + 1}: its page did not answer`;
    }),
  );
  const stuck = lines.filter((line) => line !== null);
  return stuck.length === 0 ? '' : `; not listed by the coordinator: ${stuck.slice(0, 16).join('; ')}${stuck.length > 16 ? `; and ${stuck.length - 16} more` : ''}`;
}
