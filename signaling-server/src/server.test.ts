import { MAX_SIGNALING_MESSAGE } from '@shoal/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startSignalingServer, type RunningServer, type ServerOptions } from './index.ts';
import { connect, join, type TestClient } from './testClient.ts';

let server: RunningServer;
let events: Array<Record<string, unknown>>;
const clients: TestClient[] = [];

async function start(options: ServerOptions = {}): Promise<RunningServer> {
  events = [];
  // Open, unless a test says otherwise: these tests are about rooms and relay; the 'tokens' block below is about auth.
  server = await startSignalingServer({ port: 0, host: '127.0.0.1', staticDir: '/nonexistent', log: (e) => events.push(e), open: true, ...options });
  return server;
}

/** Joins and remembers the client so afterEach closes it. */
async function joinAs(room: string, role: 'coordinator' | 'worker', name?: string) {
  const joined = await join(server.url, room, role, name === undefined ? {} : { name });
  clients.push(joined.client);
  return joined;
}

async function healthz(): Promise<{ ok: boolean; rooms: number; peers: number }> {
  const res = await fetch(`${server.url}/healthz`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (await res.json()) as { ok: boolean; rooms: number; peers: number };
}

/** The server still works: health answers and a fresh peer can join. */
async function expectServerHealthy(): Promise<void> {
  expect((await healthz()).ok).toBe(true);
  const { client } = await joinAs('after', 'worker');
  client.close();
}

beforeEach(async () => {
  await start();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.ws.terminate();
  await server.close();
});

describe('rooms', () => {
  it('welcomes a joiner with the peers present, and tells them about it', async () => {
    const a = await joinAs('r1', 'coordinator', 'dash');
    expect(a.peers).toEqual([]);
    const b = await joinAs('r1', 'worker', 'tab-1');
    expect(b.peers).toEqual([a.peerId]);
    expect(await a.client.expect('peerJoined')).toEqual({ type: 'peerJoined', peer: { peerId: b.peerId, role: 'worker', name: 'tab-1' } });
    expect(await healthz()).toEqual({ ok: true, rooms: 1, peers: 2 });
    expect(events).toContainEqual(expect.objectContaining({ event: 'join', room: 'r1', peerId: b.peerId, role: 'worker' }));
  });

  it('sends peerLeft on leave and on socket close, and deletes empty rooms', async () => {
    const a = await joinAs('r1', 'coordinator');
    const b = await joinAs('r1', 'worker');
    const c = await joinAs('r1', 'worker');
    await a.client.expect('peerJoined');
    await a.client.expect('peerJoined');

    b.client.send({ type: 'leave' });
    expect(await a.client.expect('peerLeft')).toEqual({ type: 'peerLeft', peerId: b.peerId });
    // Workers are not told of each other's joins and leaves (O(1) messages per join).
    expect(b.client.pending()).toEqual([]);
    expect(c.client.pending()).toEqual([]);

    c.client.close();
    expect(await a.client.expect('peerLeft')).toEqual({ type: 'peerLeft', peerId: c.peerId });
    expect(server.stats()).toMatchObject({ rooms: 1, peers: 1 });

    a.client.ws.terminate();
    await a.client.closed;
    await until(() => server.stats().rooms === 0);
    expect(events).toContainEqual(expect.objectContaining({ event: 'leave', room: 'r1', peerId: b.peerId, reason: 'leave' }));
  });

  it('lets a socket join again after leave, but not twice at once', async () => {
    const a = await joinAs('r1', 'worker');
    a.client.send({ type: 'join', room: 'r1', role: 'worker' });
    expect(await a.client.expect('error')).toMatchObject({ code: 'ERR_BAD_MESSAGE', message: expect.stringContaining('already joined') });
    a.client.send({ type: 'leave' });
    a.client.send({ type: 'join', room: 'r2', role: 'coordinator' });
    expect(await a.client.expect('welcome')).toMatchObject({ room: 'r2', peers: [] });
  });

  it('allows one coordinator per room', async () => {
    await joinAs('r1', 'coordinator');
    const second = await connect(server.url);
    clients.push(second);
    second.send({ type: 'join', room: 'r1', role: 'coordinator' });
    expect(await second.expect('error')).toEqual({ type: 'error', code: 'ERR_ROOM_FULL', message: 'room r1 already has a coordinator' });
    await joinAs('r2', 'coordinator');
  });

  it('enforces maxPeersPerRoom and maxRooms', async () => {
    await server.close();
    await start({ maxPeersPerRoom: 2, maxRooms: 1 });
    await joinAs('r1', 'worker');
    await joinAs('r1', 'worker');
    const third = await connect(server.url);
    clients.push(third);
    third.send({ type: 'join', room: 'r1', role: 'worker' });
    expect(await third.expect('error')).toMatchObject({ code: 'ERR_ROOM_FULL' });
    third.send({ type: 'join', room: 'r2', role: 'worker' });
    expect(await third.expect('error')).toMatchObject({ code: 'ERR_ROOM_FULL', message: expect.stringContaining('1 rooms') });
  });
});

describe('announcements', () => {
  it('tells a worker of the coordinator only, and the coordinator of every worker, so a join costs O(1) messages', async () => {
    const w1 = await joinAs('r1', 'worker');
    const coordinator = await joinAs('r1', 'coordinator');
    expect(coordinator.peers).toEqual([w1.peerId]);
    expect(await w1.client.expect('peerJoined')).toMatchObject({ peer: { peerId: coordinator.peerId, role: 'coordinator' } });
    const before = server.stats().messagesOut;
    const later = [];
    for (let i = 0; i < 5; i++) later.push(await joinAs('r1', 'worker'));
    for (const worker of later) expect(worker.peers).toEqual([coordinator.peerId]);
    for (let i = 0; i < 5; i++) await coordinator.client.expect('peerJoined');
    // Each join: its welcome and one peerJoined to the coordinator, whatever the room's size.
    expect(server.stats().messagesOut - before).toBe(10);
    expect(w1.client.pending()).toEqual([]);
    // Workers still reach each other by peer id (on-demand links).
    later[0]!.client.send({ type: 'signal', to: later[4]!.peerId, data: { sdp: 'offer' } });
    expect(await later[4]!.client.expect('signal')).toEqual({ type: 'signal', from: later[0]!.peerId, data: { sdp: 'offer' } });
  });
});

describe('join storms', () => {
  it('admits 200 workers joining at once, each welcomed with the coordinator alone, the coordinator told of all 200', async () => {
    const coordinator = await joinAs('storm', 'coordinator');
    const joined = await Promise.all(Array.from({ length: 200 }, (_, i) => joinAs('storm', 'worker', `tab-${i}`)));
    for (const worker of joined) expect(worker.peers).toEqual([coordinator.peerId]);
    const told = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const message = await coordinator.client.expect('peerJoined');
      if (message.type === 'peerJoined') told.add(message.peer.peerId);
    }
    expect(told).toEqual(new Set(joined.map((w) => w.peerId)));
    expect(server.stats()).toMatchObject({ peers: 201 });
    expect(events.filter((e) => e['event'] === 'rejected' || e['event'] === 'dropped')).toEqual([]);
  });
});

