/**
 * The coordinator dashboard, on a real cluster of three worker tabs: a job of
 * 500+ tasks with one failure shows in the workers table, progress, the task
 * stream, the graph and the errors view; a red bar links to its error; the job
 * comes back from history after a reload, and through export and import.
 * Screenshots of each view go to the test's output folder.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import type { DashboardSnapshot } from '@shoal/protocol';
import { cluster, job } from './helpers.ts';

let local: Awaited<ReturnType<typeof cluster>>;
let jobId = '';
let failedTask = '';

test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  local = await cluster({ workers: 3, slotsPerWorker: 1 });
  await local.coordinator.setViewportSize({ width: 1400, height: 900 });
});
test.afterAll(async () => {
  await local?.close();
});

const snapshot = (page: Page = local.coordinator): Promise<DashboardSnapshot> => page.evaluate(() => window.shoalCoordinator!.dashboard!());

async function shoot(page: Page, testInfo: TestInfo, section: string, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.locator(`#${section}`).screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/**
 * 480 squares summed in 24 groups of 20, then a total; 20 `explode` tasks of
 * which one throws; one task that makes a 160 KB array and one that takes it
 * (so its run starts with a fetch).
 */
const BIG_JOB = job(`
  const square = cluster.remote(function square(x) { return x * x; });
  const sum = cluster.remote(function sum(...xs) { const ctx = xs.pop(); ctx.log('summing', xs.length); return xs.reduce((a, b) => a + b, 0); });
  const total = cluster.remote(function total(...xs) { xs.pop(); return xs.reduce((a, b) => a + b, 0); });
  const explode = cluster.remote(function explode(x) {
    if (x === 7) throw new RangeError('x is seven');
    return x;
  });
  const big = cluster.remote(function big(n) { return new Float64Array(n).fill(1); });
  const consume = cluster.remote(function consume(values) { return values.length; });
  const groups = [];
  for (let g = 0; g < 24; g++) groups.push(sum(...Array.from({ length: 20 }, (_, i) => square(g * 20 + i))));
  const all = total(...groups);
  const booms = Array.from({ length: 20 }, (_, i) => explode(i));
  const length = consume(big(20000));
  const rows = [];
  for (const [g, ref] of groups.entries()) rows.push({ group: g, sum: await cluster.get(ref) });
  let failure = null;
  for (const ref of booms) { try { await cluster.get(ref); } catch (e) { failure = e.code; } }
  return { rows, total: await cluster.get(all), length: await cluster.get(length), failure };
`);
const TASKS = { square: 480, sum: 24, total: 1, explode: 20, big: 1, consume: 1 };

