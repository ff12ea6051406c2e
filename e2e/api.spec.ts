/**
 * The task/object API end to end, on real tabs: nested refs, refs returned by
 * tasks, tasks submitting tasks, put/wait/free, cancellation, timeouts,
 * retries and resources. Two one-slot workers serve the whole file.
 */
import { expect, test } from '@playwright/test';
import { cluster, job } from './helpers.ts';

let local: Awaited<ReturnType<typeof cluster>>;

test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  local = await cluster({ workers: 2 });
});
test.afterAll(async () => {
  await local?.close();
});

const run = (body: string) => local.runJob(job(body));

test('refs nested in arguments, put objects and multiple returns', async () => {
  const outcome = await run(`
    const pair = cluster.remote((x) => [x, x * 10], { numReturns: 2 });
    const [a, b] = pair(4);
    const table = cluster.put({ scale: 3, rows: [1, 2, 3] });
    const combine = cluster.remote((input) => input.t.scale * (input.a + input.list[0] + input.list[1]));
    return cluster.get(combine({ a, list: [b, a], t: table }));`);
  expect(outcome).toMatchObject({ ok: true, result: 3 * (4 + 40 + 4) });
});

test('a task may return a ref, which get() hands back as a ref', async () => {
  const outcome = await run(`
    const outer = cluster.remote((x, ctx) => ({ inner: ctx.remote((y) => y * 2)(x) }));
    const { inner } = await cluster.get(outer(21));
    return { isRef: String(inner).startsWith('ObjectRef('), value: await cluster.get(inner) };`);
  expect(outcome).toMatchObject({ ok: true, result: { isRef: true, value: 42 } });
});

test('tasks submit tasks: a recursive Fibonacci does not deadlock on one-slot workers', async () => {
  const outcome = await run(`
    const fib = cluster.remote(async function fib(n, ctx) {
      if (n < 2) return n;
      const me = ctx.remote(fib, { name: 'fib' });
      const [a, b] = await ctx.get([me(n - 1), me(n - 2)]);
      return a + b;
    }, { name: 'fib' });
    return cluster.get(fib(9), { timeout: 60000 });`);
  expect(outcome).toMatchObject({ ok: true, result: 34 });
});

test('a tree reduction built inside tasks', async () => {
  const outcome = await run(`
    const sum = cluster.remote(async function sum(lo, hi, ctx) {
      if (hi - lo <= 8) { let s = 0; for (let i = lo; i < hi; i++) s += i; return s; }
      const mid = (lo + hi) >> 1;
      const self = ctx.remote(sum, { name: 'sum' });
      const parts = await ctx.get([self(lo, mid), self(mid, hi)]);
      return parts[0] + parts[1];
    }, { name: 'sum' });
    return cluster.get(sum(0, 100));`);
  expect(outcome).toMatchObject({ ok: true, result: 4950 });
});

test('wait() with a timeout returns what is ready, in input order', async () => {
  const outcome = await run(`
    const slow = cluster.remote((ms) => { const end = Date.now() + ms; while (Date.now() < end); return ms; }, { name: 'slow' });
    const refs = [slow(1500), slow(1), slow(1)];
    const first = await cluster.wait(refs, { numReturns: 3, timeout: 700 });
    const all = await cluster.wait(refs, { numReturns: 3 });
    return {
      ready: first.ready.map((r) => refs.indexOf(r)),
      pending: first.pending.map((r) => refs.indexOf(r)),
      later: all.ready.map((r) => refs.indexOf(r)),
    };`);
  expect(outcome).toMatchObject({ ok: true, result: { ready: [1, 2], pending: [0], later: [0, 1, 2] } });
});

test('cancel a queued task and a running one; the cluster keeps going', async () => {
  const outcome = await run(`
    const spin = cluster.remote((ms, ctx) => {
      const end = Date.now() + ms;
      while (Date.now() < end) if (ctx.signal.aborted) throw new Error('stopped by signal');
      return 'finished';
    }, { name: 'spin' });
    const stubborn = cluster.remote(() => { while (true); }, { name: 'stubborn' });
    const never = cluster.remote(() => 'ran', { name: 'never', resources: { custom: { nothing: 1 } } });
    const queued = never();
    const dependent = cluster.remote((x) => x, { name: 'dependent' })(queued);
    cluster.cancel(queued);
    const cooperative = spin(20000);
    const forced = stubborn();
    await new Promise((r) => setTimeout(r, 500));
    cluster.cancel(cooperative);
    cluster.cancel(forced, { force: true });
    const codes = [];
    for (const ref of [queued, dependent, cooperative, forced]) {
      try { await cluster.get(ref, { timeout: 10000 }); codes.push('resolved'); } catch (e) { codes.push(e.code); }
    }
    const after = await cluster.get([spin(1), spin(1)], { timeout: 10000 });
    return { codes, after };`);
  expect(outcome).toMatchObject({
    ok: true,
    result: { codes: ['ERR_CANCELLED', 'ERR_DEPENDENCY_FAILED', 'ERR_CANCELLED', 'ERR_CANCELLED'], after: ['finished', 'finished'] },
  });
});

