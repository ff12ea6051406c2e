/**
 * Worker tabs with nothing attached (the launcher's `detachedWorkers`, what
 * bench/scale.ts opens): the tabs open by plain CDP in two Chromium
 * processes that Playwright does not drive, the coordinator alone in a
 * Playwright browser; readiness comes from the coordinator. They must join,
 * run a job, move objects between browsers, be readable on demand, and a tab
 * that cannot join must still be named with what its page says. The
 * coordinator opens with `ui=0` (as bench/scale.ts opens it): its dashboard
 * is hidden, and the room works as with a drawn one.
 */
import { expect, test } from '@playwright/test';
import { cluster, job } from './helpers.ts';

const TABS = 6;
let local: Awaited<ReturnType<typeof cluster>>;

test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  test.setTimeout(300_000);
  local = await cluster({
    workers: TABS,
    browsers: 2,
    slotsPerWorker: 1,
    tabsPerProcess: 8,
    detachedWorkers: true,
    coordinatorQuery: 'ui=0', // a dashboard no one looks at: hidden, nothing drawn
    readyTimeoutMs: 240_000,
    workerQuery: (i) => `resources=w${i}:1&gpu=0&bench=0&ui=0`,
  });
});
test.afterAll(async () => {
  await local?.close();
});

const run = (body: string) => local.runJob(job(body));

test(`${TABS} detached tabs over two browsers join and run a job on every one of them`, async () => {
  expect(local.workers).toEqual([]);
  expect(local.workerTabs.map((tab) => tab.name)).toEqual(['w1', 'w2', 'w3', 'w4', 'w5', 'w6']);
  expect(local.workerTabs.map((tab) => tab.browser)).toEqual([0, 1, 0, 1, 0, 1]);
  expect(local.tabBrowsers).toHaveLength(2);
  // Playwright sees the coordinator and nothing else.
  expect(local.browsers).toHaveLength(1);
  expect(local.browsers[0]!.contexts().flatMap((context) => context.pages())).toEqual([local.coordinator]);
  const listed = await local.coordinator.evaluate(() => window.shoalCoordinator!.workers().map((w) => w.name).sort());
  expect(listed).toEqual(['w1', 'w2', 'w3', 'w4', 'w5', 'w6']);
  const outcome = await run(`
    const square = cluster.remote((x, ctx) => ({ y: x * x, on: ctx.workerId }), { name: 'square' });
    const out = await cluster.get(Array.from({ length: 300 }, (_, i) => square(i)));
    const pinned = await cluster.get(Array.from({ length: ${TABS} }, (_, i) => cluster.remote((x, ctx) => ctx.workerId, { name: 'where', resources: { custom: { ['w' + (i + 1)]: 1 } } })(i)));
    return { sum: out.reduce((s, o) => s + o.y, 0), everyTab: new Set(pinned).size };`);
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  expect((outcome as { result: { sum: number; everyTab: number } }).result).toEqual({ sum: (299 * 300 * 599) / 6, everyTab: TABS });
});

test('a coordinator opened with ui=0 lays nothing out and still lists and serves the room', async () => {
  const look = await local.coordinator.evaluate(() => ({
    display: getComputedStyle(document.documentElement).display,
    height: document.body.getBoundingClientRect().height,
    workers: window.shoalCoordinator!.workers().length,
  }));
  expect(look).toEqual({ display: 'none', height: 0, workers: TABS });
});

test('a detached tab is read on demand, and an object moves between tabs of the two browsers', async () => {
  const [w1, w2] = [local.workerTabs[0]!, local.workerTabs[1]!];
  const s1 = await w1.evaluate<{ peerId: string; coordinator: string }>('window.shoalWorker.status()');
  expect(s1.coordinator).toBe('open');
  const outcome = await run(`
    const make = cluster.remote((n) => new Float64Array(n).map((_, i) => i % 977), { name: 'make', resources: { custom: { w1: 1 } } });
    const use = cluster.remote((x) => x.reduce((s, v) => s + v, 0), { name: 'use', resources: { custom: { w2: 1 } } });
    return cluster.get(use(make(1 << 16)));`);
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  let expected = 0;
  for (let i = 0; i < 1 << 16; i++) expected += i % 977;
  expect((outcome as { result: number }).result).toBe(expected);
  const paths = await w2.evaluate<Record<string, string>>('window.shoalWorker.status().traffic.bulkPaths');
  expect(paths[s1.peerId]).toBe('webrtc');
  await expect(w1.evaluate('(() => { throw new Error("boom") })()')).rejects.toThrow('boom');
});

test('a detached tab that cannot join is named, with what its page says', async () => {
  test.setTimeout(180_000);
  // Room for the coordinator and one worker: the second is refused (room full) and keeps trying.
  const full = cluster({ workers: 2, browsers: 1, detachedWorkers: true, readyTimeoutMs: 15_000, workerQuery: () => 'gpu=0&bench=0&ui=0', serverOptions: { maxPeersPerRoom: 2 } });
  const error = await full.then(
    (c) => c.close().then(() => null),
    (e: unknown) => e as Error & { code?: string },
  );
  expect(error?.code).toBe('ERR_NO_WORKERS');
  expect(error?.message).toMatch(/only 1 of 2 worker tabs became ready/);
  expect(error?.message).toMatch(/not listed by the coordinator: w\d \(no peer id\): joining, coordinator none \("Could not join \(signaling server: room \w+ is at its limit of 2 peers\); trying again/);
});