describe('relay', () => {
  it('forwards a signal only to the addressed peer, never across rooms', async () => {
    const a = await joinAs('r1', 'coordinator');
    const b = await joinAs('r1', 'worker');
    const c = await joinAs('r1', 'worker');
    const d = await joinAs('r2', 'worker');
    await a.client.expect('peerJoined');
    await a.client.expect('peerJoined');

    a.client.send({ type: 'signal', to: b.peerId, data: { sdp: 'offer-for-b' } });
    expect(await b.client.expect('signal')).toEqual({ type: 'signal', from: a.peerId, data: { sdp: 'offer-for-b' } });
    // C's next message is the one meant for C: the signal to B never reached it.
    a.client.send({ type: 'signal', to: c.peerId, data: { sdp: 'offer-for-c' } });
    expect(await c.client.expect('signal')).toEqual({ type: 'signal', from: a.peerId, data: { sdp: 'offer-for-c' } });

    d.client.send({ type: 'signal', to: b.peerId, data: { sdp: 'sneaky' } });
    expect(await d.client.expect('error')).toMatchObject({ code: 'ERR_UNKNOWN_PEER' });
    a.client.send({ type: 'signal', to: c.peerId, data: { n: 2 } });
    expect(await c.client.expect('signal')).toMatchObject({ data: { n: 2 } });
    expect(b.client.pending()).toEqual([]);
    expect(a.client.pending()).toEqual([]);
  });

  it('refuses signals before join, and to unknown peers', async () => {
    const lonely = await connect(server.url);
    clients.push(lonely);
    lonely.send({ type: 'signal', to: 'someone', data: {} });
    expect(await lonely.expect('error')).toMatchObject({ code: 'ERR_NOT_JOINED' });
    lonely.send({ type: 'leave' });
    expect(await lonely.expect('error')).toMatchObject({ code: 'ERR_NOT_JOINED' });

    const a = await joinAs('r1', 'worker');
    a.client.send({ type: 'signal', to: 'nobody-here', data: {} });
    expect(await a.client.expect('error')).toMatchObject({ code: 'ERR_UNKNOWN_PEER' });
    expect(server.stats().rejected).toBe(3);
  });
});

