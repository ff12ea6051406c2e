/**
 * A whole Shoal cluster on this machine: the signaling server, one Chromium
 * (or `browsers` of them, the worker tabs dealt round robin) with one context
 * each, a coordinator tab and N worker tabs. Used by `shoal run`, the e2e
 * tests and the benchmarks. Tabs open a few at a time, and the cluster waits
 * for readiness in proportion to N (spread.ts), reporting progress meanwhile.
 */
import { availableParallelism } from 'node:os';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ROOM_PATTERN, ShoalError, randomId, type JobOutcome } from '@shoal/protocol';
import { startSignalingServer, type RunningServer, type ServerOptions } from '@shoal/signaling-server';
import { distDir } from './build-apps.ts';
import { launchBrowser } from './launch.ts';
import { tabOpener } from './directTabs.ts';
import { DetachedWorkers, openPaced, type DetachedTab } from './detachedWorkers.ts';
import type { PipeBrowser } from './pipeBrowser.ts';
import { OPEN_CONCURRENCY, browserFor, openAll, processLimitArgs, processesFor, readyTimeoutFor } from './spread.ts';
import { RecentErrors, openPage, waitForCoordinator, waitForWorkerCount, waitForWorkerPage, watchPage, type PageLogger } from './pages.ts';

export interface LocalClusterOptions {
  /** Worker tabs to open and wait for. Default 2; 0 opens only the coordinator. */
  workers?: number;
  /** Server port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface the server listens on. Default `127.0.0.1`: a local cluster is not reachable from the network. */
  host?: string;
  /** Task slots per worker tab. Default max(1, floor(cores / workers)). */
  slotsPerWorker?: number;
  /** Room id. Default: a random one. */
  room?: string;
  /** Default true. */
  headless?: boolean;
  /** Whether Playwright may close the browser and exit the process on signals; see `LaunchBrowserOptions`. Default true. */
  handleSignals?: boolean;
  /** Page console output, uncaught errors and crashes, by tab (`coordinator`, `w1`, ...). */
  onLog?: PageLogger;
  /** How long the coordinator and the workers each get to become ready. Default 30 s plus 0.5 s per worker (`readyTimeoutFor`). */
  readyTimeoutMs?: number;
  /** Chromium processes to spread the worker tabs over (round robin; the coordinator is in the first). Default 1. */
  browsers?: number;
  /** Extra Chromium flags for every browser, after Shoal's (`chromiumArgs()`). */
  browserArgs?: readonly string[];
  /**
   * Worker tabs that share one renderer process (`--renderer-process-limit`, tabs
   * opened straight at their URL: directTabs.ts). Default: Chromium's own, a process
   * per tab. Sharing halves what a tab costs to open, but the tabs of a process share
   * its main thread (their task Web Workers keep threads of their own): past about 8
   * a process, a join storm starves their heartbeats (docs/scale.md). The
   * coordinator then gets a browser context of its own, so no worker tab shares its
   * process, and it reaches the workers of its browser over WebRTC rather than the
   * in-browser path.
   */
  tabsPerProcess?: number;
  /**
   * Worker tabs loading at once while they open (default `OPEN_CONCURRENCY`, 8); with `detachedWorkers`,
   * tabs opened and not yet listed ready by the coordinator.
   */
  openConcurrency?: number;
  /**
   * Worker tabs with nothing attached: they open by plain CDP in `browsers` Chromium processes of their own
   * (pipeBrowser.ts), the coordinator alone in a Playwright browser, and readiness comes from the coordinator.
   * A tab then costs less to join (no Playwright domains, utility world or event forwarding: docs/scale.md),
   * as a volunteer's tab, which nothing attaches to either. `workers` is then empty (`workerTabs` has the
   * tabs, `tabBrowsers` their browsers), `onLog` hears only the coordinator, `addWorker()` is refused, and a
   * readiness timeout still says what each tab not listed says (read by attaching to it). Default false.
   */
  detachedWorkers?: boolean;
  /** Called while the worker tabs join: how many the coordinator sees ready, of how many (about twice a second, and once at the end). */
  onWorkersReady?: (ready: number, total: number) => void;
  /** Aborting stops startup (closing what was started) or closes the running cluster. */
  signal?: AbortSignal;
  /**
   * Extra query parameters for worker tab `index` (1-based), e.g.
   * `(i) => \`resources=w${i}:1&store=64\`` (see the worker page's parameters).
   */
  workerQuery?: (index: number) => string;
  /**
   * Extra query parameters for the coordinator tab, e.g. `ui=0`: its dashboard hidden, so nothing is laid out
   * or painted while workers join and jobs run (for benchmarks, whose coordinator no one looks at).
   */
  coordinatorQuery?: string;
  /** The data folder the server serves under `/data/*` (see docs/data.md). Default: the server's, `./data` in the working directory. */
  dataDir?: string;
  /** More signaling server options, e.g. `{ice: {servers: [...]}}` (port, host and staticDir come from above). */
  serverOptions?: Omit<ServerOptions, 'port' | 'host' | 'staticDir'>;
}

