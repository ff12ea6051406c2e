/**
 * A real cluster: the signaling server, one Chromium, a coordinator tab and two
 * worker tabs talking over WebRTC data channels. One cluster serves the file.
 */
import { expect, test } from '@playwright/test';
import type { LocalCluster } from '@shoal/launcher';
import { cluster, example, job } from './helpers.ts';

let local: Awaited<ReturnType<typeof cluster>>;

test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  local = await cluster({ workers: 2 });
});
test.afterAll(async () => {
  await local?.close();
});

const workerCount = (c: LocalCluster) => c.coordinator.evaluate(() => window.shoalCoordinator!.workers().length);

test('two worker tabs and a coordinator connect, with their capabilities', async () => {
  const workers = await local.coordinator.evaluate(() => window.shoalCoordinator!.workers());
  expect(workers.map((w) => w.name).sort()).toEqual(['w1', 'w2']);
  for (const worker of workers) {
    expect(worker.caps?.cores).toBeGreaterThanOrEqual(1);
    expect(worker.caps?.slots).toBe(1);
    expect(worker.caps?.userAgent).toContain('Chrome');
    // --enable-unsafe-webgpu gives SwiftShader here, reported as a fallback adapter
    expect(worker.caps?.gpu?.isFallback).toBe(true);
  }
  // The page shows them, and the join link as text and as a drawn QR code.
  await expect(local.coordinator.locator('#workers tr')).toHaveCount(2);
  await expect(local.coordinator.locator('#join-link')).toHaveText(new RegExp(`/worker\\.html\\?room=${local.room}$`));
  const qrInk = await local.coordinator.evaluate(() => {
    const canvas = document.getElementById('qr') as HTMLCanvasElement;
    const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let dark = 0;
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i]! < 128) dark++;
    return dark / (pixels.length / 4);
  });
  expect(qrInk).toBeGreaterThan(0.2);
  for (const page of local.workers) {
    const status = await page.evaluate(() => window.shoalWorker!.status());
    expect(status).toMatchObject({ connection: 'connected', coordinator: 'open' });
    await expect(page.locator('#connection')).toHaveText('Connected');
  }
});

test('the Monte Carlo π example gives π to two decimals', async () => {
  const outcome = await local.runJob(example('pi.js'));
  expect(outcome.ok).toBe(true);
  if (outcome.ok) expect(Math.abs((outcome.result as number) - Math.PI)).toBeLessThan(0.005);
  // Both workers took part: the mesh reaches each of them.
  for (const page of local.workers) expect((await page.evaluate(() => window.shoalWorker!.status())).tasksRun).toBeGreaterThan(0);
});

test('a dependent chain of refs gives the right value', async () => {
  expect(await local.runJob(example('chain.js'))).toMatchObject({ ok: true, result: { chain: 94, total: 659 } });
});

test('tasks run in Web Workers, with the context as the last argument', async () => {
  const outcome = await local.runJob(
    job(`
    const where = cluster.remote((x, ctx) => ({ x, window: typeof window, scope: self.constructor.name, worker: ctx.workerId, task: ctx.taskId }));
    return cluster.get(where(3));`),
  );
  expect(outcome.ok).toBe(true);
  const result = (outcome as { result: Record<string, unknown> }).result;
  expect(result).toMatchObject({ x: 3, window: 'undefined', scope: 'DedicatedWorkerGlobalScope' });
  const ids = await local.coordinator.evaluate(() => window.shoalCoordinator!.workers().map((w) => w.peerId));
  expect(ids).toContain(result['worker']);
});

test('task traffic goes peer to peer: the signaling server relays none of it', async () => {
  const before = local.server.stats().messages;
  const outcome = await local.runJob(
    job(`
    const inc = cluster.remote((x) => x + 1);
    const refs = Array.from({ length: 200 }, (_, i) => inc(i));
    const values = await cluster.get(refs);
    return values.reduce((a, b) => a + b, 0);`),
  );
  expect(outcome).toMatchObject({ ok: true, result: 20_100 });
  expect(local.server.stats().messages).toBe(before);
});

