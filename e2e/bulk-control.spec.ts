/**
 * Control messages beside bulk bytes, between two real tabs over WebRTC (the
 * page bench/transfer-raw.ts drives, apps/bench-transfer.ts): object bytes go
 * over a PeerLink's bulk channels, which live on an RTCPeerConnection of
 * their own, so a control message sent after megabytes of bulk were queued
 * overtakes them. No timing thresholds: the checks are about order and about
 * which connection carried the bytes, and that a paced sender is moved on by
 * acks.
 */
import { expect, test, type Page } from '@playwright/test';
import { distDir, ensureAppsBuilt, launchBrowser } from '@shoal/launcher';
import { startSignalingServer } from '@shoal/signaling-server';
import type { BenchTransferApi } from '../apps/bench-transfer-api.ts';

declare global {
  interface Window {
    shoalBench?: BenchTransferApi;
  }
}

const MiB = 1024 * 1024;
let close: () => Promise<void> = async () => undefined;
let holder: Page;
let fetcher: Page;

test.beforeAll(async () => {
  test.setTimeout(90_000);
  await ensureAppsBuilt();
  const server = await startSignalingServer({ port: 0, host: '127.0.0.1', staticDir: distDir(), quiet: true, open: true });
  const browser = await launchBrowser({ headless: true });
  close = async () => {
    await browser.close();
    await server.close();
  };
  const context = await browser.newContext();
  const room = `bulkctl${Date.now().toString(36)}`;
  const open = async (name: string): Promise<Page> => {
    const page = await context.newPage();
    // No co-located path for these two tabs' fetches: the page only uses it when asked.
    await page.goto(`${server.url}/bench-transfer.html?room=${room}&name=${name}`);
    await page.waitForFunction(() => window.shoalBench?.peerId() ?? null, undefined, { timeout: 30_000 });
    return page;
  };
  holder = await open('holder');
  fetcher = await open('fetcher');
  for (const page of [fetcher, holder]) await page.waitForFunction(() => window.shoalBench?.readyPeer() ?? null, undefined, { timeout: 45_000, polling: 100 });
});

test.afterAll(async () => close());

test('a control message sent after megabytes of bulk were queued arrives before those bytes', async () => {
  const size = 48 * MiB;
  const probe = await fetcher.evaluate((s) => window.shoalBench!.probe(s), size);
  const queuedAhead = await holder.evaluate(() => window.shoalBench!.probeQueued());
  // The holder's sender had megabytes queued on the bulk lane when the heartbeat went out (it waits for 4 MiB).
  expect(queuedAhead).not.toBeNull();
  expect(queuedAhead!).toBeGreaterThanOrEqual(MiB);
  // It arrived before the fetch completed, and before the fetcher had even received what was queued ahead of it.
  expect(probe.fetchDoneBeforeControl).toBe(false);
  expect(probe.bytesBeforeControl).toBeLessThan(queuedAhead!);
  expect(probe.bytesBeforeControl).toBeLessThan(size);
});

test('object bytes do not cross the connection that carries control messages', async () => {
  const before = await fetcher.evaluate(() => window.shoalBench!.mainConnectionBytes());
  const fetched = await fetcher.evaluate((s) => window.shoalBench!.fetch(1, s), 16 * MiB);
  expect(fetched.bytes).toBe(16 * MiB);
  const after = await fetcher.evaluate(() => window.shoalBench!.mainConnectionBytes());
  // 16 MiB came in over the bulk connection; the main one saw a few control frames at most.
  expect(after - before).toBeLessThan(MiB);
  // And control round trips kept completing while a fetch ran.
  const pings = await fetcher.evaluate((s) => window.shoalBench!.pings(10_000, { lanes: 1, size: s }), 16 * MiB);
  expect(pings.control.length).toBeGreaterThan(0);
});

test('a paced fetch is moved on by the receiver acks, and leaves nothing in flight', async () => {
  const fetched = await fetcher.evaluate((s) => window.shoalBench!.fetch(1, s), 8 * MiB);
  expect(fetched.bytes).toBe(8 * MiB);
  // The holder's sender (lane set 1 is paced: BulkEndpoint's default over data channels) took round-trip samples from acks.
  await expect.poll(async () => (await holder.evaluate(() => window.shoalBench!.endpointStats(1))).pacing?.inFlight).toBe(0);
  const pacing = (await holder.evaluate(() => window.shoalBench!.endpointStats(1))).pacing!;
  expect(pacing.samples).toBeGreaterThan(100);
  expect(pacing.window).toBeGreaterThan(0);
  // The unpaced lane has no pacer.
  expect((await holder.evaluate(() => window.shoalBench!.endpointStats('unpaced'))).pacing).toBeNull();
});
