/** `shoal worker --join URL`: lend this machine's cores to a cluster as headless tabs. */
import { hostname } from 'node:os';
import type { Page } from 'playwright-core';
import { ShoalError, type WorkerPageStatus } from '@shoal/protocol';
import { UsageError, type ParsedArgs } from '../args.ts';
import type { WORKER_FLAGS } from '../commands.ts';
import type { Io } from '../io.ts';
import { onStopSignal } from '../signals.ts';

const STATUS_INTERVAL_MS = 5_000;
const LEAVE_GRACE_MS = 2_000;

interface Tab {
  name: string;
  page: Page;
}

/** Runs `shoal worker`; resolves with the exit status once stopped. */
export async function workerCommand(args: ParsedArgs<typeof WORKER_FLAGS>, io: Io): Promise<number> {
  const { flags } = args;
  if (flags.join === undefined) throw new UsageError('missing --join <url> (the worker link that `shoal start` prints)', 'worker');
  const base = parseJoinUrl(flags.join);
  if (!base.searchParams.get('token')) {
    io.stderr('shoal: warning: the join link has no token=; the server will refuse the tabs unless it runs with --open\n');
  }
  const count = flags.tabs ?? 1;
  const verbose = flags.verbose === true;
  const log = verbose ? (source: string, text: string) => io.stderr(`[${source}] ${text}\n`) : undefined;
  // Loaded only now, so usage errors come back without importing Playwright.
  const { RecentErrors, launchBrowser, tabOpener, watchPage, browserFor, openAll, processLimitArgs, processesFor, readyTimeoutFor, OPEN_CONCURRENCY } = await import('@shoal/launcher');
  const browserCount = Math.min(flags.browsers ?? 1, count);
  const timeoutMs = readyTimeoutFor(count);
  // --tabs-per-process K: a browser's tabs share renderer processes, K to one (docs/scale.md).
  const perProcess = flags['tabs-per-process'];
  const chromiumFlags = perProcess === undefined ? [] : processLimitArgs(processesFor(count, browserCount, perProcess));

  // Several Chromium processes: their tabs reach each other over WebRTC, as tabs on other machines would.
  const launched = await Promise.allSettled(Array.from({ length: browserCount }, () => launchBrowser({ headless: flags.headed !== true, handleSignals: false, args: chromiumFlags })));
  const browsers = launched.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  let interval: NodeJS.Timeout | undefined;
  try {
    const failed = launched.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    const contexts = await Promise.all(browsers.map((browser) => browser.newContext()));
    const errors = new RecentErrors();
    const openTab = tabOpener(contexts, perProcess !== undefined);
    const tabs: Tab[] = await openAll(count, OPEN_CONCURRENCY, async (index): Promise<Tab> => {
      const url = tabUrl(base, index, count, flags.slots);
      const name = url.searchParams.get('name')!;
      const page = await openTab(browserFor(index, contexts.length), url.href, timeoutMs, (p) => watchPage(p, name, log, errors));
      return { name, page };
    });
    const refused = (await Promise.all(tabs.map((tab) => joinFailure(tab, timeoutMs)))).filter((line) => line !== null);
    if (refused.length > 0) throw new ShoalError('ERR_NOT_JOINED', `the worker tabs could not join: ${refused.join('; ')}`);
    const spread = browserCount > 1 ? ` in ${browserCount} browsers` : '';
    io.stderr(`shoal: ${count} worker tab${count === 1 ? '' : 's'}${spread} joined at ${base.origin}${base.pathname}; press Ctrl-C to leave\n`);

    if (verbose) {
      interval = setInterval(() => void printStatuses(tabs, io), STATUS_INTERVAL_MS);
    }

    const outcome = await new Promise<'signal' | 'disconnected'>((resolve) => {
      const stopListening = onStopSignal(() => resolve('signal'));
      for (const browser of browsers) {
        browser.once('disconnected', () => {
          stopListening();
          resolve('disconnected');
        });
      }
    });
    if (outcome === 'disconnected') {
      io.stderr('shoal: the browser closed unexpectedly\n');
      return 1;
    }
    io.stderr('shoal: leaving the cluster\n');
    await Promise.race([
      Promise.all(tabs.map((tab) => tab.page.evaluate(() => window.shoalWorker?.leave()).catch(() => undefined))),
      new Promise((resolve) => setTimeout(resolve, LEAVE_GRACE_MS).unref()),
    ]);
    return 0;
  } finally {
    clearInterval(interval);
    await Promise.all(browsers.map((browser) => browser.close().catch(() => undefined)));
  }
}

function parseJoinUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--join must be a URL like http://HOST:PORT/worker.html?room=R&token=T, got ${JSON.stringify(raw)}`, 'worker');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--join must be an http(s) URL, got ${raw}`, 'worker');
  if (!url.searchParams.has('room')) throw new UsageError(`--join must name a room (…/worker.html?room=R), got ${raw}`, 'worker');
  return url;
}

/**
 * The URL for tab `index` of `count`: the join link with its `room=` and
 * `token=` as given, a unique `name=` (kept if given, suffixed when there are
 * several), `slots=` if asked, and `ui=0` unless the link says otherwise:
 * these tabs are headless, so drawing their status page is CPU spent for no
 * one (it was a third of a tab's cost to join: docs/scale.md).
 */
export function tabUrl(base: URL, index: number, count: number, slots?: number): URL {
  const url = new URL(base);
  const given = url.searchParams.get('name');
  const name = given === null || given === '' ? `${hostname()}-${index}` : count > 1 ? `${given}-${index}` : given;
  url.searchParams.set('name', name);
  if (slots !== undefined) url.searchParams.set('slots', String(slots));
  if (!url.searchParams.has('ui')) url.searchParams.set('ui', '0');
  return url;
}

/** Waits until a tab has joined or failed to (a refused token, a full room); null when it joined, else why not. */
async function joinFailure(tab: Tab, timeoutMs: number): Promise<string | null> {
  try {
    await tab.page.waitForFunction(() => window.shoalWorker !== undefined && window.shoalWorker.status().connection !== 'joining', undefined, { timeout: timeoutMs, polling: 100 });
  } catch {
    return `${tab.name} did not join within ${timeoutMs} ms`;
  }
  const connection = await tab.page.evaluate(() => window.shoalWorker!.status().connection);
  if (connection === 'connected') return null;
  const text = await tab.page.locator('#connection').textContent().catch(() => null);
  return `${tab.name}: ${(text ?? connection).replace(/^Could not join: /, '')}`;
}

async function printStatuses(tabs: readonly Tab[], io: Io): Promise<void> {
  for (const tab of tabs) {
    const status: WorkerPageStatus | null | 'error' = await tab.page.evaluate(() => window.shoalWorker?.status() ?? null).catch(() => 'error' as const);
    if (status === 'error') io.stderr(`[${tab.name}] status unavailable (page closed?)\n`);
    else if (status === null) io.stderr(`[${tab.name}] page loaded, window.shoalWorker not set yet\n`);
    else {
      const current = status.currentTask ?? '-';
      io.stderr(
        `[${tab.name}] peer ${status.peerId ?? '-'} ${status.connection}, coordinator ${status.coordinator}, tasks run ${status.tasksRun}, current ${current}\n`,
      );
    }
  }
}
