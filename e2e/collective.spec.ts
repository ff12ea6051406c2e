/**
 * Collectives on real tabs (one cluster of four one-slot worker tabs):
 *
 * - allreduce of 64 MiB (float32) across 4 tabs equals the reduction computed
 *   on the CPU, for sum, mean and max; broadcast, allgather, reduceScatter and
 *   barrier give the right values too. The members' inputs are small whole
 *   numbers, so any order of additions is exact and the check is equality.
 * - a member's tab closed mid-allreduce: every remaining member's collective
 *   fails with ERR_GROUP_BROKEN (none hangs), and a new group of the members
 *   left works.
 * - a member's task throws (its tab stays): the other members' next
 *   collective fails with ERR_GROUP_BROKEN instead of waiting for it forever.
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

/** 64 MiB of float32 (SHOAL_COLLECTIVE_MIB overrides, for debugging). */
const ELEMENTS = Number(process.env['SHOAL_COLLECTIVE_MIB'] ?? 64) * 262144;

const shared = async () => (local ??= await cluster({ workers: 4, slotsPerWorker: 1 }));

async function ok(c: Local, body: string): Promise<unknown> {
  const outcome = await c.runJob(job(body));
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  return (outcome as { result: unknown }).result;
}

test('allreduce of 64 MiB across 4 tabs equals the CPU reduction for sum, mean and max; the other collectives agree', async () => {
  const c = await shared();
  const result = (await ok(
    c,
    `const group = cluster.collective.group(4);
    const member = cluster.remote(async (spec, rank, n, ctx) => {
      const g = await ctx.collective.join(spec, rank);
      // Inputs are small whole numbers that depend on i only through i mod 101, so the CPU reference is a
      // 101-entry table per op, and the check is one pass (the tabs' CPUs stay free for the ring).
      const value = (r, i) => ((i * 7 + r * 13) % 101) - 50;
      const mine = new Float32Array(n);
      for (let i = 0; i < n; i++) mine[i] = value(rank, i % 101);
      const out = {};
      for (const op of ['sum', 'mean', 'max']) {
        const table = Array.from({ length: 101 }, (_, i) => {
          let want = op === 'max' ? -Infinity : 0;
          for (let r = 0; r < 4; r++) want = op === 'max' ? Math.max(want, value(r, i)) : want + value(r, i);
          return op === 'mean' ? want / 4 : want;
        });
        const t0 = performance.now();
        const got = await g.allreduce(mine, op);
        const ms = performance.now() - t0;
        let bad = 0;
        for (let i = 0, j = 0; i < n; i++, j = j === 100 ? 0 : j + 1) if (got[i] !== table[j]) bad++;
        out[op] = { bad, length: got.length, type: got.constructor.name, ms: Math.round(ms) };
      }
      const b = await g.broadcast(rank === 3 ? Float64Array.from({ length: 1000 }, (_, i) => i * 0.5) : new Float64Array(1000), 3);
      const all = await g.allgather(new Float64Array([rank, rank * 10]));
      const part = await g.reduceScatter(new Float64Array(10).fill(rank + 1));
      await g.barrier();
      return { out, worker: ctx.workerId, peers: g.peers, broadcastOk: b.every((v, i) => v === i * 0.5), all: all.map((a) => Array.from(a)), part: Array.from(part) };
    }, { maxRetries: 0 });
    return cluster.get([0, 1, 2, 3].map((rank) => member(group, rank, ${ELEMENTS})));`,
  )) as Array<{ out: Record<string, { bad: number; length: number; type: string; ms: number }>; worker: string; peers: string[]; broadcastOk: boolean; all: number[][]; part: number[] }>;
  expect(new Set(result.map((r) => r.worker)).size).toBe(4); // one member per tab: the ring crosses tabs
  for (const [rank, r] of result.entries()) {
    expect(r.peers[rank]).toBe(r.worker);
    for (const op of ['sum', 'mean', 'max']) {
      expect(r.out[op]!.bad, `${op} on rank ${rank}`).toBe(0);
      expect(r.out[op]!.length).toBe(ELEMENTS);
      expect(r.out[op]!.type).toBe('Float32Array');
    }
    expect(r.broadcastOk).toBe(true);
    expect(r.all).toEqual([[0, 0], [1, 10], [2, 20], [3, 30]]);
    // 10 elements over 4 ranks: segments of 2, 3, 2, 3; each element is 1+2+3+4.
    expect(r.part).toEqual(Array([2, 3, 2, 3][rank]).fill(10));
  }
  console.log(`64 MiB allreduce ms per op (rank 0): ${JSON.stringify(result[0]!.out)}`);
});

