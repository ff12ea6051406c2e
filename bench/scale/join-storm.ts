/**
 * A join storm, watched: opens N worker tabs (over 2 browsers, K to a
 * renderer process, 8 loads at a time) into a running coordinator, prints how
 * many the coordinator lists every 5 s, and at the end every tab the
 * coordinator does not list, with its page status, link stats and status
 * line (the "tabs never ready" probe of docs/scale.md). Coordinator and page
 * console lines about losses, refusals and failures are printed as they come.
 *
 *   npx tsx bench/scale/join-storm.ts [N=64] [K=8] [waitS=120]
 */
import { DirectTabs, openAll, startLocalCluster, browserFor } from '@shoal/launcher';
import type { Page } from 'playwright-core';
const n = Number(process.argv[2] ?? 64);
const per = Number(process.argv[3] ?? 8);
const waitS = Number(process.argv[4] ?? 120);
const limit = Math.ceil(n / 2 / per) + 1;
const c = await startLocalCluster({ workers: 0, browsers: 2, tabsPerProcess: per, browserArgs: [`--renderer-process-limit=${limit}`], slotsPerWorker: 1,
  onLog: (src, text) => { if (/error|fail|lost|uncaught|could not|refus|reject|not a worker|closed/i.test(text) && !/re-admitted/.test(text)) console.log(src, text.slice(0, 200)); } });
try {
  const grant = c.server.createRoom({ room: c.room });
  const url = (i: number) => `${c.url}/worker.html?room=${c.room}&token=${encodeURIComponent(grant.workerToken)}&slots=1&name=w${i}&gpu=0&bench=0`;
  const openers = new Map<number, Promise<DirectTabs>>();
  const t0 = performance.now();
  const pages: Page[] = await openAll(n, 8, async (i) => {
    const b = browserFor(i, 2);
    const o = openers.get(b);
    if (o) return (await o).open(url(i), 300_000);
    const p = c.contexts[b]!.newPage().then(async (pg) => { await pg.goto(url(i)); return pg; });
    openers.set(b, p.then((pg) => DirectTabs.for(c.contexts[b]!, pg)));
    return p;
  });
  console.log('opened', ((performance.now() - t0) / 1000).toFixed(1));
  for (let s = 0; s < waitS; s += 5) {
    const r = await c.coordinator.evaluate(() => window.shoalCoordinator!.workers().length);
    console.log(((performance.now() - t0) / 1000).toFixed(1), 'ready', r);
    if (r >= n) break;
    await new Promise((res) => setTimeout(res, 5000));
  }
  const known = new Set(await c.coordinator.evaluate(() => window.shoalCoordinator!.workers().map((w) => w.peerId)));
  console.log('coordinator knows', known.size);
  const st = await Promise.all(pages.map((p) => p.evaluate(() => ({ s: window.shoalWorker?.status() ?? null, l: window.shoalWorker?.links?.() ?? null, text: document.getElementById('connection')?.textContent })).catch((e) => String(e))));
  st.forEach((x, i) => { const o = x as { s: { peerId?: string } | null }; if (typeof x === 'string' || !o.s || !known.has(o.s.peerId ?? '')) console.log('w' + (i + 1), JSON.stringify(x)?.slice(0, 600)); });
} finally { await c.close(); }