test('a 500-task job with one failure shows in every view', async ({}, testInfo) => {
  const page = local.coordinator;
  const outcome = await local.runJob(BIG_JOB);
  expect(outcome).toMatchObject({ ok: true, result: { total: 36_748_880, length: 20_000, failure: 'ERR_TASK_FAILED' } });
  await expect.poll(async () => (await snapshot()).running).toBe(false);
  const state = await snapshot();
  jobId = state.liveJobId!;

  // Workers: three rows, each with its device.
  const workers = await page.evaluate(() => window.shoalCoordinator!.workers());
  await expect(page.locator('#workers tr')).toHaveCount(3);
  for (const worker of workers) {
    const row = page.locator(`#workers tr[data-peer="${worker.peerId}"]`);
    await expect(row).toContainText(`${worker.caps!.cores} cores`);
    await expect(row).toContainText('(fallback)');
    await expect(row).toContainText(/connected|busy/);
  }
  await shoot(page, testInfo, 'workers-section', 'workers');
  await shoot(page, testInfo, 'join-section', 'join');

  // Progress: every name reaches its total; one explode failed.
  await expect.poll(async () => (await snapshot()).progress['square']?.done).toBe(480);
  const progress = (await snapshot()).progress;
  for (const [name, count] of Object.entries(TASKS)) {
    expect(progress[name], name).toMatchObject({ submitted: count, running: 0, queued: 0, done: name === 'explode' ? count - 1 : count, failed: name === 'explode' ? 1 : 0 });
  }
  await expect(page.locator('#progress [data-name="explode"]')).toHaveAttribute('data-failed', '1');
  await expect(page.locator('#progress [data-name="*"]')).toHaveAttribute('data-done', '526');
  await expect(page.locator('#progress [data-name="*"] .counters')).toContainText('526 done · 0 running · 0 queued · 1 failed / 527');
  await shoot(page, testInfo, 'progress-section', 'progress');

  // Task stream: bars drawn for every worker, three lanes, every run drawn once the job ended (whole-job view).
  const bars = (await snapshot()).streamBars;
  expect(Object.keys(bars).sort()).toEqual(workers.map((w) => w.peerId).sort());
  for (const count of Object.values(bars)) expect(count).toBeGreaterThan(0);
  expect(Object.values(bars).reduce((a, b) => a + b, 0)).toBe(527);
  expect((await snapshot()).lanes).toBe(3);
  // Each lane has ink: sample the canvas row by row.
  const inkPerLane = await page.evaluate(() => {
    const canvas = document.querySelector('.stream-base') as HTMLCanvasElement;
    const ctx = canvas.getContext('2d')!;
    const dpr = canvas.width / canvas.getBoundingClientRect().width;
    const laneH = (canvas.height / dpr - 18 - 2) / 3;
    return [0, 1, 2].map((lane) => {
      const y = Math.round((18 + lane * laneH + laneH / 2) * dpr);
      const row = ctx.getImageData(Math.round(100 * dpr), y, canvas.width - Math.round(100 * dpr), 1).data;
      let ink = 0;
      for (let i = 0; i < row.length; i += 4) if (row[i + 3]! > 0 && row[i]! + row[i + 1]! + row[i + 2]! < 600) ink++;
      return ink;
    });
  });
  for (const ink of inkPerLane) expect(ink).toBeGreaterThan(5);
  await shoot(page, testInfo, 'stream-section', 'stream');

  // Graph: over 200 tasks, so one node per task name.
  expect((await snapshot()).dag).toMatchObject({ mode: 'groups', nodes: 6 });
  await expect(page.locator('#dag g.node')).toHaveCount(6);
  await expect(page.locator('#dag g.node[data-id="group:explode"]')).toHaveAttribute('data-state', 'failed');
  await page.locator('#dag g.node[data-id="group:sum"]').click();
  await expect(page.locator('#detail')).toContainText('sum (24 tasks)');
  await shoot(page, testInfo, 'dag-section', 'dag');

  // Errors: the failing task with its remote stack, worker and arguments.
  const errors = page.locator('#errors article.error');
  await expect(errors).toHaveCount(1);
  await expect(errors).toContainText('RangeError: x is seven');
  await expect(errors.locator('pre.stack')).toContainText(/shoal-task\/explode\.js:2:/);
  await expect(errors).toContainText('arguments: [7]');
  failedTask = (await errors.getAttribute('data-task'))!;
  await expect(page.locator('#logs')).toContainText(/\[sum@\w+\] summing 20/);
  await shoot(page, testInfo, 'errors-section', 'errors');
  await shoot(page, testInfo, 'logs-section', 'logs');

  // The red bar links to its error: click it on the canvas.
  const at = await page.evaluate((id) => window.shoalCoordinator!.dashboardBarAt!(id), failedTask);
  expect(at).not.toBeNull();
  await page.locator('.stream-overlay').click({ position: at! });
  await expect(page.locator(`#error-${failedTask}`)).toHaveClass(/flash/);
  await expect(page.locator('#detail')).toContainText('RangeError: x is seven');
  await shoot(page, testInfo, 'detail-section', 'detail');

  await expect(page.locator('#result')).toContainText('"total": 36748880');
  await expect(page.locator('#history-list tr[data-job]').first()).toHaveAttribute('data-job', jobId);
  await page.screenshot({ path: testInfo.outputPath('page.png'), fullPage: true });
});

