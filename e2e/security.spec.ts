/**
 * Security end to end, on one real cluster (server, coordinator tab, two
 * worker tabs): joins with no, wrong or expired tokens are refused with their
 * codes; a worker token cannot act as coordinator, neither at the server nor
 * by sending work to another worker over WebRTC; 10,000+ hostile frames at the
 * signaling server leave it serving jobs and other rooms untouched; and
 * `shoal worker --join` carries the link's token into a running cluster.
 */
import { spawn } from 'node:child_process';
import { expect, test, type Page } from '@playwright/test';
import { WebSocket } from 'ws';
import { fuzzSignaling } from './fuzzFrames.ts';
import { REPO, cluster, job } from './helpers.ts';

let local: Awaited<ReturnType<typeof cluster>>;

test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  local = await cluster({ workers: 2 });
});
test.afterAll(async () => {
  await local?.close();
});

const wsUrl = (): string => `${local.url.replace(/^http/, 'ws')}/ws`;
const workerCount = (): Promise<number> => local.coordinator.evaluate(() => window.shoalCoordinator!.workers().length);
const doubled = job('const f = cluster.remote((x) => 2 * x); return cluster.get([1, 2, 3, 4, 5, 6, 7, 8].map((n) => f(n)));');

/** A page at the server's origin that runs nothing (the worker page without a room), in a context with no remembered tokens. */
async function blankPage(): Promise<Page> {
  const context = await local.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${local.url}/worker.html`);
  return page;
}

test('joins without a token, with a wrong one, or with an expired one are refused with their codes, then closed', async () => {
  const cases = [
    { token: null, code: 'ERR_UNAUTHORIZED', says: 'needs a join token' },
    { token: `shoal1.${local.room}.worker.9999999999.${'A'.repeat(43)}`, code: 'ERR_UNAUTHORIZED', says: 'not issued by this server' },
    { token: local.server.mintToken('elsewhere', 'worker'), code: 'ERR_UNAUTHORIZED', says: 'for room elsewhere' },
    { token: local.server.mintToken(local.room, 'worker', { expiresAt: Date.now() - 60_000 }), code: 'ERR_TOKEN_EXPIRED', says: 'expired at' },
  ];
  const results = await local.workers[0]!.evaluate(
    async ({ room, tokens }) => {
      const out: Array<{ messages: Array<{ type: string; code?: string; message?: string }>; code: number; reason: string }> = [];
      for (const token of tokens) {
        const ws = new WebSocket(`ws://${location.host}/ws`);
        const messages: Array<{ type: string; code?: string; message?: string }> = [];
        ws.onmessage = (event) => messages.push(JSON.parse(String(event.data)));
        const closed = new Promise<{ code: number; reason: string }>((resolve) => (ws.onclose = (event) => resolve({ code: event.code, reason: event.reason })));
        await new Promise((resolve) => (ws.onopen = resolve));
        ws.send(JSON.stringify({ type: 'join', room, role: 'worker', ...(token === null ? {} : { token }) }));
        out.push({ messages, ...(await closed) });
      }
      return out;
    },
    { room: local.room, tokens: cases.map((c) => c.token) },
  );
  results.forEach((result, i) => {
    const { code, says } = cases[i]!;
    expect(result.messages).toEqual([{ type: 'error', code, message: expect.stringContaining(says) }]);
    expect(result.code).toBe(1008);
    expect(result.reason.startsWith(code)).toBe(true);
  });

  // The pages say so too (a fresh context: no token remembered from the cluster's tabs).
  const page = await blankPage();
  await page.goto(`${local.url}/worker.html?room=${local.room}&token=${encodeURIComponent(cases[3]!.token!)}`);
  await expect(page.locator('#connection')).toContainText('Could not join: signaling server: the join token expired');
  await page.goto(`${local.url}/worker.html?room=${local.room}`);
  await expect(page.locator('#connection')).toContainText('needs a join token');
  await page.context().close();
  expect(await workerCount()).toBe(2);
});