test('a task that hangs past its timeout is stopped, and its slot is reused', async () => {
  const outcome = await run(`
    const hang = cluster.remote(() => { while (true); }, { name: 'hang', timeout: 400 });
    let error;
    try { await cluster.get(hang()); } catch (e) { error = { code: e.code, message: e.message }; }
    const ok = await cluster.get(cluster.remote((x) => x + 1)(1));
    return { error, ok };`);
  expect(outcome).toMatchObject({ ok: true, result: { error: { code: 'ERR_TIMEOUT', message: expect.stringContaining('timeout of 400 ms') }, ok: 2 } });
});

test('retryExceptions re-runs a task that throws once; without it the error stands', async () => {
  const outcome = await run(`
    const flaky = (x, ctx) => { if (ctx.attempt === 1) throw new Error('first try fails'); return x * ctx.attempt; };
    const retried = cluster.remote(flaky, { name: 'flaky', retryExceptions: true, maxRetries: 2 });
    const plain = cluster.remote(flaky, { name: 'flaky-once' });
    let error = null;
    try { await cluster.get(plain(5)); } catch (e) { error = e.remote.message; }
    return { retried: await cluster.get(retried(5)), error };`);
  expect(outcome).toMatchObject({ ok: true, result: { retried: 10, error: 'first try fails' } });
});

test('a resource request no worker meets stays pending and says why, then runs when one joins', async () => {
  const pending = local.runJob(
    job(`
    const special = cluster.remote(() => 'ran on the special worker', { name: 'special', resources: { custom: { special: 1 } } });
    const ref = special();
    const early = await cluster.wait([ref], { timeout: 800 });
    const status = cluster.status(ref);
    globalThis.__specialStatus = { pending: early.pending.length, state: status.state, reason: status.reason };
    return { early: globalThis.__specialStatus, value: await cluster.get(ref, { timeout: 30000 }) };`),
  );
  await expect.poll(() => local.coordinator.evaluate(() => (globalThis as { __specialStatus?: unknown }).__specialStatus ?? null)).not.toBeNull();
  await expect(local.coordinator.locator('#logs')).toContainText(/\[special@scheduler\] cannot run on any worker present/);
  const page = await local.context.newPage();
  await page.goto(`${local.url}/worker.html?room=${local.room}&slots=1&name=special&resources=special:1`);
  const outcome = await pending;
  await page.close();
  expect(outcome).toMatchObject({
    ok: true,
    result: { early: { pending: 1, state: 'pending', reason: expect.stringMatching(/special/) }, value: 'ran on the special worker' },
  });
});

test('free() releases an object: get fails with ERR_OBJECT_LOST', async () => {
  const outcome = await run(`
    const ref = cluster.put([1, 2, 3]);
    const before = await cluster.get(ref);
    cluster.free(ref);
    try { await cluster.get(ref); return 'still there'; } catch (e) { return { before, code: e.code }; }`);
  expect(outcome).toMatchObject({ ok: true, result: { before: [1, 2, 3], code: 'ERR_OBJECT_LOST' } });
});

test('options are checked at once, listing the valid ones', async () => {
  const outcome = await run(`
    const errors = [];
    for (const bad of [{ timeout: -1 }, { resources: { cpu: 'lots' } }, { numReturn: 2 }]) {
      try { cluster.remote((x) => x, bad); } catch (e) { errors.push(e.code + ': ' + e.message); }
    }
    return errors;`);
  expect(outcome.ok).toBe(true);
  const errors = (outcome as { result: string[] }).result;
  expect(errors).toHaveLength(3);
  expect(errors[0]).toMatch(/ERR_BAD_OPTION: option 'timeout' must be a positive number/);
  expect(errors[1]).toMatch(/ERR_BAD_OPTION: option 'resources' must be/);
  expect(errors[2]).toMatch(/unknown option 'numReturn'; valid ones are: name, resources, maxRetries, retryExceptions, timeout, priority, numReturns/);
});

test('no page threw an uncaught error', () => {
  expect(local.pageErrors).toEqual([]);
});