test('a remote exception surfaces with its message, remote stack and worker; dependents fail too', async () => {
  const outcome = await local.runJob(
    job(`
    const explode = cluster.remote(function explode(x) {
      if (x > 1) throw new RangeError('x too big: ' + x);
      return x;
    });
    const after = cluster.remote((v) => v + 1, { name: 'after' });
    const first = explode(5);
    const second = after(first);
    const errors = [];
    for (const ref of [first, second]) {
      try { await cluster.get(ref); } catch (e) { errors.push({ code: e.code, message: e.message, remote: e.remote }); }
    }
    return errors;`),
  );
  expect(outcome.ok).toBe(true);
  const [direct, downstream] = (outcome as { result: Array<{ code: string; message: string; remote: { name: string; stack: string; workerId: string } }> }).result;
  expect(direct!.code).toBe('ERR_TASK_FAILED');
  expect(direct!.message).toMatch(/task 'explode' failed on worker \w+: RangeError: x too big: 5/);
  expect(direct!.remote.name).toBe('RangeError');
  // The remote stack points into the task's own source: the throw is on line 2 of the function.
  expect(direct!.remote.stack).toMatch(/shoal-task\/explode\.js:2:/);
  expect(downstream!.code).toBe('ERR_DEPENDENCY_FAILED');
  expect(downstream!.message).toMatch(/task 'after' did not run: its input from task 'explode' failed/);
});

test('an uncaught task error fails the job with the remote message, and the cluster keeps working', async () => {
  const failed = await local.runJob(job(`return cluster.get(cluster.remote(() => { throw new TypeError('no such thing') })());`));
  expect(failed).toMatchObject({ ok: false, error: { code: 'ERR_TASK_FAILED', remote: { name: 'TypeError', message: 'no such thing' } } });
  expect(await local.runJob(job(`return cluster.get(cluster.remote((a, b) => a * b)(6, 7));`))).toMatchObject({ ok: true, result: 42 });
});

test('bad jobs and bad calls fail with typed errors', async () => {
  expect(await local.runJob('export const x = 1;')).toMatchObject({ ok: false, error: { code: 'ERR_BAD_JOB' } });
  expect(await local.runJob('export default (')).toMatchObject({ ok: false, error: { code: 'ERR_BAD_JOB' } });
  expect(await local.runJob(job(`cluster.remote((x) => x)(new Map());`))).toMatchObject({ ok: false, error: { code: 'ERR_NOT_SERIALIZABLE' } });
  expect(await local.runJob(job(`cluster.remote((x) => x, { retries: 1 });`))).toMatchObject({
    ok: false,
    error: { code: 'ERR_BAD_OPTION', message: expect.stringContaining('valid ones are: name, resources, maxRetries') },
  });
  const unsendable = await local.runJob(job(`return cluster.get(cluster.remote(() => ({ fn: () => 1 }))());`));
  expect(unsendable).toMatchObject({ ok: false, error: { code: 'ERR_NOT_SERIALIZABLE', message: expect.stringMatching(/function/) } });
});

test('ctx.log output reaches the coordinator page', async () => {
  await local.runJob(job(`await cluster.get(cluster.remote((x, ctx) => { ctx.log('hello from', x); return x; }, { name: 'greeter' })('e2e'));`));
  await expect(local.coordinator.locator('#logs')).toContainText(/\[greeter@\w+\] hello from e2e/);
});

test('a worker tab closed mid-task disappears from the list, and its task is rerun elsewhere', async () => {
  const extra = await local.addWorker();
  expect(await workerCount(local)).toBe(3);
  await expect(local.coordinator.locator('#workers tr')).toHaveCount(3);
  // Six one-second tasks over three one-slot workers: the new tab gets some.
  const running = local.runJob(
    job(`
    const slow = cluster.remote((i) => { const end = Date.now() + 1000; while (Date.now() < end); return i * i; }, { name: 'slow' });
    return cluster.get(Array.from({ length: 6 }, (_, i) => slow(i)));`),
  );
  await expect.poll(() => extra.evaluate(() => window.shoalWorker!.status().currentTask), { timeout: 20_000 }).toBe('slow');
  await extra.close();
  await expect.poll(() => workerCount(local)).toBe(2);
  await expect(local.coordinator.locator('#workers tr')).toHaveCount(2);
  expect(await running).toMatchObject({ ok: true, result: [0, 1, 4, 9, 16, 25] });
});

test('no page threw an uncaught error', () => {
  expect(local.pageErrors).toEqual([]);
});