test('a worker token cannot act as coordinator: not at the server, and not towards other workers', async () => {
  const workerToken = local.server.mintToken(local.room, 'worker');
  const page = await blankPage();
  await page.goto(`${local.url}/coordinator.html?room=${local.room}&token=${encodeURIComponent(workerToken)}`);
  await expect(page.locator('#connection')).toHaveText('ERR_UNAUTHORIZED: signaling server: a worker token cannot join as coordinator');

  // A rogue tab joins as the worker it is, opens a data channel to worker w1
  // (raw WebRTC, speaking simple-peer's signal format), and sends it work.
  const target = local.workers[0]!;
  const { tasksRun: before, peerId: victimId } = await target.evaluate(() => window.shoalWorker!.status());
  await page.goto(`${local.url}/worker.html`);
  const rogue = await page.evaluate(
    async ({ room, token, frames, victimId }) => {
      const ws = new WebSocket(`ws://${location.host}/ws`);
      const inbox: Array<{ type: string; peers?: Array<{ peerId: string; role: string; name?: string }>; from?: string; data?: Record<string, unknown> }> = [];
      ws.onmessage = (event) => inbox.push(JSON.parse(String(event.data)));
      await new Promise((resolve) => (ws.onopen = resolve));
      ws.send(JSON.stringify({ type: 'join', room, role: 'worker', name: 'rogue', token }));
      for (let i = 0; i < 200 && !inbox.some((m) => m.type === 'welcome'); i++) await new Promise((r) => setTimeout(r, 25));
      const peers = inbox.find((m) => m.type === 'welcome')!.peers!;
      // Workers are told only of the coordinator (links between workers open on demand), so the rogue is given w1's id, as a snooper might learn it.
      const victim = { peerId: victimId! };
      const pc = new RTCPeerConnection({ iceServers: [] });
      const dc = pc.createDataChannel('rogue');
      pc.onicecandidate = (event) => {
        if (event.candidate) ws.send(JSON.stringify({ type: 'signal', to: victim.peerId, data: { type: 'candidate', candidate: event.candidate.toJSON() } }));
      };
      ws.onmessage = (event) => {
        const m = JSON.parse(String(event.data));
        if (m.type !== 'signal' || m.from !== victim.peerId) return;
        if (m.data.type === 'answer') void pc.setRemoteDescription(m.data);
        else if (m.data.candidate) void pc.addIceCandidate(m.data.candidate).catch(() => undefined);
      };
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      ws.send(JSON.stringify({ type: 'signal', to: victim.peerId, data: { type: 'offer', sdp: offer.sdp } }));
      await new Promise((resolve, reject) => {
        dc.onopen = resolve;
        setTimeout(() => reject(new Error('the data channel to w1 did not open')), 15_000);
      });
      let sent = 0;
      let messages = 0;
      for (let i = 0; i < frames; i++) {
        const batch = [
          { type: 'defineFn', fnId: 'evil', name: 'evil', source: '() => { throw new Error("rogue code ran") }' },
          { type: 'runTask', taskId: `rogue-${i}`, fnId: 'evil', args: [], attempt: 1, numReturns: 1, timeoutMs: null },
          { type: 'cancelTask', taskId: `t${i}`, force: true },
          { type: 'releaseObjects', ids: ['a', 'b'] },
          { type: 'replicate', objectId: `o${i}`, size: 1e9, from: 'nobody' },
          { type: 'nestedReply', requestId: `r${i}`, result: { ok: true, value: 1 } },
        ];
        dc.send(JSON.stringify(batch));
        sent += 1;
        messages += batch.length;
        while (dc.bufferedAmount > 1 << 20) await new Promise((r) => setTimeout(r, 5));
      }
      // Garbage, within the worker's tolerance of 20 bad frames: the link stays.
      const garbage = ['{', 'null', '[{"type":"runTask"}]', '{"type":"hello"}', `[${'1,'.repeat(1000)}1]`, 'x'.repeat(200_000)];
      for (let i = 0; i < 18; i++) {
        if (i % 3 === 0) dc.send(new Uint8Array([0xff, 0xfe, i]));
        else dc.send(garbage[i % garbage.length]!);
        sent += 1;
      }
      await new Promise((r) => setTimeout(r, 1000));
      const openAfterGarbage = dc.readyState === 'open';
      // Past the tolerance: the worker drops the link.
      for (let i = 0; i < 10; i++) dc.send('{not json');
      sent += 10;
      const started = Date.now();
      while (dc.readyState === 'open' && Date.now() - started < 15_000) await new Promise((r) => setTimeout(r, 50));
      const dropped = dc.readyState !== 'open';
      pc.close();
      ws.close();
      return { roles: peers.map((p) => `${p.name}:${p.role}`).sort(), sent, messages, openAfterGarbage, dropped };
    },
    { room: local.room, token: workerToken, frames: 400, victimId },
  );
  await page.context().close();
  console.log(`data channel fuzz: ${rogue.sent} frames (${rogue.messages} well-formed control messages it may not send, 28 malformed) at worker w1`);
  // The server told the rogue only of the coordinator, with its real role; the rogue's own role is the token's.
  expect(rogue.roles).toEqual(['coordinator:coordinator']);
  expect(rogue).toMatchObject({ sent: 428, messages: 2400, openAfterGarbage: true, dropped: true });
  // w1 ran none of it, kept its coordinator, and still works.
  const status = await target.evaluate(() => window.shoalWorker!.status());
  expect(status).toMatchObject({ connection: 'connected', coordinator: 'open', tasksRun: before });
  expect(await local.runJob(doubled)).toMatchObject({ ok: true, result: [2, 4, 6, 8, 10, 12, 14, 16] });
  expect(local.pageErrors).toEqual([]);
});

