/**
 * Volunteer safety on the worker page, on one cluster of two worker tabs
 * (2 slots each; runaway caps taskSeconds=3 and taskMemory=64 from the link):
 *
 * - Pause: a paused worker takes no new tasks while the other runs the job;
 *   resumed, it takes tasks again.
 * - The core cap: "use 1 of M cores" makes the coordinator keep at most one
 *   task on that worker at a time; back to 2, it keeps two.
 * - The page shows the running job's name and the SHA-256 of its code.
 * - An endless loop without a timeout is stopped by the time cap
 *   (ERR_TASK_RUNAWAY), run once (not retried), and the same worker then
 *   runs a normal task; a typed-array allocation bomb likewise stops with
 *   ERR_TASK_MEMORY.
 */
import { createHash } from 'node:crypto';
import { expect, test, type Page } from '@playwright/test';
import { cluster, job } from './helpers.ts';

type Local = Awaited<ReturnType<typeof cluster>>;
let local: Local;

test.describe.configure({ mode: 'serial' });
test.setTimeout(120_000);

test.beforeAll(async () => {
  local = await cluster({ workers: 2, slotsPerWorker: 2, workerQuery: () => 'taskSeconds=3&taskMemory=64' });
});
test.afterAll(async () => {
  await local?.close();
});

const status = (page: Page) => page.evaluate(() => window.shoalWorker!.status());
const peerOf = async (page: Page) => (await status(page)).peerId!;
const summary = (peerId: string) => local.coordinator.evaluate((id) => window.shoalCoordinator!.workers().find((w) => w.peerId === id)!, peerId);
const runJob = (source: string, label?: string) => local.coordinator.evaluate(([src, name]) => window.shoalCoordinator!.runJob(src, name), [source, label] as const);

/** Pauses or resumes a worker tab and waits until the coordinator knows. */
async function setPaused(page: Page, paused: boolean): Promise<void> {
  await page.evaluate((p) => (p ? window.shoalWorker!.pause() : window.shoalWorker!.resume()), paused);
  const peerId = await peerOf(page);
  await local.coordinator.waitForFunction(([id, p]) => window.shoalCoordinator!.workers().find((w) => w.peerId === id)?.paused === p, [peerId, paused] as const);
}

/** Sets a worker tab's core cap and waits until the coordinator offers that many slots for it. */
async function setCores(page: Page, cores: number): Promise<void> {
  expect(await page.evaluate((n) => window.shoalWorker!.setCores(n), cores)).toBe(cores);
  const peerId = await peerOf(page);
  await local.coordinator.waitForFunction(([id, n]) => window.shoalCoordinator!.workers().find((w) => w.peerId === id)?.caps?.slots === n, [peerId, cores] as const);
}

/** Runs `count` tasks that each wait `ms`, while the coordinator page samples the most tasks placed on `peerId` at once. */
async function mostAtOnce(peerId: string, count: number, ms: number): Promise<number> {
  await local.coordinator.evaluate((id) => {
    const w = window as unknown as { __most: number; __sampler: ReturnType<typeof setInterval> };
    w.__most = 0;
    w.__sampler = setInterval(() => {
      const running = window.shoalCoordinator!.workers().find((x) => x.peerId === id)?.running ?? 0;
      w.__most = Math.max(w.__most, running);
    }, 5);
  }, peerId);
  const outcome = await runJob(job(`const wait = cluster.remote(async function wait(ms) { await new Promise((r) => setTimeout(r, ms)); return ms; });
    return (await cluster.get(Array.from({ length: ${count} }, () => wait(${ms})))).length;`));
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  return local.coordinator.evaluate(() => {
    const w = window as unknown as { __most: number; __sampler: ReturnType<typeof setInterval> };
    clearInterval(w.__sampler);
    return w.__most;
  });
}

const SQUARES = job(`const square = cluster.remote(function square(x) { return x * x; });
  return cluster.get(Array.from({ length: 8 }, (_, i) => square(i)));`);

