/**
 * Actors on real tabs: one cluster of three one-slot worker tabs for the
 * API tests, then one whose actor's tab is closed mid-stream.
 *
 * - Calls from one caller run in order; args may be refs; results are refs
 *   that tasks take as inputs.
 * - Handles passed to tasks and to other actors: they call the actor and get
 *   the result through their task context.
 * - Named actors, kill (ERR_ACTOR_KILLED), a constructor that throws
 *   (ERR_ACTOR_DIED), maxConcurrency letting an async actor interleave.
 * - Restart: the tab hosting an actor is closed while calls stream in; the
 *   actor is re-created on another tab, `restore()` gets its last
 *   `checkpoint()`, and later calls succeed.
 * - Direct calls (runtime/src/directCalls.ts): a task's calls to an actor on
 *   another tab go tab to tab: the coordinator's links carry none of their
 *   arguments (the job's own calls, through it, show up there), yet the
 *   dashboard counts them (and shows how many went direct), and one caller's
 *   order holds. Closing the actor's tab while a direct call runs fails that
 *   call with ERR_ACTOR_DIED, no hang; with maxTaskRetries it runs again on
 *   the restarted actor.
 */
import { expect, test } from '@playwright/test';
import { cluster, job } from './helpers.ts';

type Local = Awaited<ReturnType<typeof cluster>>;
let local: Local | null = null;

test.describe.configure({ mode: 'serial' });
test.setTimeout(120_000);
test.afterAll(async () => {
  await local?.close();
  local = null;
});

const shared = async () => (local ??= await cluster({ workers: 3, slotsPerWorker: 1 }));

async function ok(c: Local, body: string): Promise<unknown> {
  const outcome = await c.runJob(job(body));
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  return (outcome as { result: unknown }).result;
}

const COUNTER = `
  class Counter {
    constructor(start) { this.n = start; this.seen = []; }
    add(k) { this.n += k; this.seen.push(k); return this.n; }
    where(ctx) { return ctx.workerId; }
    history() { return this.seen; }
  }`;

test('calls from one caller run in submission order; args may be refs; results feed tasks', async () => {
  const c = await shared();
  const result = (await ok(
    c,
    `${COUNTER}
    const counter = cluster.actor(Counter, { args: [100] });
    const refs = [];
    for (let i = 1; i <= 40; i++) refs.push(counter.add(i));
    const fromRef = counter.add(cluster.put(1000));
    const double = cluster.remote((x) => x * 2);
    const doubled = await cluster.get(double(refs[39]));
    return { values: await cluster.get(refs), fromRef: await cluster.get(fromRef), doubled, history: await cluster.get(counter.history()) };`,
  )) as { values: number[]; fromRef: number; doubled: number; history: number[] };
  const expected = Array.from({ length: 40 }, (_, i) => 100 + ((i + 1) * (i + 2)) / 2);
  expect(result.values).toEqual(expected);
  expect(result.fromRef).toBe(expected[39]! + 1000);
  expect(result.doubled).toBe(expected[39]! * 2);
  expect(result.history).toEqual([...Array.from({ length: 40 }, (_, i) => i + 1), 1000]);
});

test('handles passed to tasks and to other actors call the actor through their context', async () => {
  const c = await shared();
  const result = (await ok(
    c,
    `${COUNTER}
    class Relay {
      constructor(target) { this.target = target; }
      async bump(k, ctx) { return ctx.get(this.target.add(k)); }
    }
    const counter = cluster.actor(Counter, { args: [0], name: 'shared-counter' });
    const viaTask = cluster.remote(async (handle, ctx) => {
      const refs = [handle.add(1), handle.add(2), handle.add(3)];
      return ctx.get(refs);
    });
    const fromTask = await cluster.get(viaTask(counter));
    const relay = cluster.actor(Relay, { args: [cluster.getActor('shared-counter')] });
    const fromActor = await cluster.get(relay.bump(10));
    const byName = await cluster.get(cluster.getActor('shared-counter').add(0));
    return { fromTask, fromActor, byName };`,
  )) as { fromTask: number[]; fromActor: number; byName: number };
  expect(result.fromTask).toEqual([1, 3, 6]);
  expect(result.fromActor).toBe(16);
  expect(result.byName).toBe(16);
});

