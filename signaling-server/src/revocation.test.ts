/**
 * Token revocation: the deny-list, the body parser, and over real sockets
 * `POST /rooms/<room>/revoke` (coordinator auth, ERR_TOKEN_REVOKED on join,
 * joined peers disconnected, a working replacement) and ICE servers in `welcome`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSignalingServer, type RunningServer, type ServerOptions } from './index.ts';
import { Revocations } from './revocations.ts';
import { parseRevokeBody, revokePathRoom } from './revokeEndpoint.ts';
import { connect, join, type TestClient } from './testClient.ts';

describe('Revocations', () => {
  it('remembers a token until it expires, then forgets it; refuses when full', () => {
    const list = new Revocations(2);
    expect(list.revoke('a', 2000, 1000)).toBe(true);
    expect(list.revoke('a', 2000, 1000)).toBe(true);
    expect(list.has('a')).toBe(true);
    expect(list.revoke('gone', 500, 1000)).toBe(true); // already expired: nothing to remember
    expect(list.has('gone')).toBe(false);
    expect(list.revoke('b', 5000, 1000)).toBe(true);
    expect(list.revoke('c', 5000, 1000)).toBe(false);
    expect(list.revoke('c', 5000, 2500)).toBe(true); // 'a' expired and was pruned
    expect([list.has('a'), list.has('b'), list.has('c'), list.size]).toEqual([false, true, true, 2]);
  });

  it('parses the body and the path', () => {
    expect(parseRevokeBody('{"token":"t"}')).toEqual({ token: 't', disconnect: true });
    expect(parseRevokeBody('{"token":"t","disconnect":false}')).toEqual({ token: 't', disconnect: false });
    expect(parseRevokeBody('')).toMatch(/must be JSON/);
    expect(parseRevokeBody('{"tokens":[]}')).toMatch(/unknown field "tokens"; valid ones are: token, disconnect/);
    expect(parseRevokeBody('{"token":"t","disconnect":"yes"}')).toMatch(/true or false/);
    expect(revokePathRoom('/rooms/abc/revoke')).toBe('abc');
    expect(revokePathRoom('/rooms/abc')).toBeNull();
    expect(revokePathRoom('/rooms/a/b/revoke')).toBeNull();
  });
});

let server: RunningServer | undefined;
const clients: TestClient[] = [];

async function start(options: ServerOptions = {}): Promise<RunningServer> {
  server = await startSignalingServer({ port: 0, host: '127.0.0.1', staticDir: '/nonexistent', quiet: true, ...options });
  return server;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await server?.close();
  server = undefined;
});

async function joined(s: RunningServer, room: string, role: 'coordinator' | 'worker', token: string) {
  const result = await join(s.url, room, role, { token });
  clients.push(result.client);
  return result;
}

function revoke(s: RunningServer, room: string, bearer: string | undefined, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return fetch(`${s.url}/rooms/${room}/revoke`, {
    method: 'POST',
    headers: bearer === undefined ? {} : { Authorization: `Bearer ${bearer}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));
}

describe('POST /rooms/<room>/revoke', () => {
  it('needs the room coordinator token, revokes a worker token, disconnects its peers, and hands out a working replacement', async () => {
    const s = await start();
    const grant = s.createRoom();
    const other = s.createRoom();
    const coordinator = await joined(s, grant.room, 'coordinator', grant.coordinatorToken);
    const w1 = await joined(s, grant.room, 'worker', grant.workerToken);
    await coordinator.client.expect('peerJoined');
    const otherToken = s.mintToken(grant.room, 'worker', { ttlSeconds: 600 });
    const w2 = await joined(s, grant.room, 'worker', otherToken);
    await coordinator.client.expect('peerJoined');

    expect(await revoke(s, grant.room, undefined, { token: grant.workerToken })).toMatchObject({ status: 401, body: { error: { code: 'ERR_UNAUTHORIZED', message: /Bearer/ } } });
    expect((await revoke(s, grant.room, grant.workerToken, { token: grant.workerToken })).status).toBe(401);
    expect((await revoke(s, grant.room, other.coordinatorToken, { token: grant.workerToken })).status).toBe(401);
    expect(await revoke(s, grant.room, grant.coordinatorToken, { token: other.workerToken })).toMatchObject({ status: 400, body: { error: { code: 'ERR_BAD_MESSAGE', message: /not a worker token of room/ } } });
    expect((await revoke(s, grant.room, grant.coordinatorToken, '{')).status).toBe(400);

    const answer = await revoke(s, grant.room, grant.coordinatorToken, { token: grant.workerToken });
    expect(answer).toMatchObject({ status: 200, body: { room: grant.room, revoked: true, disconnected: 1, workerPath: expect.stringContaining(`/worker.html?room=${grant.room}&token=`) } });
    const replacement = String(answer.body['workerToken']);
    expect(replacement).not.toBe(grant.workerToken);

    // The peer that joined with it is told why and closed; the room hears it left; the other worker stays.
    expect(await w1.client.expect('error')).toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
    expect(await w1.client.closed).toMatchObject({ code: 1008, reason: expect.stringMatching(/^ERR_TOKEN_REVOKED/) });
    expect(await coordinator.client.expect('peerLeft')).toEqual({ type: 'peerLeft', peerId: w1.peerId });
    expect(w2.client.pending()).toEqual([]); // workers are not told of each other
    expect(s.stats()).toMatchObject({ peers: 2, drops: { revoked: 1 } });

    // Joining again with it is refused; the replacement and the other token work.
    const again = await connect(s.url);
    clients.push(again);
    again.send({ type: 'join', room: grant.room, role: 'worker', token: grant.workerToken });
    expect(await again.expect('error')).toMatchObject({ code: 'ERR_TOKEN_REVOKED', message: expect.stringMatching(/revoked by the room's coordinator/) });
    expect(await again.closed).toMatchObject({ code: 1008 });
    await joined(s, grant.room, 'worker', replacement);
    expect(s.stats().rejections).toMatchObject({ ERR_TOKEN_REVOKED: 2 });

    // Idempotent; disconnect:false leaves peers joined with it in place.
    expect(await revoke(s, grant.room, grant.coordinatorToken, { token: grant.workerToken })).toMatchObject({ status: 200, body: { revoked: true, disconnected: 0 } });
    expect(await revoke(s, grant.room, grant.coordinatorToken, { token: otherToken, disconnect: false })).toMatchObject({ status: 200, body: { disconnected: 0 } });
    expect(w2.client.ws.readyState).toBe(1);
    expect(s.stats().peers).toBe(3);
  });

  it('answers 405 for other methods and 413 for big bodies', async () => {
    const s = await start();
    const grant = s.createRoom();
    expect((await fetch(`${s.url}/rooms/${grant.room}/revoke`)).status).toBe(405);
    expect((await revoke(s, grant.room, grant.coordinatorToken, JSON.stringify({ token: 'x'.repeat(2000) }))).status).toBe(413);
  });
});

describe('ICE servers in welcome', () => {
  it('are absent by default, and given with a fresh TURN credential per join when configured', async () => {
    const plain = await start();
    const room = plain.createRoom();
    const first = await connect(plain.url);
    clients.push(first);
    first.send({ type: 'join', room: room.room, role: 'worker', token: room.workerToken });
    expect((await first.expect('welcome')).iceServers).toBeUndefined();
    await plain.close();

    const s = await start({ ice: { servers: [{ urls: 'stun:127.0.0.1:3478' }], turnSecret: { urls: ['turn:127.0.0.1:3478'], secret: '0123456789abcdef0123', ttlSeconds: 600 } } });
    const grant = s.createRoom();
    const welcomes = [];
    for (const [role, token] of [['coordinator', grant.coordinatorToken], ['worker', grant.workerToken]] as const) {
      const c = await connect(s.url);
      clients.push(c);
      c.send({ type: 'join', room: grant.room, role, token });
      welcomes.push(await c.expect('welcome'));
    }
    for (const welcome of welcomes) {
      expect(welcome.iceServers?.[0]).toEqual({ urls: 'stun:127.0.0.1:3478' });
      expect(welcome.iceServers?.[1]).toMatchObject({ urls: ['turn:127.0.0.1:3478'], username: expect.stringMatching(new RegExp(`^\\d+:shoal-${welcome.peerId}$`)) });
    }
    expect(welcomes[0]!.iceServers![1]!.credential).not.toBe(welcomes[1]!.iceServers![1]!.credential);
  });
});
