/**
 * The coordinator at scale, on one small real cluster (two one-slot worker tabs):
 *
 * - Re-admission: a worker tab whose main thread is frozen past the heartbeat
 *   timeout (channel open, no heartbeats) is declared lost, and its runs are
 *   retried elsewhere. When it thaws and speaks again it is re-admitted as a
 *   fresh worker (before, its messages were refused forever): a job running
 *   across the loss completes exactly (late results of its old runs are not
 *   counted twice), and the next job runs tasks on it again.
 * - The workers table with 300 made-up workers fed to its view (the page's
 *   `shoalWorkersView` test hook): only the rows in view are in the DOM, and
 *   scrolling shows others.
 */
import { expect, test } from '@playwright/test';
import { cluster, job } from './helpers.ts';

let local: Awaited<ReturnType<typeof cluster>>;
const logs: string[] = [];

test.describe.configure({ mode: 'serial' });
test.setTimeout(120_000);
test.beforeAll(async () => {
  local = await cluster({ workers: 2, slotsPerWorker: 1, onLog: (_source, text) => void logs.push(text) });
});
test.afterAll(async () => {
  await local?.close();
});

type Summary = { peerId: string; tasksDone: number };
const workers = (): Promise<Summary[]> => local.coordinator.evaluate(() => window.shoalCoordinator!.workers().map((w) => ({ peerId: w.peerId, tasksDone: w.tasksDone })));

/** `n` tasks of about `ms` each; each returns x² and the job returns the sum and who ran what. */
const squares = (n: number, ms: number) =>
  job(`
  const sq = cluster.remote((x) => { const end = Date.now() + ${ms}; while (Date.now() < end); return x * x; }, { name: 'sq', maxRetries: 10 });
  const refs = [];
  for (let i = 0; i < ${n}; i++) refs.push(sq(i));
  const values = await cluster.get(refs);
  return { sum: values.reduce((a, b) => a + b, 0), count: values.length };
`);
const sumOfSquares = (n: number) => ((n - 1) * n * (2 * n - 1)) / 6;

test('a worker declared lost while alive is re-admitted when it speaks again; the job across it is exact, and it gets tasks again', async () => {
  const before = await workers();
  expect(before).toHaveLength(2);
  const running = local.runJob(squares(300, 20));
  await local.coordinator.waitForFunction(() => window.shoalCoordinator!.workers().reduce((sum, w) => sum + w.tasksDone, 0) >= 20, undefined, { polling: 20, timeout: 60_000 });
  // Freeze one tab's main thread for 5 s: no heartbeats, no replies, but its data channel stays open.
  const frozenPage = local.workers[1]!;
  void frozenPage
    .evaluate(() => {
      const end = Date.now() + 5_000;
      while (Date.now() < end);
    })
    .catch(() => undefined);
  await local.coordinator.waitForFunction(() => window.shoalCoordinator!.workers().length === 1, undefined, { polling: 20, timeout: 30_000 });
  const survivor = (await workers())[0]!.peerId;
  const frozen = before.find((w) => w.peerId !== survivor)!.peerId;
  // It thaws, heartbeats again, and is back in the list under the same peer id.
  await local.coordinator.waitForFunction((id) => window.shoalCoordinator!.workers().some((w) => w.peerId === id), frozen, { polling: 50, timeout: 30_000 });
  expect(logs.some((line) => line.includes(`worker ${frozen} spoke again`) && line.includes('re-admitted'))).toBe(true);

  const outcome = await running;
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  expect((outcome as { result: { sum: number; count: number } }).result).toEqual({ sum: sumOfSquares(300), count: 300 });

  // The next job runs on both tabs, the re-admitted one included.
  const doneBefore = (await workers()).find((w) => w.peerId === frozen)!.tasksDone;
  const next = await local.runJob(squares(200, 10));
  expect(next.ok, JSON.stringify(next)).toBe(true);
  expect((next as { result: { sum: number } }).result.sum).toBe(sumOfSquares(200));
  const after = await workers();
  expect(after.map((w) => w.peerId).sort()).toEqual(before.map((w) => w.peerId).sort());
  expect(after.find((w) => w.peerId === frozen)!.tasksDone).toBeGreaterThan(doneBefore);
  // No message from it was refused after it came back.
  expect(logs.filter((line) => line.includes(`refused a message from ${frozen}`))).toEqual([]);
  expect(local.pageErrors).toEqual([]);
});

test('the workers table renders only the rows in view with 300 workers', async () => {
  const page = local.coordinator;
  await page.setViewportSize({ width: 1400, height: 900 });
  const fake = (i: number) => ({
    peerId: `fake${String(i).padStart(3, '0')}`,
    name: `made-up ${i}`,
    state: 'idle',
    caps: { cores: 4, slots: 2, deviceMemoryGiB: 8, gpu: null, userAgent: 'e2e' },
    running: 0,
    tasksDone: i,
    store: null,
    paused: false,
  });
  const fakes = Array.from({ length: 300 }, (_, i) => fake(i));
  const rendered = await page.evaluate((changed) => {
    const view = (window as unknown as { shoalWorkersView: { apply(diff: unknown): void; rendered(): { rows: number; workers: number } } }).shoalWorkersView;
    view.apply({ changed, removed: [] });
    return view.rendered();
  }, fakes);
  expect(rendered.workers).toBe(302);
  expect(rendered.rows).toBeGreaterThan(5);
  expect(rendered.rows).toBeLessThan(40);
  expect(await page.locator('#workers tr[data-peer]').count()).toBeLessThan(40);
  await expect(page.locator('#worker-count')).toHaveText('302');
  // Scrolled to the bottom, the last made-up worker is rendered and the first ones are not.
  await page.locator('#workers-section .scroll-x').evaluate((element) => (element.scrollTop = element.scrollHeight));
  await expect(page.locator('#workers tr[data-peer="fake299"]')).toHaveCount(1);
  await expect(page.locator('#workers tr[data-peer="fake000"]')).toHaveCount(0);
  expect(await page.locator('#workers tr[data-peer]').count()).toBeLessThan(40);
  // Removing them (a diff) brings the table back to the two real workers, all rendered.
  await page.evaluate((removed) => {
    const view = (window as unknown as { shoalWorkersView: { apply(diff: unknown): void } }).shoalWorkersView;
    view.apply({ changed: [], removed });
  }, fakes.map((f) => f.peerId));
  await expect(page.locator('#workers tr[data-peer]')).toHaveCount(2);
});