test('kill, a throwing constructor, an unknown name and a missing method each give a clear, typed error', async () => {
  const c = await shared();
  const result = (await ok(
    c,
    `${COUNTER}
    class Broken { constructor() { throw new RangeError('no config'); } ping() { return 1; } }
    const code = async (ref) => cluster.get(ref).then(() => 'ok', (e) => e.code + ': ' + e.message);
    const counter = cluster.actor(Counter, { args: [0], name: 'to-kill' });
    await cluster.get(counter.add(1));
    cluster.kill(counter);
    const afterKill = await code(counter.add(1));
    let unknownName = '';
    try { cluster.getActor('to-kill'); } catch (e) { unknownName = e.code; }
    const broken = await code(cluster.actor(Broken).ping());
    const missing = await code(cluster.actor(Counter, { args: [0] }).nope());
    let notAClass = '';
    try { cluster.actor((x) => x); } catch (e) { notAClass = e.code; }
    return { afterKill, unknownName, broken, missing, notAClass };`,
  )) as Record<string, string>;
  expect(result.afterKill).toMatch(/^ERR_ACTOR_KILLED: actor Counter .* was killed/);
  expect(result.unknownName).toBe('ERR_BAD_OPTION');
  expect(result.broken).toMatch(/^ERR_ACTOR_DIED: .*RangeError: no config/);
  expect(result.missing).toMatch(/^ERR_TASK_FAILED: .*Counter has no method 'nope'/);
  expect(result.notAClass).toBe('ERR_BAD_FUNCTION');
});

test('maxConcurrency lets an async actor interleave calls (with 1, the same calls would wait forever)', async () => {
  const c = await shared();
  const result = (await ok(
    c,
    `class Latch {
      constructor() { this.opened = new Promise((resolve) => (this.open_ = resolve)); }
      async wait() { await this.opened; return 'released'; }
      open() { this.open_(); return 'opened'; }
    }
    const latch = cluster.actor(Latch, { maxConcurrency: 2 });
    const waiting = latch.wait();
    const opening = latch.open();
    const interleaved = await cluster.get([waiting, opening]);
    const serial = cluster.actor(Latch);
    const stuck = serial.wait();
    serial.open();
    const { ready } = await cluster.wait([stuck], { timeout: 1500 });
    return { interleaved, serialReady: ready.length };`,
  )) as { interleaved: string[]; serialReady: number };
  expect(result.interleaved).toEqual(['released', 'opened']);
  expect(result.serialReady).toBe(0);
});

test("an actor whose tab is closed mid-stream restarts on another tab, restores its checkpoint, and later calls succeed", async () => {
  const c = await shared();
  const running = c.runJob(
    job(`
    class Tally {
      constructor() { this.total = 0; this.calls = 0; }
      add(k, ctx) { this.total += k; this.calls += 1; return { total: this.total, worker: ctx.workerId }; }
      checkpoint() { return { total: this.total, calls: this.calls }; }
      restore(state) { this.total = state.total; this.calls = state.calls; }
    }
    const tally = cluster.actor(Tally, { name: 'tally' });
    const before = [];
    for (let i = 1; i <= 20; i++) before.push(await cluster.get(tally.add(1)));
    globalThis.__actorWorker = before[19].worker;
    // The test closes that tab now; calls made meanwhile either fail with ERR_ACTOR_DIED (running at the loss) or wait for the restart.
    const during = [];
    while (!globalThis.__tabClosed) {
      during.push(tally.add(1));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const settled = await Promise.all(during.map((ref) => cluster.get(ref).then((v) => ({ ok: true, v }), (e) => ({ ok: false, code: e.code }))));
    const after = await cluster.get(tally.add(1000));
    return { firstWorker: before[19].worker, before: before[19].total, settled, after };`),
  );
  await c.coordinator.waitForFunction(() => typeof (globalThis as { __actorWorker?: string }).__actorWorker === 'string', null, { timeout: 60_000 });
  const actorWorker = await c.coordinator.evaluate(() => (globalThis as { __actorWorker?: string }).__actorWorker!);
  const ids = await Promise.all(c.workers.map((page) => page.evaluate(() => window.shoalWorker!.status().peerId)));
  const index = ids.indexOf(actorWorker);
  expect(index).toBeGreaterThanOrEqual(0);
  const before = await c.coordinator.evaluate(() => window.shoalCoordinator!.workers().length);
  await c.workers[index]!.close();
  await c.coordinator.waitForFunction((n) => window.shoalCoordinator!.workers().length < n, before, { timeout: 30_000 });
  await c.coordinator.evaluate(() => ((globalThis as { __tabClosed?: boolean }).__tabClosed = true));
  const outcome = await running;
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const result = (outcome as { result: { firstWorker: string; before: number; settled: Array<{ ok: boolean; v?: { total: number }; code?: string }>; after: { total: number; worker: string } } }).result;
  expect(result.before).toBe(20);
  for (const call of result.settled) if (!call.ok) expect(call.code).toBe('ERR_ACTOR_DIED');
  const succeeded = result.settled.filter((call) => call.ok).length;
  // State survived through the checkpoint: every successful add counted once, and nothing was lost.
  expect(result.after.total).toBe(20 + succeeded + 1000);
  expect(result.after.worker).not.toBe(result.firstWorker);
  const log = await c.coordinator.evaluate(() => window.shoalCoordinator!.actorLog?.() ?? []);
  expect(log.filter((event) => event.className === 'Tally').map((event) => event.state)).toEqual(['pending', 'alive', 'restarting', 'alive', 'dead']);
  expect(c.pageErrors).toEqual([]);
});