test('10,000+ hostile frames at the signaling server: it keeps serving jobs, and other rooms never notice', async () => {
  const server = local.server;
  // Another room, quiet throughout: a coordinator and a worker of plain sockets.
  const quiet = server.createRoom();
  const quietCoordinator = await joined(quiet.room, 'coordinator', quiet.coordinatorToken);
  const quietWorker = await joined(quiet.room, 'worker', quiet.workerToken);
  // The fuzzers' room, with one legitimate listener they can aim signals at.
  const fuzzRoom = server.createRoom();
  const listener = await joined(fuzzRoom.room, 'worker', fuzzRoom.workerToken);
  const connectionsBefore = server.stats().connections;

  const seed = Number(process.env['SHOAL_FUZZ_SEED'] ?? 20_260_101);
  const started = performance.now();
  const report = await fuzzSignaling(
    {
      ws: wsUrl(),
      room: fuzzRoom.room,
      workerToken: fuzzRoom.workerToken,
      badTokens: [
        server.mintToken(fuzzRoom.room, 'worker', { expiresAt: Date.now() - 1000 }),
        server.mintToken(quiet.room, 'worker'),
        server.mintToken(fuzzRoom.room, 'coordinator', { expiresAt: Date.now() - 1000 }),
        'shoal1.x.worker.1.y',
      ],
      peerIds: [listener.peerId, quietWorker.peerId],
    },
    { frames: 10_000, floods: 2, lanes: 24, seed },
  );
  const ms = Math.round(performance.now() - started);
  const stats = server.stats();
  console.log(`signaling fuzz (seed ${seed}): ${report.frames} frames over ${report.connections} connections in ${ms} ms; by kind ${JSON.stringify(report.byKind)}; closes ${JSON.stringify(report.closeCodes)}`);
  console.log(`server rejections ${JSON.stringify(stats.rejections)}; drops ${JSON.stringify(stats.drops)}`);

  expect(report.frames - report.byKind.flood).toBeGreaterThanOrEqual(10_000);
  expect(report.byKind.flood).toBe(2 * 2501); // a join and 2,500 signals each
  for (const code of ['1008', '1009', '1007']) expect(report.closeCodes[code], `close ${code}`).toBeGreaterThan(0);
  for (const code of ['ERR_BAD_MESSAGE', 'ERR_RATE_LIMITED', 'ERR_UNAUTHORIZED', 'ERR_TOKEN_EXPIRED', 'ERR_UNKNOWN_PEER']) expect(stats.rejections[code], code).toBeGreaterThan(0);
  for (const reason of ['rate limit', 'bad messages', 'unauthorized']) expect(stats.drops[reason], reason).toBeGreaterThan(0);
  expect(stats.internalErrors).toBe(0);

  // Every fuzz socket is gone; the legitimate ones are all still there.
  await expect.poll(() => server.stats().connections, { timeout: 10_000 }).toBe(connectionsBefore);
  for (const peer of [quietCoordinator, quietWorker, listener]) expect(peer.ws.readyState).toBe(WebSocket.OPEN);
  // The quiet room got nothing but what its members send each other.
  expect(quietCoordinator.inbox.filter((m) => m['type'] !== 'peerJoined')).toEqual([]);
  expect(quietWorker.inbox.filter((m) => m['type'] === 'signal')).toEqual([]);
  quietCoordinator.ws.send(JSON.stringify({ type: 'signal', to: quietWorker.peerId, data: { sdp: 'still here' } }));
  await expect.poll(() => quietWorker.inbox.at(-1)).toEqual({ type: 'signal', from: quietCoordinator.peerId, data: { sdp: 'still here' } });

  // The cluster's room runs a job correctly and takes a new worker.
  expect((await (await fetch(`${local.url}/healthz`)).json()) as object).toMatchObject({ ok: true });
  expect(await local.runJob(doubled)).toMatchObject({ ok: true, result: [2, 4, 6, 8, 10, 12, 14, 16] });
  await local.addWorker();
  expect(await workerCount()).toBe(3);
  expect(local.pageErrors).toEqual([]);
  for (const peer of [quietCoordinator, quietWorker, listener]) peer.ws.close();
});

