/**
 * The server's guards over real sockets: join tokens, POST /rooms, /metrics,
 * origins, connection and rate limits, and TLS. (Rooms and relay are in
 * server.test.ts; the pieces have their own unit tests.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startSignalingServer, type RunningServer, type ServerOptions } from './index.ts';
import { connect, join, wsUrl, type TestClient } from './testClient.ts';

let server: RunningServer | undefined;
let events: Array<Record<string, unknown>> = [];
const clients: TestClient[] = [];

async function start(options: ServerOptions = {}): Promise<RunningServer> {
  events = [];
  server = await startSignalingServer({ port: 0, host: '127.0.0.1', staticDir: '/nonexistent', log: (e) => events.push(e), ...options });
  return server;
}

async function client(url = server!.url): Promise<TestClient> {
  const c = await connect(url);
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await server?.close();
  server = undefined;
});

describe('join tokens', () => {
  it('refuses a join without a token, with a wrong one, and with an expired one, then closes the socket', async () => {
    const s = await start();
    const { room } = s.createRoom();
    // A second server has its own random secret: its token for the same room is worthless here.
    const other = await startSignalingServer({ port: 0, host: '127.0.0.1', quiet: true });
    const foreign = other.mintToken(room, 'worker');
    await other.close();
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{}, 'ERR_UNAUTHORIZED', /needs a join token/],
      [{ token: 'not-a-token' }, 'ERR_UNAUTHORIZED', /malformed/],
      [{ token: foreign }, 'ERR_UNAUTHORIZED', /not issued by this server/],
      [{ token: s.mintToken('elsewhere', 'worker') }, 'ERR_UNAUTHORIZED', /for room elsewhere/],
      [{ token: s.mintToken(room, 'worker', { expiresAt: Date.now() - 1000 }) }, 'ERR_TOKEN_EXPIRED', /expired at/],
    ];
    for (const [extra, code, message] of cases) {
      const c = await client();
      c.send({ type: 'join', room, role: 'worker', ...extra });
      const reply = await c.expect('error');
      expect(reply).toMatchObject({ code, message: expect.stringMatching(message) });
      const closed = await c.closed;
      expect(closed.code).toBe(1008);
      expect(closed.reason.startsWith(code)).toBe(true);
    }
    expect(s.stats()).toMatchObject({ rooms: 0, peers: 0, rejections: { ERR_UNAUTHORIZED: 4, ERR_TOKEN_EXPIRED: 1 }, drops: { unauthorized: 5 } });
    expect(s.metrics()).toContain('shoal_signaling_auth_failures_total{reason="expired"} 1');
  });

  it('lets a worker token join only as a worker, and tells peers the verified roles', async () => {
    const s = await start();
    const grant = s.createRoom();
    const coordinator = await join(s.url, grant.room, 'coordinator', { token: grant.coordinatorToken });
    clients.push(coordinator.client);

    const impostor = await client();
    impostor.send({ type: 'join', room: grant.room, role: 'coordinator', token: grant.workerToken });
    expect(await impostor.expect('error')).toMatchObject({ code: 'ERR_UNAUTHORIZED', message: 'a worker token cannot join as coordinator' });
    expect((await impostor.closed).code).toBe(1008);

    const worker = await join(s.url, grant.room, 'worker', { token: grant.workerToken, name: 'w' });
    clients.push(worker.client);
    expect(await coordinator.client.expect('peerJoined')).toEqual({ type: 'peerJoined', peer: { peerId: worker.peerId, role: 'worker', name: 'w' } });
    // One token serves any number of workers.
    const second = await join(s.url, grant.room, 'worker', { token: grant.workerToken });
    clients.push(second.client);
    expect(second.peers).toEqual([coordinator.peerId]); // workers are told of the coordinator only
    expect(coordinator.client.pending()).toEqual([]);
  });

  it('in open mode accepts tokenless joins, still checks tokens given, and warns loudly', async () => {
    const s = await start({ open: true });
    expect(s.open).toBe(true);
    expect(events).toContainEqual(expect.objectContaining({ event: 'warning', message: expect.stringContaining('OPEN MODE') }));
    clients.push((await join(s.url, 'r', 'coordinator')).client);
    const bad = await client();
    bad.send({ type: 'join', room: 'r', role: 'worker', token: s.mintToken('r', 'worker', { expiresAt: 0 }) });
    expect(await bad.expect('error')).toMatchObject({ code: 'ERR_TOKEN_EXPIRED' });
  });
});

describe('POST /rooms', () => {
  it('creates a room whose tokens work, with links, and honours a shorter ttl', async () => {
    const s = await start({ tokenTtlSeconds: 3600 });
    const res = await fetch(`${s.url}/rooms`, { method: 'POST', body: '{"ttlSeconds":60}' });
    expect(res.status).toBe(201);
    const grant = (await res.json()) as Record<string, string>;
    expect(grant).toEqual({
      room: expect.stringMatching(/^[a-z0-9]{10}$/),
      coordinatorToken: expect.stringMatching(/^shoal1\./),
      workerToken: expect.stringMatching(/^shoal1\./),
      expiresAt: expect.any(String),
      coordinatorPath: `/coordinator.html?room=${grant['room']}&token=${grant['coordinatorToken']}&workerToken=${grant['workerToken']}`,
      workerPath: `/worker.html?room=${grant['room']}&token=${grant['workerToken']}`,
    });
    const lifetime = Date.parse(grant['expiresAt']!) - Date.now();
    expect(lifetime).toBeGreaterThan(55_000);
    expect(lifetime).toBeLessThanOrEqual(60_000);
    clients.push((await join(s.url, grant['room']!, 'coordinator', { token: grant['coordinatorToken']! })).client);
    expect(events).toContainEqual(expect.objectContaining({ event: 'roomCreated', room: grant['room'] }));
    // No token ever reaches the log.
    expect(JSON.stringify(events)).not.toContain(grant['workerToken']!.split('.')[4]);
  });

  it('refuses bad bodies, other methods, and (with a key) requests without it', async () => {
    const s = await start({ tokenTtlSeconds: 3600, roomCreationKey: 'k'.repeat(32) });
    const post = (body: string, headers: Record<string, string> = {}) => fetch(`${s.url}/rooms`, { method: 'POST', body, headers });
    const noKey = await post('');
    expect(noKey.status).toBe(401);
    expect(noKey.headers.get('www-authenticate')).toBe('Bearer');
    expect(await noKey.json()).toMatchObject({ error: { code: 'ERR_UNAUTHORIZED' } });
    expect((await post('', { Authorization: 'Bearer wrong' })).status).toBe(401);
    const auth = { Authorization: `Bearer ${'k'.repeat(32)}` };
    expect((await post('', auth)).status).toBe(201);
    for (const body of ['{', '[1]', '{"ttlSeconds":7200}', '{"ttlSeconds":-1}', '{"ttl":5}']) {
      const res = await post(body, auth);
      expect(res.status, body).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'ERR_BAD_MESSAGE' } });
    }
    expect((await post('x'.repeat(5000), auth)).status).toBe(413);
    const get = await fetch(`${s.url}/rooms`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });
});

describe('GET /metrics', () => {
  it('counts connections, messages and rejections in Prometheus text', async () => {
    const s = await start({ open: true });
    const a = await join(s.url, 'r', 'coordinator');
    clients.push(a.client);
    a.client.send('nope');
    await a.client.expect('error');
    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    for (const line of [
      'shoal_signaling_connections 1',
      'shoal_signaling_rooms 1',
      'shoal_signaling_peers 1',
      'shoal_signaling_connections_total 1',
      'shoal_signaling_messages_in_total 2',
      'shoal_signaling_messages_out_total 2',
      'shoal_signaling_joins_total{role="coordinator"} 1',
      'shoal_signaling_rejections_total{code="ERR_BAD_MESSAGE"} 1',
    ]) {
      expect(text).toContain(`${line}\n`);
    }
    expect(text).toMatch(/process_resident_memory_bytes \d+/);
  });

  it('can be turned off', async () => {
    const s = await start({ metrics: false });
    expect((await fetch(`${s.url}/metrics`)).status).toBe(404);
  });
});

describe('upgrades', () => {
  const status = (url: string, headers: Record<string, string> = {}): Promise<number> =>
    new Promise((resolve) => {
      const ws = new WebSocket(wsUrl(url), { headers });
      ws.on('open', () => {
        clients.push({ ws } as TestClient);
        resolve(101);
      });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });

  it("refuses pages from other origins unless allowed, and always allows the server's own", async () => {
    const s = await start({ open: true, allowOrigins: ['https://app.example.com/'] });
    expect(await status(s.url, { Origin: 'https://evil.example' })).toBe(403);
    expect(await status(s.url, { Origin: s.url })).toBe(101); // the Host it was reached at
    expect(await status(s.url, { Origin: s.url.replace('localhost', '127.0.0.1') })).toBe(403); // same machine, another origin
    expect(await status(s.url, { Origin: 'https://app.example.com' })).toBe(101);
    expect(await status(s.url)).toBe(101);
    expect(s.metrics()).toContain('shoal_signaling_upgrades_refused_total{reason="origin"} 2');
  });

  it('enforces maxConnectionsPerIp and maxConnections, and frees slots on close', async () => {
    const s = await start({ maxConnectionsPerIp: 2, maxConnections: 3 });
    await client();
    const second = await client();
    expect(await status(s.url)).toBe(503);
    second.ws.close();
    await second.closed;
    expect(await status(s.url)).toBe(101);
    expect(s.stats().connections).toBe(2);
  });
});

describe('rate limits', () => {
  it('closes a flooding socket with 1008 while its room keeps working', async () => {
    const s = await start({ open: true, rateLimit: { messagesPerSecond: 50, messageBurst: 100, closeAfter: 50 } });
    const a = await join(s.url, 'r', 'coordinator');
    const flooder = await join(s.url, 'r', 'worker');
    clients.push(a.client, flooder.client);
    await a.client.expect('peerJoined');
    for (let i = 0; i < 1000; i++) flooder.client.send({ type: 'signal', to: a.peerId, data: { i } });
    const closed = await flooder.client.closed;
    expect(closed).toMatchObject({ code: 1008, reason: expect.stringMatching(/rate limit/) });
    // The coordinator got the burst the bucket allowed, not the flood, then the flooder's departure.
    const received = [];
    for (let m = await a.client.next(); m.type === 'signal'; m = await a.client.next()) received.push(m);
    expect(received.length).toBeGreaterThanOrEqual(99);
    expect(received.length).toBeLessThan(150);
    expect(s.stats().drops).toMatchObject({ 'rate limit': 1 });
    const b = await join(s.url, 'r', 'worker');
    clients.push(b.client);
    expect(b.peers).toEqual([a.peerId]);
  });
});

describe('TLS', () => {
  it('serves https and wss with --cert/--key', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shoal-tls-'));
    try {
      const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
      const ca = readFileSync(cert);
      const s = await start({ tls: { cert: ca, key: readFileSync(key) } });
      expect(s.url).toMatch(/^https:\/\/localhost:\d+$/);
      const health = await new Promise<string>((resolve, reject) => {
        httpsRequest(`${s.url}/healthz`, { ca }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve(body));
        })
          .on('error', reject)
          .end();
      });
      expect(JSON.parse(health)).toMatchObject({ ok: true });
      const grant = s.createRoom();
      const joined = await join(s.url, grant.room, 'coordinator', { token: grant.coordinatorToken, ws: { ca } });
      clients.push(joined.client);
      expect(joined.client.ws.url).toMatch(/^wss:/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