/** Milliseconds spent in each startup phase; `totalMs` is the cold start. */
export interface ClusterTimings {
  serverMs: number;
  browserMs: number;
  /** Opening the coordinator tab until it has joined its room. */
  coordinatorMs: number;
  /** Opening the worker tabs until their pages have loaded. */
  workerTabsMs: number;
  /** From loaded worker tabs until the coordinator sees all of them ready. */
  workersReadyMs: number;
  totalMs: number;
}

export interface LocalCluster {
  readonly server: RunningServer;
  /** The first browser (the coordinator's); `browsers` has them all. */
  readonly browser: Browser;
  readonly browsers: Browser[];
  /** The coordinator's context; `contexts[b]` is browser b's. */
  readonly context: BrowserContext;
  readonly contexts: BrowserContext[];
  readonly coordinator: Page;
  /** Worker tabs, `w1` first; `addWorker()` appends. Empty with `detachedWorkers`. */
  readonly workers: Page[];
  /** With `detachedWorkers`: the worker tabs, `w1` first, and the browsers they are in (else empty). */
  readonly workerTabs: DetachedTab[];
  readonly tabBrowsers: PipeBrowser[];
  /** The server's base URL, e.g. `http://localhost:41234`. */
  readonly url: string;
  readonly room: string;
  readonly slotsPerWorker: number;
  readonly timings: ClusterTimings;
  /** Runs an ES module job (already bundled) in the coordinator tab; `label` names it (worker pages show it). Never rejects. */
  runJob(source: string, label?: string): Promise<JobOutcome>;
  /** Opens one more worker tab and resolves once it is connected to the coordinator. */
  addWorker(): Promise<Page>;
  /** Closes the browser and the server. Safe to call more than once. */
  close(): Promise<void>;
}

const SERVER_CLOSE_GRACE_MS = 5_000;

/**
 * Starts a local cluster and resolves when all worker tabs are ready. If any
 * phase fails, whatever was started is closed before the error is rethrown.
 * Errors are `ShoalError`s: `ERR_NO_BROWSER`, `ERR_NOT_JOINED`,
 * `ERR_NO_WORKERS`, `ERR_CANCELLED`, `ERR_BAD_OPTION`, `ERR_INTERNAL`.
 */