test('shoal worker --join adds tabs to a running cluster with the link token, and a bad token exits with ERR_NOT_JOINED', async () => {
  const present = await workerCount();
  const link = `${local.url}/worker.html?room=${local.room}&token=${encodeURIComponent(local.server.mintToken(local.room, 'worker'))}&name=lent`;
  // Two browsers, their tabs two to a renderer process: the second tab of each opens by CDP straight into a shared process.
  const flags = ['--tabs', '4', '--browsers', '2', '--tabs-per-process', '2', '--slots', '1'];
  const child = spawn(process.execPath, ['packages/cli/bin/shoal.js', 'worker', '--join', link, ...flags], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    await expect.poll(() => stderr, { timeout: 60_000 }).toContain('4 worker tabs in 2 browsers joined');
    await local.coordinator.evaluate(([n]) => window.shoalCoordinator!.waitForWorkers(n, 30_000), [present + 4] as const);
    const names = await local.coordinator.evaluate(() => window.shoalCoordinator!.workers().map((w) => w.name));
    expect(new Set(names.filter((name) => name?.startsWith('lent-'))).size).toBe(4);
    expect(await local.runJob(job('const f = cluster.remote((x) => x + 1); return cluster.get(Array.from({ length: 20 }, (_, i) => f(i)));'))).toMatchObject({
      ok: true,
      result: Array.from({ length: 20 }, (_, i) => i + 1),
    });
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited, stderr).toBe(0);
  await expect.poll(workerCount, { timeout: 15_000 }).toBe(present);

  const bad = spawn(process.execPath, ['packages/cli/bin/shoal.js', 'worker', '--join', `${local.url}/worker.html?room=${local.room}&token=forged`], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let badErr = '';
  bad.stderr.on('data', (chunk: Buffer) => (badErr += chunk.toString()));
  expect(await new Promise((resolve) => bad.on('close', resolve))).toBe(1);
  expect(badErr).toContain('ERR_NOT_JOINED');
  expect(badErr).toContain('the join token is malformed');
});

interface Peer {
  ws: WebSocket;
  peerId: string;
  inbox: Array<Record<string, unknown>>;
}

/** A plain-socket peer joined to `room`, recording everything it receives after the welcome. */
async function joined(room: string, role: 'coordinator' | 'worker', token: string): Promise<Peer> {
  const ws = new WebSocket(wsUrl());
  const inbox: Array<Record<string, unknown>> = [];
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const welcome = new Promise<Record<string, unknown>>((resolve) => {
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      if (message['type'] === 'welcome') resolve(message);
      else inbox.push(message);
    });
  });
  ws.send(JSON.stringify({ type: 'join', room, role, token }));
  return { ws, peerId: String((await welcome)['peerId']), inbox };
}