test('a member lost mid-allreduce gives ERR_GROUP_BROKEN on every other member; the rest re-form a group', async () => {
  test.setTimeout(180_000);
  const c = await shared();
  const peerIds = await Promise.all(c.workers.map((page) => page.evaluate(() => (window as unknown as { shoalWorker: { status(): { peerId: string } } }).shoalWorker.status().peerId)));
  const running = c.runJob(
    job(`const group = cluster.collective.group(4);
    class Started { constructor() { this.n = 0; } tick() { return ++this.n; } count() { return this.n; } }
    const flag = cluster.actor(Started);
    const member = cluster.remote(async (spec, rank, flag, ctx) => {
      const g = await ctx.collective.join(spec, rank);
      const data = new Float32Array(256 * 1024).fill(rank); // 1 MiB: what matters is being mid-collective when the tab goes
      let done = 0;
      const started = Date.now();
      try {
        while (Date.now() - started < 60000) {
          await g.allreduce(data);
          done++;
          if (done === 1) await ctx.get(flag.tick());
        }
        return { rank, worker: ctx.workerId, code: 'none', done };
      } catch (error) {
        return { rank, worker: ctx.workerId, code: error.code, message: error.message, done, ms: Date.now() - started };
      }
    }, { maxRetries: 0 });
    const refs = [0, 1, 2, 3].map((rank) => member(group, rank, flag));
    // Tell the test once every member is into its allreduce loop.
    while ((await cluster.get(flag.count())) < 4) await new Promise((r) => setTimeout(r, 50));
    globalThis.__members = refs.map((ref) => cluster.status(ref).workerId);
    const outcomes = [];
    for (const ref of refs) {
      try { outcomes.push(await cluster.get(ref)); } catch (error) { outcomes.push({ failed: error.code }); }
    }
    const left = outcomes.filter((o) => o.code === 'ERR_GROUP_BROKEN');
    const regroup = cluster.collective.group(left.length);
    const again = cluster.remote(async (spec, rank, ctx) => {
      const g = await ctx.collective.join(spec, rank);
      return Array.from(await g.allreduce(new Float64Array([rank, 1])));
    }, { maxRetries: 0 });
    const sums = await cluster.get(left.map((_, rank) => again(regroup, rank)));
    return { outcomes, sums };`),
  );
  let early: unknown = null;
  void running.then((outcome) => (early = outcome));
  const members = await expect
    .poll(async () => (early ? `the job ended first: ${JSON.stringify(early)}` : await c.coordinator.evaluate(() => (globalThis as { __members?: string[] }).__members ?? null)), { timeout: 100_000 })
    .not.toBeNull()
    .then(() => c.coordinator.evaluate(() => (globalThis as unknown as { __members: string[] }).__members));
  expect(early).toBeNull();
  const victim = peerIds.indexOf(members[2]!);
  expect(victim).toBeGreaterThanOrEqual(0);
  await c.workers[victim]!.close();
  const outcome = await running;
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const { outcomes, sums } = (outcome as { result: { outcomes: Array<{ code?: string; failed?: string; done?: number; rank?: number }>; sums: number[][] } }).result;
  expect(outcomes[2]!.failed).toBe('ERR_WORKER_LOST');
  for (const rank of [0, 1, 3]) {
    expect(outcomes[rank]!.code, JSON.stringify(outcomes[rank])).toBe('ERR_GROUP_BROKEN');
    expect(outcomes[rank]!.done).toBeGreaterThan(0);
  }
  expect(sums).toEqual([[3, 3], [3, 3], [3, 3]]);
});

test('a member whose task throws breaks the group: the others get ERR_GROUP_BROKEN, not a hang', async () => {
  const c = await shared(); // three tabs left after the test above
  const outcomes = (await ok(
    c,
    `const group = cluster.collective.group(3);
    const member = cluster.remote(async (spec, rank, ctx) => {
      const g = await ctx.collective.join(spec, rank);
      await g.allreduce(new Float32Array(4096).fill(1));
      if (rank === 1) throw new Error('member 1 gives up');
      try {
        await g.allreduce(new Float32Array(4096).fill(1));
        return { rank, code: 'none' };
      } catch (error) {
        return { rank, code: error.code };
      }
    }, { maxRetries: 0 });
    const refs = [0, 1, 2].map((rank) => member(group, rank));
    const outcomes = [];
    for (const ref of refs) {
      try { outcomes.push(await cluster.get(ref)); } catch (error) { outcomes.push({ failed: String(error.message ?? error).slice(0, 200) }); }
    }
    return outcomes;`,
  )) as Array<{ rank?: number; code?: string; failed?: string }>;
  expect(outcomes[1]!.failed).toContain('member 1 gives up');
  expect([outcomes[0]!.code, outcomes[2]!.code]).toEqual(['ERR_GROUP_BROKEN', 'ERR_GROUP_BROKEN']);
});