export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const workerCount = options.workers ?? 2;
  if (!Number.isInteger(workerCount) || workerCount < 0) {
    throw new ShoalError('ERR_BAD_OPTION', `workers must be a whole number ≥ 0, got ${workerCount}`);
  }
  const room = options.room ?? randomId();
  if (!ROOM_PATTERN.test(room)) throw new ShoalError('ERR_BAD_OPTION', `room must match ${ROOM_PATTERN}, got ${JSON.stringify(room)}`);
  const slots = options.slotsPerWorker ?? Math.max(1, Math.floor(availableParallelism() / Math.max(1, workerCount)));
  if (!Number.isInteger(slots) || slots < 1) throw new ShoalError('ERR_BAD_OPTION', `slotsPerWorker must be a whole number ≥ 1, got ${slots}`);
  const readyTimeoutMs = options.readyTimeoutMs ?? readyTimeoutFor(workerCount);
  const browserCount = options.browsers ?? 1;
  if (!Number.isInteger(browserCount) || browserCount < 1) throw new ShoalError('ERR_BAD_OPTION', `browsers must be a whole number ≥ 1, got ${browserCount}`);
  const perProcess = options.tabsPerProcess;
  if (perProcess !== undefined && (!Number.isInteger(perProcess) || perProcess < 1)) throw new ShoalError('ERR_BAD_OPTION', `tabsPerProcess must be a whole number ≥ 1, got ${perProcess}`);
  const shared = perProcess !== undefined;
  const detached = options.detachedWorkers === true;
  const limitArgs = shared ? processLimitArgs(processesFor(workerCount, browserCount, perProcess)) : [];
  // Detached: the Playwright browser holds the coordinator alone, the pipe browsers the workers.
  const browserArgs = [...(detached ? [] : limitArgs), ...(options.browserArgs ?? [])];
  const { signal, onLog } = options;
  const errors = new RecentErrors();

  // What has been started and not yet closed. `close()` takes whatever is
  // there now and chains after earlier calls, so a resource that finishes
  // starting after an abort is still closed by the catch block below.
  let server: RunningServer | undefined;
  let browsers: Browser[] = [];
  let tabBrowsers: DetachedWorkers | undefined;
  let closeRequested = false;
  let closed: Promise<void> = Promise.resolve();
  const close = (): Promise<void> => {
    closeRequested = true;
    const [b, t, s] = [browsers, tabBrowsers, server];
    browsers = [];
    tabBrowsers = undefined;
    server = undefined;
    closed = closed.then(() => closeAll(b, t, s));
    return closed;
  };
  const onAbort = (): void => void close();
  signal?.addEventListener('abort', onAbort, { once: true });
  const checkAborted = (): void => {
    if (signal?.aborted || closeRequested) throw new ShoalError('ERR_CANCELLED', 'the local cluster was closed while starting');
  };

  const started = performance.now();
  let mark = started;
  const lap = (): number => {
    const now = performance.now();
    const ms = now - mark;
    mark = now;
    return Math.round(ms);
  };

  try {
    checkAborted();
    const dataDir = options.dataDir === undefined ? {} : { dataDir: options.dataDir };
    const runningServer = await startSignalingServer({ quiet: true, ...options.serverOptions, ...dataDir, port: options.port ?? 0, host: options.host ?? '127.0.0.1', staticDir: distDir() });
    server = runningServer;
    const serverMs = lap();
    checkAborted();

    const headless = options.headless ?? true;
    const launching = Array.from({ length: detached ? 1 : browserCount }, () => launchBrowser({ headless, handleSignals: options.handleSignals ?? true, args: browserArgs }));
    const detachedLaunch = detached ? DetachedWorkers.launch(browserCount, { headless, args: [...limitArgs, ...(options.browserArgs ?? [])] }, errors) : undefined;
    const [settled, tabsSettled] = await Promise.all([Promise.allSettled(launching), detachedLaunch === undefined ? undefined : Promise.allSettled([detachedLaunch])]);
    if (tabsSettled?.[0]?.status === 'fulfilled') tabBrowsers = tabsSettled[0].value;
    browsers = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const failed = [...settled, ...(tabsSettled ?? [])].find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    const detachedTabs = tabBrowsers;
    const runningBrowsers = browsers;
    const runningBrowser = runningBrowsers[0]!;
    checkAborted();
    const contexts = await Promise.all(runningBrowsers.map((b) => b.newContext()));
    // With shared renderer processes the coordinator keeps one of its own: processes never span contexts.
    const context = shared && !detached ? await runningBrowser.newContext() : contexts[0]!;
    const browserMs = lap();
    checkAborted();

    const base = runningServer.url;
    // The pages join with tokens this process mints for the room (the server runs here, so no POST /rooms).
    // The coordinator page gets no workerToken: this cluster opens its worker tabs itself.
    const grant = runningServer.createRoom({ room });
    const coordinatorExtra = options.coordinatorQuery ? `&${options.coordinatorQuery.replace(/^[?&]/, '')}` : '';
    const coordinator = await openPage(context, `${base}/coordinator.html?room=${room}&token=${encodeURIComponent(grant.coordinatorToken)}${coordinatorExtra}`, readyTimeoutMs, (page) =>
      watchPage(page, 'coordinator', onLog, errors),
    );
    await waitForCoordinator(coordinator, readyTimeoutMs, errors);
    const coordinatorMs = lap();
    checkAborted();

    const workers: Page[] = [];
    // With `tabsPerProcess`, each browser's first worker tab opens through Playwright (it checks the page is
    // served) and the others straight at their URL, so they land in the shared processes (directTabs.ts).
    const openTab = tabOpener(contexts, shared);
    const workerUrl = (index: number): string => {
      const extra = options.workerQuery?.(index) ?? '';
      return `${base}/worker.html?room=${room}&token=${encodeURIComponent(grant.workerToken)}&slots=${slots}&name=w${index}${extra ? `&${extra.replace(/^[?&]/, '')}` : ''}`;
    };
    const openWorker = async (index: number): Promise<Page> => {
      if (detachedTabs) throw new ShoalError('ERR_BAD_OPTION', 'addWorker() needs attached worker tabs (detachedWorkers: false)');
      const name = `w${index}`;
      return openTab(browserFor(index, contexts.length), workerUrl(index), readyTimeoutMs, (page) => watchPage(page, name, onLog, errors));
    };
    const concurrency = options.openConcurrency ?? OPEN_CONCURRENCY;
    if (detachedTabs) {
      const deadline = performance.now() + readyTimeoutMs;
      const ready = (n: number): Promise<void> =>
        coordinator.evaluate(([k, ms]) => window.shoalCoordinator!.waitForWorkers(k, ms), [n, Math.max(1, deadline - performance.now())] as const);
      await openPaced(workerCount, concurrency, async (index) => void (await detachedTabs.open(index, `w${index}`, workerUrl(index))), ready);
    } else {
      workers.push(...(await openAll(workerCount, concurrency, openWorker)));
    }
    const workerTabsMs = lap();
    checkAborted();

    const stuck = detachedTabs ? () => detachedTabs.notReady(coordinator) : workers;
    if (workerCount > 0) await waitForWorkerCount(coordinator, workerCount, readyTimeoutMs, errors, options.onWorkersReady, stuck);
    const workersReadyMs = lap();
    checkAborted();

    const timings: ClusterTimings = {
      serverMs,
      browserMs,
      coordinatorMs,
      workerTabsMs,
      workersReadyMs,
      totalMs: Math.round(performance.now() - started),
    };

    return {
      server: runningServer,
      browser: runningBrowser,
      browsers: runningBrowsers,
      context,
      contexts,
      coordinator,
      workers,
      workerTabs: detachedTabs?.tabs ?? [],
      tabBrowsers: detachedTabs?.browsers ?? [],
      url: base,
      room,
      slotsPerWorker: slots,
      timings,
      runJob: async (source, label) => {
        const jobStarted = performance.now();
        if (closeRequested) return { ok: false, error: { code: 'ERR_CANCELLED', message: 'the cluster is closed' }, elapsedMs: 0 };
        try {
          return await coordinator.evaluate(([src, name]) => window.shoalCoordinator!.runJob(src, name), [source, label] as const);
        } catch (cause) {
          const message = cause instanceof Error ? cause.message : String(cause);
          const code = closeRequested ? 'ERR_CANCELLED' : 'ERR_INTERNAL';
          const detail = closeRequested ? 'the cluster was closed while the job ran' : `the coordinator tab failed: ${message}`;
          return { ok: false, error: { code, message: `${detail}${errors.describe()}` }, elapsedMs: performance.now() - jobStarted };
        }
      },
      addWorker: async () => {
        const index = workers.length + 1;
        const page = await openWorker(index);
        workers.push(page);
        await waitForWorkerPage(page, `w${index}`, readyTimeoutMs, errors);
        return page;
      },
      close: async () => {
        signal?.removeEventListener('abort', onAbort);
        await close();
      },
    };
  } catch (error) {
    signal?.removeEventListener('abort', onAbort);
    const cancelled = signal?.aborted === true || closeRequested;
    await close();
    if (cancelled && !(error instanceof ShoalError && error.code === 'ERR_CANCELLED')) {
      throw new ShoalError('ERR_CANCELLED', 'the local cluster was closed while starting', { cause: error });
    }
    throw error;
  }
}

/** Closes the browsers, then the server; never throws, never hangs on the server. */
async function closeAll(browsers: Browser[], tabBrowsers: DetachedWorkers | undefined, server: RunningServer | undefined): Promise<void> {
  await Promise.all([...browsers.map((browser) => browser.close().catch(() => undefined)), tabBrowsers?.close()]);
  if (server === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    server.close().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SERVER_CLOSE_GRACE_MS);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}
