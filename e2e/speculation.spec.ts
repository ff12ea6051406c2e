/**
 * Running one task on more than one worker, on real tabs.
 *
 * - Speculation: three one-slot workers, the third throttled (`throttle=1500`:
 *   each of its runs waits 1.5 s first). A job of 30 short tasks with
 *   `speculation: true` gives the right results, and the coordinator's job
 *   record shows `speculated` copies that won on another worker (asserted on
 *   the events, not on time). With speculation off, no copies are launched.
 * - `verify`: the third worker lies (`corruptResults=1`). Tasks verified on
 *   the two honest workers (steered there by a custom resource) give the
 *   right result, inline and stored; tasks verified on all three fail with
 *   ERR_VERIFY_MISMATCH naming the liar.
 */
import { expect, test } from '@playwright/test';
import { cluster, job } from './helpers.ts';

type Local = Awaited<ReturnType<typeof cluster>>;
let local: Local | null = null;

test.describe.configure({ mode: 'serial' });
test.setTimeout(120_000);
test.afterEach(async () => {
  await local?.close();
  local = null;
});

interface Event {
  kind: string;
  taskId: string;
  workerId?: string;
  original?: string;
}

/** The task events of the coordinator's last finished job (its history record). */
async function lastEvents(c: Local): Promise<Event[]> {
  const handle = await c.coordinator.waitForFunction(() => window.shoalCoordinator!.lastJobRecord?.() ?? null, undefined, { timeout: 15_000 });
  const text = (await handle.jsonValue()) as string;
  return (JSON.parse(text) as { jobs: Array<{ events: Event[] }> }).jobs.at(-1)!.events;
}

/** 30 short tasks; with speculation on, it is turned on for the whole job (`setDefaults`), the per-job switch. */
const spin = (speculation: boolean) =>
  job(`
  if (${speculation}) cluster.setDefaults({ speculation: true });
  const spin = cluster.remote((i) => { const end = Date.now() + 20; let x = 0; while (Date.now() < end) x++; return i * i; });
  const refs = Array.from({ length: 30 }, (_, i) => spin(i));
  const values = await cluster.get(refs);
  return values.every((v, i) => v === i * i) ? values.length : 'wrong: ' + JSON.stringify(values);
`);

test('speculation: copies of the throttled tab’s runs win on other workers', async () => {
  const c = (local = await cluster({ workers: 3, slotsPerWorker: 1, workerQuery: (i) => (i === 3 ? 'throttle=1500' : '') }));
  const outcome = await c.runJob(spin(true));
  expect(outcome, JSON.stringify(outcome)).toMatchObject({ ok: true, result: 30 });
  const events = await lastEvents(c);
  const speculated = events.filter((event) => event.kind === 'speculated');
  const winners = speculated.filter((copy) => events.some((event) => event.kind === 'finished' && event.taskId === copy.taskId && event.workerId === copy.workerId));
  const slow = (await c.coordinator.evaluate(() => window.shoalCoordinator!.workers())).find((worker) => worker.name === 'w3')!.peerId;
  console.log(`[speculation] ${speculated.length} copies launched, ${winners.length} won; job ${outcome.elapsedMs} ms`);
  expect(speculated.length).toBeGreaterThan(0);
  expect(winners.length).toBeGreaterThan(0);
  for (const copy of winners) {
    expect(copy.original).toBe(slow);
    expect(copy.workerId).not.toBe(slow);
  }
  expect(c.pageErrors).toEqual([]);
});

test('speculation off: no copies are launched', async () => {
  const c = (local = await cluster({ workers: 3, slotsPerWorker: 1, workerQuery: (i) => (i === 3 ? 'throttle=1500' : '') }));
  const outcome = await c.runJob(spin(false));
  expect(outcome, JSON.stringify(outcome)).toMatchObject({ ok: true, result: 30 });
  const events = await lastEvents(c);
  expect(events.filter((event) => event.kind === 'speculated')).toEqual([]);
  const runs = events.filter((event) => event.kind === 'dispatched').length;
  expect(runs).toBe(30);
  console.log(`[speculation] off: job ${outcome.elapsedMs} ms`);
});

test('verify: honest workers agree; a lying worker makes the task fail with ERR_VERIFY_MISMATCH', async () => {
  const c = (local = await cluster({ workers: 3, slotsPerWorker: 1, workerQuery: (i) => (i === 3 ? 'corruptResults=1' : 'resources=honest:1') }));
  const outcome = await c.runJob(
    job(`
  const honest = { verify: 2, resources: { custom: { honest: 1 } } };
  const square = cluster.remote((x) => x * x, honest);
  const range = cluster.remote((n) => Float64Array.from({ length: n }, (_, i) => i), honest);
  const squareAll = cluster.remote((x) => x * x, { verify: 3 });
  const rangeAll = cluster.remote((n) => Float64Array.from({ length: n }, (_, i) => i), { verify: 3 });
  const caught = async (ref) => { try { await cluster.get(ref); return { code: 'none' }; } catch (e) { return { code: e.code, message: e.message }; } };
  const squares = await cluster.get([square(7), square(9)]);
  const array = await cluster.get(range(100000));
  return { squares, sum: array.reduce((a, b) => a + b, 0), inline: await caught(squareAll(5)), stored: await caught(rangeAll(100000)) };
`),
  );
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  const result = (outcome as { result: { squares: number[]; sum: number; inline: { code: string; message: string }; stored: { code: string; message: string } } }).result;
  expect(result.squares).toEqual([49, 81]);
  expect(result.sum).toBe((100000 * 99999) / 2);
  const liar = (await c.coordinator.evaluate(() => window.shoalCoordinator!.workers())).find((worker) => worker.name === 'w3')!.peerId;
  for (const failure of [result.inline, result.stored]) {
    expect(failure.code).toBe('ERR_VERIFY_MISMATCH');
    expect(failure.message).toContain(liar);
  }
  console.log(`[verify] ${result.inline.message}\n[verify] ${result.stored.message}`);
  expect(c.pageErrors).toEqual([]);
});