test('the Run button runs an example; an image result is drawn, a table result is a table', async ({}, testInfo) => {
  const page = local.coordinator;
  const before = (await snapshot()).liveJobId;
  await page.locator('#examples').selectOption('chain');
  await expect(page.locator('#editor .cm-content')).toContainText('A dependency chain');
  await page.locator('#run').click();
  await expect.poll(async () => (await snapshot()).liveJobId).not.toBe(before);
  await expect.poll(async () => (await snapshot()).running).toBe(false);
  await expect(page.locator('#job-state')).toContainText(/done in \d+ ms/);
  await expect(page.locator('#result')).toContainText('"total": 659');
  await expect(page.locator('#history-list tr[data-job]').first()).toContainText('chain');
  // A small graph is drawn task by task.
  await expect.poll(async () => (await snapshot()).dag).toEqual({ mode: 'tasks', nodes: 16, edges: 17 });
  await page.locator('#dag g.node').last().click();
  await expect(page.locator('#detail')).toContainText('Inputs (3)');
  await shoot(page, testInfo, 'dag-section', 'dag-small');
  await shoot(page, testInfo, 'detail-section', 'detail-small');
  // {width, height, rgba} is drawn as an image.
  const image = await local.runJob(
    job(`
    const band = cluster.remote(function band(y, w) {
      const rgba = new Uint8ClampedArray(w * 4);
      for (let x = 0; x < w; x++) rgba.set([x * 2, y * 4, 255 - x * 2, 255], x * 4);
      return rgba;
    });
    const rows = await cluster.get(Array.from({ length: 60 }, (_, y) => band(y, 120)));
    const rgba = new Uint8ClampedArray(120 * 60 * 4);
    rows.forEach((row, y) => rgba.set(row, y * 120 * 4));
    return { width: 120, height: 60, rgba };`),
  );
  expect(image.ok).toBe(true);
  await expect(page.locator('#result canvas.result-image')).toHaveCount(1);
  const ink = await page.evaluate(() => {
    const canvas = document.querySelector('#result canvas') as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += 4 * 7) colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
    return { width: canvas.width, colours: colours.size };
  });
  expect(ink).toMatchObject({ width: 120 });
  expect(ink.colours).toBeGreaterThan(100);
  await shoot(page, testInfo, 'run-section', 'run-image');
  // An array of objects is a table.
  expect(await local.runJob(job(`return [{ name: 'a', value: 1 }, { name: 'b', value: 2.5 }];`))).toMatchObject({ ok: true });
  await expect(page.locator('#result table tbody tr')).toHaveCount(2);
  await expect(page.locator('#result table tbody tr').nth(1)).toHaveText('b2.5');
  await shoot(page, testInfo, 'run-section', 'run-table');
});

test('cancel stops a running job at once, and the cluster runs the next one', async ({}, testInfo) => {
  const page = local.coordinator;
  const running = local.runJob(
    job(`
    const slow = cluster.remote(function slow(i) { const end = Date.now() + 400; while (Date.now() < end); return i; });
    return cluster.get(Array.from({ length: 90 }, (_, i) => slow(i)));`),
  );
  await expect.poll(async () => (await snapshot()).progress['slow']?.done ?? 0).toBeGreaterThan(2);
  await shoot(page, testInfo, 'stream-section', 'stream-live');
  await shoot(page, testInfo, 'progress-section', 'progress-live');
  await page.locator('#cancel').click();
  const outcome = await running;
  expect(outcome).toMatchObject({ ok: false, error: { code: 'ERR_CANCELLED' } });
  await expect(page.locator('#job-state')).toContainText('cancelled');
  await expect.poll(async () => (await snapshot()).progress['slow']?.running).toBe(0);
  expect((await snapshot()).progress['slow']!.done).toBeLessThan(90);
  expect(await local.runJob(job(`return cluster.get(cluster.remote((a, b) => a * b)(6, 7));`))).toMatchObject({ ok: true, result: 42 });
});

test('a worker that leaves stays listed for a while, greyed, as lost', async ({}, testInfo) => {
  const page = local.coordinator;
  const extra = await local.addWorker();
  await expect(page.locator('#workers tr')).toHaveCount(4);
  const peerId = await extra.evaluate(() => window.shoalWorker!.status().peerId);
  // Its volunteer pauses it: the row says so.
  await extra.evaluate(() => window.shoalWorker!.pause());
  await expect(page.locator(`#workers tr[data-peer="${peerId}"] .state`)).toHaveText('paused');
  await extra.close();
  await expect(page.locator('#workers tr')).toHaveCount(3);
  const lost = page.locator(`#lost-workers tr.lost[data-lost-peer="${peerId}"]`);
  await expect(lost).toContainText('lost');
  await expect(lost).toContainText(/left (just now|[\d.]+ (ms|s) ago)/);
  await shoot(page, testInfo, 'workers-section', 'workers-lost');
});