test("a task's calls go tab to tab: the coordinator carries none of their bytes, the dashboard still counts them, and order holds", async () => {
  const c = await shared();
  const result = (await ok(
    c,
    `class Log {
      constructor() { this.seen = []; }
      add(k, pad) { this.seen.push(k); return this.seen.length; }
      where(ctx) { return ctx.workerId; }
      history() { return this.seen; }
    }
    // It holds its tab's one slot, so the calling task runs on another tab.
    const log = cluster.actor(Log, { resources: { cpu: 1 } });
    const actorAt = await cluster.get(log.where());
    const pad = 'x'.repeat(4000);
    const caller = cluster.remote(async (h, pad, ctx) => {
      const refs = [];
      for (let i = 1; i <= 100; i++) refs.push(h.add(i, pad)); // pipelined
      const pipelined = await ctx.get(refs);
      const sequential = [];
      for (let i = 101; i <= 150; i++) sequential.push(await ctx.get(h.add(i, pad)));
      const missing = await ctx.get(h.nope()).then(() => 'ok', (e) => e.code + ': ' + e.message);
      return { worker: ctx.workerId, pipelined, sequential, missing };
    });
    const bytes = () => { const t = window.shoalCoordinator.traffic(); return t.controlBytesIn + t.controlBytesOut; };
    const before = bytes();
    const fromTask = await cluster.get(caller(log, pad));
    const taskBytes = bytes() - before;
    // The same calls made by the job go through the coordinator: there they show.
    const viaJob = [];
    for (let i = 0; i < 20; i++) viaJob.push(log.add(1000 + i, pad));
    await cluster.get(viaJob);
    const jobBytes = bytes() - before - taskBytes;
    return { actorAt, fromTask, taskBytes, jobBytes, history: await cluster.get(log.history()) };`,
  )) as { actorAt: string; fromTask: { worker: string; pipelined: number[]; sequential: number[]; missing: string }; taskBytes: number; jobBytes: number; history: number[] };
  expect(result.fromTask.worker).not.toBe(result.actorAt);
  expect(result.fromTask.pipelined).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  expect(result.fromTask.sequential).toEqual(Array.from({ length: 50 }, (_, i) => i + 101));
  expect(result.fromTask.missing).toMatch(/^ERR_TASK_FAILED: .*Log has no method 'nope'/); // worded as through the coordinator
  expect(result.history).toEqual([...Array.from({ length: 150 }, (_, i) => i + 1), ...Array.from({ length: 20 }, (_, i) => 1000 + i)]);
  // 150 calls × 4 KB of arguments went from tab to tab; the coordinator saw a few notices per call (and the task's own 4 KB argument).
  expect(result.taskBytes).toBeLessThan(150 * 4000 * 0.25);
  expect(result.jobBytes).toBeGreaterThan(20 * 4000);
  // The dashboard counts them all (announced and reported in batches): where() + 150 + nope() + 20 + history(); 151 of them direct.
  await c.coordinator.waitForFunction(() => window.shoalCoordinator!.dashboard!().actors.some((row) => row.className === 'Log' && row.callsDone >= 173 && row.directCalls >= 151), null, { timeout: 10_000 });
  await c.coordinator.waitForFunction(() => [...document.querySelectorAll('#actors td.calls div')].some((line) => Number(/^(\d+) direct$/.exec(line.textContent ?? '')?.[1] ?? 0) >= 151), null, { timeout: 10_000 });
});