test('a paused worker takes no new tasks while the other finishes the job; resumed, it takes tasks again', async () => {
  const [w1, w2] = local.workers as [Page, Page];
  await setPaused(w1, true);
  await expect(w1.locator('#pause')).toHaveText('Resume');
  const before = [(await status(w1)).tasksRun, (await status(w2)).tasksRun];
  const outcome = await runJob(SQUARES);
  expect(outcome).toMatchObject({ ok: true, result: [0, 1, 4, 9, 16, 25, 36, 49] });
  expect((await status(w1)).tasksRun).toBe(before[0]);
  expect((await status(w2)).tasksRun).toBe(before[1]! + 8);

  await setPaused(w1, false);
  await expect(w1.locator('#pause')).toHaveText('Pause');
  const again = await runJob(job(`const slow = cluster.remote(async function slow(x) { await new Promise((r) => setTimeout(r, 100)); return x; });
    return cluster.get(Array.from({ length: 8 }, (_, i) => slow(i)));`));
  expect(again.ok, JSON.stringify(again)).toBe(true);
  expect((await status(w1)).tasksRun).toBeGreaterThan(before[0]!);
});

test('the core cap changes the slots the coordinator fills on that worker', async () => {
  const [w1, w2] = local.workers as [Page, Page];
  const peerId = await peerOf(w1);
  await setPaused(w2, true); // everything goes to w1
  try {
    await setCores(w1, 1);
    expect((await status(w1)).coreCap).toBe(1);
    await expect(w1.locator('#cores')).toHaveValue('1');
    expect(await mostAtOnce(peerId, 6, 250)).toBe(1);
    await setCores(w1, 2);
    expect((await summary(peerId)).caps?.slots).toBe(2);
    expect(await mostAtOnce(peerId, 6, 250)).toBe(2);
  } finally {
    await setPaused(w2, false);
  }
});

test('the worker page shows the running job’s name and the SHA-256 of its code', async () => {
  const source = job(`const nap = cluster.remote(async function nap() { await new Promise((r) => setTimeout(r, 2500)); return 1; });
    return cluster.get([nap(), nap()]);`);
  const running = runJob(source, 'volunteer-check');
  const w1 = local.workers[0]!;
  await w1.waitForFunction(() => window.shoalWorker!.status().job?.name === 'volunteer-check');
  const sha256 = createHash('sha256').update(source).digest('hex');
  expect((await status(w1)).job).toEqual({ name: 'volunteer-check', codeHash: sha256 });
  await expect(w1.locator('#job')).toContainText('volunteer-check');
  await expect(w1.locator('#job')).toContainText(sha256.slice(0, 16));
  expect((await running).ok).toBe(true);
  await w1.waitForFunction(() => window.shoalWorker!.status().job === null);
});

/** Runs `bad` (expected to fail) then a normal task, on w1 alone; answers the error code and message, and w1's runs. */
async function badThenGood(badBody: string): Promise<{ code: string | null; message: string; good: number; runs: number }> {
  const [w1, w2] = local.workers as [Page, Page];
  await setPaused(w2, true);
  try {
    const before = (await status(w1)).tasksRun;
    const outcome = await runJob(
      job(`const bad = cluster.remote(function bad() { ${badBody} });
      const good = cluster.remote(function good(x) { return x + 1; });
      let code = null, message = '';
      try { await cluster.get(bad()); } catch (error) { code = error.code; message = error.message; }
      return { code, message, good: await cluster.get(good(41)) };`),
    );
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    const result = (outcome as { result: { code: string | null; message: string; good: number } }).result;
    return { ...result, runs: (await status(w1)).tasksRun - before };
  } finally {
    await setPaused(w2, false);
  }
}

test('an endless loop without a timeout is stopped by the time cap (ERR_TASK_RUNAWAY), once, and the worker serves on', async () => {
  await expect(local.workers[0]!.locator('#caps')).toContainText('at most 3 s');
  const result = await badThenGood('while (true) {}');
  expect(result.code).toBe('ERR_TASK_RUNAWAY');
  expect(result.message).toContain('cap of 3 s');
  expect(result.message).toContain('taskSeconds=');
  expect(result.good).toBe(42);
  expect(result.runs).toBe(2); // not retried: the loop ran once, then `good`
  expect(local.pageErrors).toEqual([]);
});

test('a typed-array allocation bomb is stopped by the memory cap (ERR_TASK_MEMORY), and the worker serves on', async () => {
  // Bounded at 2 GiB, so a broken guard fails the test instead of exhausting the machine.
  const result = await badThenGood('const a = []; for (let i = 0; i < 256; i++) a.push(new Float64Array(1 << 20)); return "escaped " + a.length;');
  expect(result.code).toBe('ERR_TASK_MEMORY');
  expect(result.message).toContain('cap of 64 MiB');
  expect(result.message).toContain('taskMemory=');
  expect(result.good).toBe(42);
  expect(result.runs).toBe(2);
  expect(local.pageErrors).toEqual([]);
});