test('actors show in the actors view while the job holds them: class, name, state, worker, calls', async ({}, testInfo) => {
  const page = local.coordinator;
  type Flags = { __actorsReady?: boolean; __actorsGo?: boolean };
  // The job runs in this page, so it waits on a flag the test sets there.
  const running = local.runJob(
    job(`
    class Counter { constructor(n) { this.n = n; } add(k) { this.n += k; return this.n; } }
    class Store { constructor() { this.m = {}; } set(k, v) { this.m[k] = v; return true; } }
    const counter = cluster.actor(Counter, { args: [0], name: 'tally' });
    const store = cluster.actor(Store);
    await cluster.get([counter.add(1), counter.add(2), counter.add(3), store.set('a', 1)]);
    cluster.kill(store);
    globalThis.__actorsReady = true;
    while (!globalThis.__actorsGo) await new Promise((resolve) => setTimeout(resolve, 50));
    const n = await cluster.get(counter.add(4));
    cluster.kill(counter);
    return n;`),
  );
  await page.waitForFunction(() => (globalThis as Flags).__actorsReady === true);
  const brief = async () =>
    (await snapshot()).actors
      .map(({ className, name, state, restarts, callsDone, running, queued }) => ({ className, name, state, restarts, callsDone, running, queued }))
      .sort((a, b) => a.className.localeCompare(b.className));
  await expect
    .poll(brief)
    .toEqual([
      { className: 'Counter', name: 'tally', state: 'alive', restarts: 0, callsDone: 3, running: 0, queued: 0 },
      { className: 'Store', name: null, state: 'dead', restarts: 0, callsDone: 1, running: 0, queued: 0 },
    ]);
  const rows = (await snapshot()).actors;
  const workers = await page.evaluate(() => window.shoalCoordinator!.workers());
  const counter = rows.find((row) => row.className === 'Counter')!;
  expect(counter.workerId).not.toBeNull();
  expect(counter.workerName).toBe(workers.find((worker) => worker.peerId === counter.workerId)?.name ?? null);
  expect(rows.find((row) => row.className === 'Store')!.death).toMatch(/killed/);
  await expect(page.locator('#actors tr[data-state="alive"]')).toContainText('Counter');
  await expect(page.locator('#actors tr[data-state="alive"]')).toContainText('tally');
  await expect(page.locator('#actors tr[data-state="dead"]')).toContainText('Store');
  await expect(page.locator('#actors tr[data-state="dead"]')).toContainText('killed');
  await expect(page.locator('#actor-count')).toHaveText('1');
  await shoot(page, testInfo, 'actors-section', 'actors');
  await page.evaluate(() => ((globalThis as Flags).__actorsGo = true));
  expect(await running).toMatchObject({ ok: true, result: 10 });
  await expect.poll(async () => (await snapshot()).actors.filter((row) => row.state !== 'dead').length).toBe(0);
});

test('10,000 trivial tasks: long tasks in the coordinator tab are measured and reported', async ({}, testInfo) => {
  const page = local.coordinator;
  await page.evaluate(() => {
    const entries: Array<[number, number]> = [];
    (globalThis as { __longTasks?: Array<[number, number]> }).__longTasks = entries;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) entries.push([entry.startTime, entry.duration]);
    }).observe({ type: 'longtask', buffered: false });
  });
  const outcome = await local.runJob(
    job(`
    const inc = cluster.remote(function inc(x) { return x + 1; });
    const t0 = performance.now();
    const refs = Array.from({ length: 10000 }, (_, i) => inc(i));
    const submitted = performance.now();
    const values = await cluster.get(refs);
    return { sum: values.reduce((a, b) => a + b, 0), t0, submitMs: Math.round(submitted - t0), ms: Math.round(performance.now() - t0) };`),
  );
  expect(outcome).toMatchObject({ ok: true, result: { sum: 50_005_000 } });
  await expect.poll(async () => (await snapshot()).running).toBe(false);
  await page.waitForTimeout(300);
  const longTasks = await page.evaluate(() => (globalThis as { __longTasks?: Array<[number, number]> }).__longTasks ?? []);
  const { t0, ms, submitMs } = (outcome as { result: { t0: number; ms: number; submitMs: number } }).result;
  const report = {
    tasks: 10_000,
    jobMs: ms,
    submitMs,
    longTasks: longTasks.length,
    maxMs: Math.round(Math.max(0, ...longTasks.map(([, duration]) => duration))),
    totalMs: Math.round(longTasks.reduce((sum, [, duration]) => sum + duration, 0)),
    /** Each long task: [start, duration] in ms from the job's start (the job ends at jobMs). */
    when: longTasks.map(([start, duration]) => [Math.round(start - t0), Math.round(duration)]),
  };
  console.log(`[dashboard] long tasks while 10,000 tasks ran: ${JSON.stringify(report)}`);
  await testInfo.attach('long-tasks.json', { body: JSON.stringify(report, null, 2), contentType: 'application/json' });
  expect((await snapshot()).progress['inc']).toMatchObject({ done: 10_000, failed: 0 });
  const after = await snapshot();
  expect(after.streamRuns).toEqual({ kept: 10_000, dropped: 0 });
  expect(Object.values(after.streamBars).reduce((a, b) => a + b, 0)).toBe(10_000);
  await shoot(page, testInfo, 'stream-section', 'stream-10k');
  await shoot(page, testInfo, 'progress-section', 'progress-10k');
});