test("closing an actor's tab while a task's direct call runs fails the call with ERR_ACTOR_DIED, without a hang", async () => {
  const c = await shared();
  await c.addWorker(); // the restart test above closed one tab
  const live = c.workers.filter((page) => !page.isClosed());
  const running = c.runJob(
    job(`
    class Slow {
      async nap(ms, ctx) { await new Promise((resolve) => setTimeout(resolve, ms)); return ctx.workerId; }
      where(ctx) { return ctx.workerId; }
    }
    const slow = cluster.actor(Slow, { resources: { cpu: 1 }, maxRestarts: 0 });
    globalThis.__slowAt = await cluster.get(slow.where());
    const caller = cluster.remote(async (h, ctx) => {
      const warm = await ctx.get(h.nap(1));
      const t0 = performance.now();
      let code = null;
      try { await ctx.get(h.nap(120000)); } catch (e) { code = e.code; }
      return { warm, code, waitedMs: performance.now() - t0, worker: ctx.workerId };
    });
    return { slowAt: globalThis.__slowAt, ...(await cluster.get(caller(slow))) };`),
  );
  await c.coordinator.waitForFunction(() => typeof (globalThis as { __slowAt?: string }).__slowAt === 'string', null, { timeout: 60_000 });
  // The long call is out (announced to the coordinator, which counts it as running there).
  await c.coordinator.waitForFunction(() => window.shoalCoordinator!.dashboard!().actors.some((row) => row.className === 'Slow' && row.running >= 1 && row.callsDone >= 2), null, { timeout: 30_000 });
  const slowAt = await c.coordinator.evaluate(() => (globalThis as { __slowAt?: string }).__slowAt!);
  const ids = await Promise.all(live.map((page) => page.evaluate(() => window.shoalWorker!.status().peerId)));
  const index = ids.indexOf(slowAt);
  expect(index).toBeGreaterThanOrEqual(0);
  await live[index]!.close();
  const outcome = await running;
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const result = (outcome as { result: { slowAt: string; warm: string; code: string; worker: string } }).result;
  expect(result.warm).toBe(result.slowAt);
  expect(result.worker).not.toBe(result.slowAt);
  expect(result.code).toBe('ERR_ACTOR_DIED');
  expect(c.pageErrors).toEqual([]);
});

test("with maxTaskRetries, a task's direct call whose actor tab closes mid-call runs again on the restarted actor", async () => {
  const c = await shared();
  await c.addWorker(); // the test above closed one tab: three again, so the actor has a tab to restart on
  const live = c.workers.filter((page) => !page.isClosed());
  const running = c.runJob(
    job(`
    class Nap {
      constructor() { this.calls = 0; }
      async nap(ms, ctx) { this.calls += 1; await new Promise((resolve) => setTimeout(resolve, ms)); return ctx.workerId; }
      where(ctx) { return ctx.workerId; }
    }
    const nap = cluster.actor(Nap, { resources: { cpu: 1 }, maxRestarts: 1, maxTaskRetries: 1 });
    globalThis.__napAt = await cluster.get(nap.where());
    const caller = cluster.remote(async (h, ctx) => {
      const warm = await ctx.get(h.nap(1));
      const again = await ctx.get(h.nap(3000)); // its tab closes while this runs
      const later = await ctx.get(h.where()); // on a new port to the restarted actor
      return { warm, again, later, worker: ctx.workerId };
    });
    return { napAt: globalThis.__napAt, ...(await cluster.get(caller(nap))), after: await cluster.get(nap.where()) };`),
  );
  await c.coordinator.waitForFunction(() => typeof (globalThis as { __napAt?: string }).__napAt === 'string', null, { timeout: 60_000 });
  await c.coordinator.waitForFunction(() => window.shoalCoordinator!.dashboard!().actors.some((row) => row.className === 'Nap' && row.running >= 1 && row.callsDone >= 2), null, { timeout: 30_000 });
  const napAt = await c.coordinator.evaluate(() => (globalThis as { __napAt?: string }).__napAt!);
  const ids = await Promise.all(live.map((page) => page.evaluate(() => window.shoalWorker!.status().peerId)));
  expect(ids.indexOf(napAt)).toBeGreaterThanOrEqual(0);
  await live[ids.indexOf(napAt)]!.close();
  const outcome = await running;
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const result = (outcome as { result: { napAt: string; warm: string; again: string; later: string; after: string } }).result;
  expect(result.warm).toBe(result.napAt);
  expect(result.again).not.toBe(result.napAt); // ran again, on the restarted actor's tab
  expect(result.again).toBe(result.after);
  expect(result.later).toBe(result.after);
  expect(c.pageErrors).toEqual([]);
});