describe('bad input', () => {
  const cases: Array<[string, unknown]> = [
    ['bad JSON', '{"type": "join",'],
    ['an unknown type', { type: 'teleport' }],
    ['wrong field types', { type: 'join', room: 42, role: 'worker' }],
    ['a bad room name', { type: 'join', room: '../etc', role: 'worker' }],
    ['a bad role', { type: 'join', room: 'r1', role: 'admin' }],
    ['a non-object', '[1,2,3]'],
    ['a binary frame', new Uint8Array([123, 125])],
  ];
  for (const [what, payload] of cases) {
    it(`answers ${what} with ERR_BAD_MESSAGE and keeps serving`, async () => {
      const client = await connect(server.url);
      clients.push(client);
      client.send(payload);
      const reply = await client.expect('error');
      expect(reply.code).toBe('ERR_BAD_MESSAGE');
      // The socket is still usable.
      client.send({ type: 'join', room: 'r1', role: 'worker' });
      await client.expect('welcome');
      await expectServerHealthy();
    });
  }

  it('closes an oversized message with 1009 and keeps serving', async () => {
    const client = await connect(server.url);
    clients.push(client);
    client.send(JSON.stringify({ type: 'signal', to: 'x', data: { blob: 'x'.repeat(MAX_SIGNALING_MESSAGE) } }));
    expect((await client.closed).code).toBe(1009);
    await expectServerHealthy();
  });

  it('closes a peer after more than 20 bad messages with 1008', async () => {
    const a = await joinAs('r1', 'coordinator');
    const bad = await joinAs('r1', 'worker');
    await a.client.expect('peerJoined');
    for (let i = 0; i < 25; i++) bad.client.send('nope');
    const { code, reason } = await bad.client.closed;
    expect(code).toBe(1008);
    expect(reason).toMatch(/bad messages/);
    expect(await a.client.expect('peerLeft')).toEqual({ type: 'peerLeft', peerId: bad.peerId });
    await expectServerHealthy();
  });
});

describe('heartbeat', () => {
  it('terminates a socket that does not pong, and tells its room', async () => {
    await server.close();
    await start({ heartbeatIntervalMs: 50 });
    const alive = await joinAs('r1', 'coordinator');
    const mute = await join(server.url, 'r1', 'worker', { ws: { autoPong: false } });
    clients.push(mute.client);
    await alive.client.expect('peerJoined');
    expect(await alive.client.expect('peerLeft')).toEqual({ type: 'peerLeft', peerId: mute.peerId });
    await mute.client.closed;
    // The ponging client survives several more rounds.
    await sleep(150);
    expect(alive.client.ws.readyState).toBe(alive.client.ws.OPEN);
    expect(server.stats()).toMatchObject({ rooms: 1, peers: 1 });
    expect(events).toContainEqual(expect.objectContaining({ event: 'leave', peerId: mute.peerId, reason: 'heartbeat' }));
  });
});

describe('upgrades', () => {
  it('refuses WebSocket upgrades on other paths', async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/elsewhere`);
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });
    expect(status).toBe(404);
    ws.terminate();
  });
});

describe('close()', () => {
  it('sends shutdown to every peer, closes their sockets, and resolves promptly', async () => {
    const a = await joinAs('r1', 'coordinator');
    const b = await joinAs('r2', 'worker');
    const lobby = await connect(server.url);
    clients.push(lobby);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1000);
    for (const client of [a.client, b.client, lobby]) {
      expect(await client.expect('shutdown')).toMatchObject({ type: 'shutdown', message: expect.any(String) });
      expect((await client.closed).code).toBe(1001);
    }
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    expect(server.stats()).toMatchObject({ rooms: 0, peers: 0 });
  });

  it('resolves promptly even when a client ignores the close handshake', async () => {
    const stubborn = await connect(server.url);
    clients.push(stubborn);
    // Stop reading: the client never answers the close frame.
    (stubborn.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });

});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(condition: () => boolean, limitMs = 1000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}