test('after a reload, the history view reopens the finished job in every view', async ({}, testInfo) => {
  const page = local.coordinator;
  await page.reload();
  await page.waitForFunction(() => window.shoalCoordinator?.peerId() != null);
  const row = page.locator(`#history-list tr[data-job="${jobId}"]`);
  await expect(row).toContainText('527');
  await shoot(page, testInfo, 'history-section', 'history');
  await row.locator('button.open').click();
  await expect.poll(async () => (await snapshot()).viewing).toBe(jobId);
  await expect(page.locator('#viewing')).toBeVisible();
  const state = await snapshot();
  for (const [name, count] of Object.entries(TASKS)) expect(state.progress[name]).toMatchObject({ submitted: count, done: name === 'explode' ? count - 1 : count });
  expect(Object.keys(state.streamBars)).toHaveLength(3);
  expect(Object.values(state.streamBars).reduce((a, b) => a + b, 0)).toBe(527);
  expect(state.dag).toMatchObject({ mode: 'groups', nodes: 6 });
  await expect(page.locator('#errors article.error')).toContainText('RangeError: x is seven');
  await expect(page.locator('#errors pre.stack')).toContainText('shoal-task/explode.js');
  await expect(page.locator('#logs')).toContainText('summing 20');
  await expect(page.locator('#result')).toContainText('"total": 36748880');
  await page.locator('#viewing').screenshot({ path: testInfo.outputPath('viewing-banner.png') });
  await shoot(page, testInfo, 'stream-section', 'stream-replayed');
  await shoot(page, testInfo, 'dag-section', 'dag-replayed');
});

test('export then import round-trips a job', async ({}, testInfo) => {
  const page = local.coordinator;
  const before = await snapshot();
  const download = page.waitForEvent('download');
  await page.locator('#history-export').click();
  // Not under test-results: another Playwright run may clear that folder meanwhile.
  const folder = mkdtempSync(join(tmpdir(), 'shoal-history-'));
  const file = join(folder, 'history.json');
  await (await download).saveAs(file);
  const exported = JSON.parse(readFileSync(file, 'utf8')) as { format: string; jobs: Array<{ id: string; events: unknown[] }> };
  expect(exported.format).toBe('shoal-history');
  const mine = exported.jobs.find((record) => record.id === jobId)!;
  expect(mine.events.length).toBe(3 * 527);
  // Only this job goes back in, after it is deleted here.
  const single = join(folder, 'one-job.json');
  writeFileSync(single, JSON.stringify({ ...exported, jobs: [mine] }));
  await page.locator(`#history-list tr[data-job="${jobId}"] button.delete`).click();
  await expect(page.locator(`#history-list tr[data-job="${jobId}"]`)).toHaveCount(0);
  await page.locator('#history-import').setInputFiles(single);
  await expect(page.locator('#history-status')).toContainText('imported 1 job');
  await page.locator('#back-to-live').click();
  await page.locator(`#history-list tr[data-job="${jobId}"] button.open`).click();
  await expect.poll(async () => (await snapshot()).viewing).toBe(jobId);
  const after = await snapshot();
  expect(after.progress).toEqual(before.progress);
  expect(after.dag).toEqual(before.dag);
  expect(after.streamBars).toEqual(before.streamBars);
  expect(after.errors).toBe(1);
});

test('no page threw an uncaught error', () => {
  expect(local.pageErrors).toEqual([]);
});
