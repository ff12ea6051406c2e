/**
 * ICE configuration and token revocation end to end, on one real cluster
 * (server, coordinator tab, worker tabs) whose server is configured with a
 * STUN server and a TURN secret:
 *   - a tab's RTCPeerConnections get those servers, the TURN entry with a
 *     credential minted for that tab (coturn's REST scheme), from the stock
 *     pages with no rebuild; nothing listens at those addresses (there is no
 *     TURN server on this machine), so the links connect over host
 *     candidates and jobs still run;
 *   - the coordinator revokes the worker token: its tabs are disconnected,
 *     a new tab with it is refused with ERR_TOKEN_REVOKED, and the
 *     replacement token joins and runs work.
 */
import { createHmac } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { cluster, job } from './helpers.ts';

const TURN_SECRET = 'e2e-turn-secret-0123456789';
let local: Awaited<ReturnType<typeof cluster>>;

test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  local = await cluster({
    workers: 1,
    serverOptions: { ice: { servers: [{ urls: 'stun:127.0.0.1:3478' }], turnSecret: { urls: ['turn:127.0.0.1:3478?transport=udp'], secret: TURN_SECRET, ttlSeconds: 600 } } },
  });
});
test.afterAll(async () => {
  await local?.close();
});

const workerCount = (): Promise<number> => local.coordinator.evaluate(() => window.shoalCoordinator!.workers().length);
const sum = job('const f = cluster.remote((x) => x * x); return cluster.get([1, 2, 3, 4].map((n) => f(n)));');

test('the pages pass the served ICE servers, with a TURN credential minted per tab, to every RTCPeerConnection', async () => {
  // Tabs opened from now on record each RTCPeerConnection's configuration.
  await local.context.addInitScript(() => {
    const Original = window.RTCPeerConnection;
    const seen: RTCConfiguration[] = [];
    (window as unknown as { pcConfigs: RTCConfiguration[] }).pcConfigs = seen;
    window.RTCPeerConnection = class extends Original {
      constructor(config?: RTCConfiguration) {
        seen.push(JSON.parse(JSON.stringify(config ?? {})) as RTCConfiguration);
        super(config);
      }
    } as typeof RTCPeerConnection;
  });
  const tab = await local.addWorker();
  expect(await workerCount()).toBe(2);
  const configs = await tab.evaluate(() => (window as unknown as { pcConfigs: RTCConfiguration[] }).pcConfigs);
  expect(configs.length).toBeGreaterThanOrEqual(1);
  const peerId = await tab.evaluate(() => window.shoalWorker!.status().peerId);
  for (const config of configs) {
    const [stun, turn] = config.iceServers ?? [];
    expect(stun).toEqual({ urls: 'stun:127.0.0.1:3478' });
    expect(turn).toMatchObject({ urls: ['turn:127.0.0.1:3478?transport=udp'], username: `${turn!.username!.split(':')[0]}:shoal-${peerId}` });
    const expiry = Number(turn!.username!.split(':')[0]);
    expect(expiry * 1000 - Date.now()).toBeGreaterThan(500_000);
    expect(turn!.credential).toBe(createHmac('sha1', TURN_SECRET).update(turn!.username!).digest('base64'));
  }
  // Unreachable STUN/TURN cost nothing on one machine: host candidates connect, work runs on both workers.
  expect(await local.runJob(sum)).toMatchObject({ ok: true, result: [1, 4, 9, 16] });
  expect(local.pageErrors).toEqual([]);
});

test('the coordinator revokes the worker token: its tabs are dropped, it is refused with ERR_TOKEN_REVOKED, and the replacement works', async () => {
  const workerToken = new URL(local.workers[0]!.url()).searchParams.get('token')!;
  const coordinatorToken = local.server.mintToken(local.room, 'coordinator');
  const revoke = (bearer: string) =>
    fetch(`${local.url}/rooms/${local.room}/revoke`, { method: 'POST', headers: { Authorization: `Bearer ${bearer}` }, body: JSON.stringify({ token: workerToken }) });

  expect((await revoke(workerToken)).status).toBe(401); // a worker cannot revoke
  const response = await revoke(coordinatorToken);
  expect(response.status).toBe(200);
  const answer = (await response.json()) as { revoked: boolean; disconnected: number; workerToken: string; workerPath: string };
  expect(answer).toMatchObject({ revoked: true, disconnected: 2 });
  await expect.poll(workerCount, { timeout: 15_000 }).toBe(0);
  for (const tab of local.workers) await expect.poll(() => tab.evaluate(() => window.shoalWorker!.status().connection)).toBe('failed');

  const refused = await local.context.newPage();
  await refused.goto(`${local.url}/worker.html?room=${local.room}&token=${encodeURIComponent(workerToken)}&name=revoked`);
  // The page shows the server's message; the code is counted by the server (checked below).
  await expect(refused.locator('#connection')).toContainText("this worker token was revoked by the room's coordinator", { timeout: 15_000 });
  await refused.close();

  const fresh = await local.context.newPage();
  await fresh.goto(`${local.url}${answer.workerPath}&name=fresh&slots=1`);
  await local.coordinator.evaluate(() => window.shoalCoordinator!.waitForWorkers(1, 30_000));
  expect(await local.runJob(sum)).toMatchObject({ ok: true, result: [1, 4, 9, 16] });
  expect(local.server.stats().rejections).toMatchObject({ ERR_TOKEN_REVOKED: 3 });
  await fresh.close();
});
