/**
 * What Playwright costs per tab: opens N worker tabs into a running cluster
 * (its coordinator in a Playwright browser) from a second Chromium, either
 * through Playwright (`--mode pw`: `context.newPage()` + `goto`, as the
 * launcher does) or with plain CDP `Target.createTarget` and nothing attached
 * to the tabs (`--mode raw`), and reports the time until the coordinator sees
 * all N ready and the second browser's CPU seconds per tab.
 *
 *   npx tsx bench/scale/raw-tabs.ts [--tabs 32] [--mode raw|pw|pwcdp] [--page worker|noroom|blank] [--chromium "--renderer-process-limit=4"] [--query gpu=0&bench=0]
 *
 * --mode pwcdp opens the tabs as the launcher does with `tabsPerProcess`
 * (CDP `Target.createTarget` in Playwright's context, which attaches).
 * --page: what the tabs load: the worker page joining (`worker`, the
 * default: timed until the coordinator sees all N ready), the worker page
 * with no room (`noroom`: its modules and DOM, no join) or a 404 (`blank`:
 * what any tab costs); the last two are timed until all have loaded (with
 * `raw`, which does not wait for loads, 3 s after the last open).
 * Also prints this Node process's CPU per tab (Playwright's side of it).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { chromiumArgs, findBrowser, launchBrowser, startLocalCluster } from '@shoal/launcher';
import { browsersCpu, processCounts } from './cpu.ts';
import { arg } from '../common.ts';

const TABS = Number(arg('tabs') ?? 32);
const MODE = arg('mode') ?? 'raw';
const CHROMIUM = (arg('chromium') ?? '').split(' ').filter(Boolean);
const QUERY = arg('query') ?? 'gpu=0&bench=0';
const CONCURRENCY = Number(arg('concurrency') ?? 8);
const PAGE = arg('page') ?? 'worker';
const load = (): string => loadavg().map((x) => x.toFixed(1)).join(' ');

/** A minimal CDP client over the browser's WebSocket endpoint. */
class Cdp {
  #next = 1;
  readonly #pending = new Map<number, (value: unknown) => void>();
  constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: unknown };
      if (msg.id !== undefined) this.#pending.get(msg.id)?.(msg.result ?? msg.error);
    });
  }
  send<T>(method: string, params: object = {}): Promise<T> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve as (value: unknown) => void);
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }
}

async function rawBrowser(): Promise<{ cdp: Cdp; close: () => void; pid: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-raw-'));
  const child = spawn(findBrowser().path, [...chromiumArgs(), ...CHROMIUM, '--headless', '--remote-debugging-port=0', `--user-data-dir=${dir}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      text += String(chunk);
      const match = /DevTools listening on (ws:\S+)/.exec(text);
      if (match) resolve(match[1]!);
    });
    child.on('exit', () => reject(new Error(`chromium exited: ${text}`)));
  });
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve) => ws.once('open', resolve));
  return {
    cdp: new Cdp(ws),
    pid: child.pid!,
    close: () => {
      ws.close();
      child.kill();
      setTimeout(() => rmSync(dir, { recursive: true, force: true }), 2000);
    },
  };
}

async function rawCpu(cdp: Cdp): Promise<{ total: number; renderers: number }> {
  const info = await cdp.send<{ processInfo: Array<{ type: string; cpuTime: number }> }>('SystemInfo.getProcessInfo');
  return { total: info.processInfo.reduce((s, p) => s + p.cpuTime, 0), renderers: info.processInfo.filter((p) => p.type === 'renderer').length };
}

const cluster = await startLocalCluster({ workers: 0, browsers: 1, slotsPerWorker: 1, readyTimeoutMs: 600_000 });
try {
  const room = cluster.room;
  const grant = cluster.server.createRoom({ room });
  const roomParam = PAGE === 'noroom' ? '' : `room=${room}&`;
  const path = PAGE === 'blank' ? 'nonexistent.txt' : 'worker.html';
  const urlFor = (i: number): string => `${cluster.url}/${path}?${roomParam}token=${encodeURIComponent(grant.workerToken)}&slots=1&name=w${i}&${QUERY}`;
  const coordinatorCpu0 = (await browsersCpu(cluster.browsers))['total']!;
  let cpu0: number;
  let cpu: () => Promise<{ total: number; renderers: number }>;
  let open: (i: number) => Promise<void>;
  let close: () => Promise<void> | void;
  if (MODE === 'raw') {
    const raw = await rawBrowser();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    cpu = () => rawCpu(raw.cdp);
    open = async (i) => void (await raw.cdp.send('Target.createTarget', { url: urlFor(i) }));
    close = raw.close;
  } else {
    const browser = await launchBrowser({ args: CHROMIUM });
    const context = await browser.newContext();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    cpu = async () => ({ total: (await browsersCpu([browser]))['total']!, renderers: (await processCounts([browser]))['renderer'] ?? 0 });
    open = async (i) => {
      const page = await context.newPage();
      await page.goto(urlFor(i), { waitUntil: 'load' });
    };
    close = () => browser.close();
    if (MODE === 'pwcdp') {
      // Tabs created straight at their URL by CDP in Playwright's context: Playwright still attaches to them (they are Pages).
      await context.newPage();
      const session = await browser.newBrowserCDPSession();
      const { targetInfos } = (await session.send('Target.getTargets')) as { targetInfos: Array<{ type: string; browserContextId?: string }> };
      const browserContextId = targetInfos.find((t) => t.type === 'page')!.browserContextId!;
      open = async (i) => {
        const page = context.waitForEvent('page');
        await session.send('Target.createTarget', { url: urlFor(i), browserContextId });
        await (await page).waitForLoadState('load');
      };
    }
  }
  cpu0 = (await cpu()).total;
  const node0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 1;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next <= TABS) await open(next++);
  }));
  const openedS = (performance.now() - t0) / 1000;
  if (PAGE === 'worker') await cluster.coordinator.evaluate(([n]) => window.shoalCoordinator!.waitForWorkers(n, 600_000), [TABS] as const);
  else if (MODE === 'raw') await new Promise((resolve) => setTimeout(resolve, 3000));
  const nodeCpu = process.cpuUsage(node0);
  const readyS = (performance.now() - t0) / 1000;
  const after = await cpu();
  const coordinatorCpu = (await browsersCpu(cluster.browsers))['total']! - coordinatorCpu0;
  console.log(JSON.stringify({ mode: MODE, page: PAGE, chromium: CHROMIUM.join(' '), tabs: TABS, openedS: Number(openedS.toFixed(1)), readyS: Number(readyS.toFixed(1)), cpuPerTabS: Number(((after.total - cpu0) / TABS).toFixed(3)), coordinatorBrowserCpuPerTabS: Number((coordinatorCpu / TABS).toFixed(3)), nodeCpuPerTabS: Number(((nodeCpu.user + nodeCpu.system) / 1e6 / TABS).toFixed(3)), renderers: after.renderers, load: load() }));
  await close();
} finally {
  await cluster.close();
}
