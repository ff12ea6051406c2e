/**
 * Abuse of the signaling server from a real tab: garbage must get typed errors
 * or a close, and the cluster must keep working afterwards.
 */
import { expect, test } from '@playwright/test';
import { cluster, job } from './helpers.ts';

let local: Awaited<ReturnType<typeof cluster>>;

test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  local = await cluster({ workers: 1 });
});
test.afterAll(async () => {
  await local?.close();
});

test('malformed signaling messages get typed errors and do not take the server down', async () => {
  const replies = await local.workers[0]!.evaluate(async () => {
    const ws = new WebSocket(`ws://${location.host}/ws`);
    const received: string[] = [];
    let closed: { code: number; reason: string } | null = null;
    ws.onmessage = (event) => received.push(String(event.data));
    ws.onclose = (event) => (closed = { code: event.code, reason: event.reason });
    await new Promise((resolve) => (ws.onopen = resolve));
    ws.send('{not json');
    ws.send(JSON.stringify({ type: 'launchMissiles' }));
    ws.send(JSON.stringify({ type: 'join', room: '../../etc', role: 'worker' }));
    ws.send(JSON.stringify({ type: 'signal', to: 'nobody', data: {} }));
    ws.send(new Uint8Array([1, 2, 3]));
    await new Promise((resolve) => setTimeout(resolve, 300));
    ws.send('x'.repeat(200_000)); // over the size limit: the server closes this socket
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { received: received.map((text) => JSON.parse(text) as { type: string; code: string }), closed };
  });
  expect(replies.received.map((msg) => `${msg.type}:${msg.code}`)).toEqual([
    'error:ERR_BAD_MESSAGE',
    'error:ERR_BAD_MESSAGE',
    'error:ERR_BAD_MESSAGE',
    'error:ERR_NOT_JOINED',
    'error:ERR_BAD_MESSAGE',
  ]);
  expect(replies.closed).toMatchObject({ code: 1009 });

  const health = await fetch(`${local.url}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ ok: true, rooms: 1 });
  expect(local.server.stats().rejected).toBeGreaterThanOrEqual(5);

  // A new worker can still join, and jobs still run on both.
  await local.addWorker();
  const outcome = await local.runJob(job(`const id = cluster.remote((x) => x); return cluster.get([1, 2, 3, 4].map((n) => id(n)));`));
  expect(outcome).toMatchObject({ ok: true, result: [1, 2, 3, 4] });
  expect(await local.coordinator.evaluate(() => window.shoalCoordinator!.workers().length)).toBe(2);
});

test('a second coordinator for the same room is refused with ERR_ROOM_FULL', async () => {
  const page = await local.context.newPage();
  await page.goto(`${local.url}/coordinator.html?room=${local.room}`);
  await expect(page.locator('#connection')).toContainText('ERR_ROOM_FULL');
  await page.close();
  // The real coordinator is unaffected.
  expect(await local.runJob(job('return cluster.get(cluster.remote(() => "still here")());'))).toMatchObject({ ok: true, result: 'still here' });
});

test('a worker link without a room says what to do', async () => {
  const page = await local.context.newPage();
  await page.goto(`${local.url}/worker.html`);
  await expect(page.locator('#connection')).toContainText('No room in the link');
  await page.close();
});
