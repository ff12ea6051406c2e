import { describe, expect, it } from 'vitest';
import type { SignalingServerMessage } from '@shoal/protocol';
import { Metrics } from './metrics.ts';
import { PeerConnection, type PeerContext, type PeerSocket } from './peerConnection.ts';
import { DEFAULT_RATE_LIMIT } from './rateLimit.ts';
import { Rooms } from './rooms.ts';
import { TokenIssuer, secretFrom } from './tokens.ts';

/** A socket stand-in: records what the server sends and how it closes. */
class FakeSocket implements PeerSocket {
  readyState = 1;
  bufferedAmount = 0;
  sent: SignalingServerMessage[] = [];
  closedWith: number | 'terminated' | null = null;
  closeReason = '';
  pings = 0;
  send(data: string): void {
    this.sent.push(JSON.parse(data) as SignalingServerMessage);
  }
  ping(): void {
    this.pings += 1;
  }
  close(code: number, reason: string): void {
    this.closedWith = code;
    this.closeReason = reason;
    this.readyState = 2;
  }
  terminate(): void {
    this.closedWith = 'terminated';
    this.readyState = 3;
  }
}

function setup(overrides: Partial<PeerContext> = {}) {
  const events: Array<Record<string, unknown>> = [];
  const gone: PeerConnection[] = [];
  const ctx: PeerContext = {
    rooms: new Rooms<PeerConnection>({ maxPeersPerRoom: 10, maxRooms: 10 }),
    metrics: new Metrics(),
    log: (e) => events.push(e),
    authorize: () => null,
    iceServers: () => [],
    rateLimit: { ...DEFAULT_RATE_LIMIT },
    maxBufferedBytes: 1000,
    maxBadMessages: 3,
    joinTimeoutMs: 30_000,
    onGone: (c) => gone.push(c),
    ...overrides,
  };
  const peer = (role: 'coordinator' | 'worker' = 'worker') => {
    const socket = new FakeSocket();
    const connection = new PeerConnection(socket, ctx);
    connection.onFrame(Buffer.from(JSON.stringify({ type: 'join', room: 'r', role })), false);
    const welcome = socket.sent.shift();
    if (welcome?.type !== 'welcome') throw new Error('no welcome');
    return { socket, connection, peerId: welcome.peerId };
  };
  return { ctx, events, gone, peer };
}

const frame = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('PeerConnection', () => {
  it('drops a peer whose send queue would pass the limit (1013) and tells the room', () => {
    const { ctx, peer, gone } = setup();
    const a = peer('coordinator');
    const slow = peer();
    a.socket.sent.length = 0;
    slow.socket.bufferedAmount = 990;
    a.connection.onFrame(frame({ type: 'signal', to: slow.peerId, data: { sdp: 'x'.repeat(50) } }), false);
    expect(slow.socket.closedWith).toBe(1013);
    expect(slow.socket.sent).toEqual([]);
    expect(slow.connection.state).toEqual({ phase: 'gone', reason: 'backpressure' });
    expect(gone).toEqual([slow.connection]);
    expect(a.socket.sent).toEqual([{ type: 'peerLeft', peerId: slow.peerId }]);
    expect(ctx.rooms.peerCount).toBe(1);
  });

  it('closes with 1008 after more than maxBadMessages bad messages', () => {
    const { peer } = setup();
    const bad = peer();
    for (let i = 0; i < 3; i++) bad.connection.onFrame(Buffer.from('{'), false);
    expect(bad.socket.closedWith).toBeNull();
    bad.connection.onFrame(Buffer.from('{'), false);
    expect(bad.socket.closedWith).toBe(1008);
    expect(bad.socket.sent.filter((m) => m.type === 'error')).toHaveLength(4);
  });

  it('does not count racing ERR_UNKNOWN_PEER replies as bad messages', () => {
    const { peer } = setup();
    const a = peer();
    for (let i = 0; i < 10; i++) a.connection.onFrame(frame({ type: 'signal', to: 'gone-already', data: {} }), false);
    expect(a.socket.closedWith).toBeNull();
  });

  it('pings each round and terminates after a round with no pong', () => {
    const { peer } = setup();
    const a = peer();
    a.connection.heartbeat();
    a.connection.onPong();
    a.connection.heartbeat();
    expect(a.socket.pings).toBe(2);
    a.connection.heartbeat();
    expect(a.socket.closedWith).toBe('terminated');
    expect(a.connection.state).toMatchObject({ phase: 'gone', reason: 'heartbeat' });
  });

  it('never throws out of onFrame, even when the room bookkeeping does', () => {
    const { peer, ctx, events } = setup();
    const a = peer();
    ctx.rooms.find = () => {
      throw new Error('boom');
    };
    expect(() => a.connection.onFrame(frame({ type: 'signal', to: 'x', data: {} }), false)).not.toThrow();
    expect(a.socket.sent.at(-1)).toMatchObject({ type: 'error', code: 'ERR_INTERNAL' });
    expect(events).toContainEqual(expect.objectContaining({ event: 'internalError' }));
    expect(ctx.metrics.internalErrors).toBe(1);
  });

  it('ignores frames after close, and close is idempotent', () => {
    const { peer, gone } = setup();
    const a = peer();
    a.connection.onClose(1000, '');
    a.connection.onClose(1000, '');
    a.connection.onFrame(frame({ type: 'leave' }), false);
    expect(gone).toHaveLength(1);
    expect(a.socket.sent).toEqual([]);
  });
  it('refuses a join whose token does not fit, says why, and closes with 1008', () => {
    const issuer = new TokenIssuer(secretFrom('a test secret of enough length'));
    const { ctx, gone } = setup({ authorize: (room, role, token) => issuer.verify(token, room, role) });
    const cases: Array<[string | undefined, 'coordinator' | 'worker', string, string]> = [
      [undefined, 'worker', 'ERR_UNAUTHORIZED', 'missing'],
      ['shoal1.r.worker.99999999999.' + 'A'.repeat(43), 'worker', 'ERR_UNAUTHORIZED', 'signature'],
      [issuer.mint('other', 'worker'), 'worker', 'ERR_UNAUTHORIZED', 'room'],
      [issuer.mint('r', 'worker'), 'coordinator', 'ERR_UNAUTHORIZED', 'role'],
      [issuer.mint('r', 'worker', { expiresAt: Date.now() - 1000 }), 'worker', 'ERR_TOKEN_EXPIRED', 'expired'],
    ];
    for (const [token, role, code, reason] of cases) {
      const socket = new FakeSocket();
      const connection = new PeerConnection(socket, ctx);
      connection.onFrame(frame({ type: 'join', room: 'r', role, ...(token === undefined ? {} : { token }) }), false);
      expect(socket.sent).toEqual([{ type: 'error', code, message: expect.any(String) }]);
      expect(socket.closedWith).toBe(1008);
      expect(socket.closeReason.startsWith(code)).toBe(true);
      expect(Buffer.byteLength(socket.closeReason)).toBeLessThanOrEqual(123);
      expect(connection.state).toEqual({ phase: 'gone', reason: 'unauthorized' });
      expect(ctx.metrics.authFailures.get(reason)).toBe(1);
    }
    expect(gone).toHaveLength(cases.length);
    expect(ctx.rooms.peerCount).toBe(0);
  });

  it("announces the token's role, and a worker token joins only as a worker", () => {
    const issuer = new TokenIssuer(secretFrom('a test secret of enough length'));
    const { ctx } = setup({ authorize: (room, role, token) => issuer.verify(token, room, role) });
    const coordinator = new FakeSocket();
    new PeerConnection(coordinator, ctx).onFrame(frame({ type: 'join', room: 'r', role: 'coordinator', token: issuer.mint('r', 'coordinator') }), false);
    expect(coordinator.sent[0]).toMatchObject({ type: 'welcome', peers: [] });
    const worker = new FakeSocket();
    new PeerConnection(worker, ctx).onFrame(frame({ type: 'join', room: 'r', role: 'worker', token: issuer.mint('r', 'worker') }), false);
    expect(worker.sent[0]).toMatchObject({ type: 'welcome', peers: [{ role: 'coordinator' }] });
    expect(coordinator.sent[1]).toMatchObject({ type: 'peerJoined', peer: { role: 'worker' } });
    expect(ctx.metrics.joins).toEqual(new Map([['coordinator', 1], ['worker', 1]]));
  });

  it('refuses frames over the rate limit unread, then closes the socket with 1008', () => {
    const { peer, ctx } = setup({ rateLimit: { messagesPerSecond: 1, messageBurst: 5, bytesPerSecond: 1e9, byteBurst: 1e9, closeAfter: 3 } });
    const a = peer(); // the join took one token
    for (let i = 0; i < 4; i++) a.connection.onFrame(frame({ type: 'signal', to: 'nobody', data: {} }), false);
    expect(a.socket.sent.map((m) => m.type === 'error' && m.code)).toEqual(Array(4).fill('ERR_UNKNOWN_PEER'));
    a.socket.sent.length = 0;
    a.connection.onFrame(Buffer.from('not even parsed'), false);
    a.connection.onFrame(Buffer.from('not even parsed'), false);
    expect(a.socket.sent).toEqual([
      { type: 'error', code: 'ERR_RATE_LIMITED', message: expect.any(String) },
      { type: 'error', code: 'ERR_RATE_LIMITED', message: expect.any(String) },
    ]);
    expect(a.socket.closedWith).toBeNull();
    a.connection.onFrame(Buffer.from('x'), false);
    expect(a.socket.closedWith).toBe(1008);
    expect(a.socket.closeReason).toMatch(/rate limit/);
    expect(ctx.metrics.rejections.get('ERR_RATE_LIMITED')).toBe(3);
    expect(ctx.metrics.rejections.get('ERR_BAD_MESSAGE')).toBeUndefined();
    expect(ctx.metrics.drops.get('rate limit')).toBe(1);
  });

  it('closes a socket that stays in the lobby past the join timeout, counting from leave too', () => {
    const { ctx, peer } = setup({ joinTimeoutMs: 1000 });
    const idle = new FakeSocket();
    const connection = new PeerConnection(idle, ctx);
    connection.heartbeat(Date.now() + 500);
    expect(idle.closedWith).toBeNull();
    connection.heartbeat(Date.now() + 1000);
    expect(idle.closedWith).toBe(1008);
    expect(connection.state).toEqual({ phase: 'gone', reason: 'join timeout' });

    const joined = peer();
    joined.connection.heartbeat(Date.now() + 5000);
    expect(joined.socket.closedWith).toBeNull();
    joined.connection.onPong();
    joined.connection.onFrame(frame({ type: 'leave' }), false);
    joined.connection.heartbeat(Date.now() + 1000);
    expect(joined.socket.closedWith).toBe(1008);
  });

  it('logs the first rejections of a socket and only counts the rest', () => {
    const { peer, events, ctx } = setup({ maxBadMessages: 1000 });
    const a = peer();
    for (let i = 0; i < 50; i++) a.connection.onFrame(frame({ type: 'signal', to: 'nobody', data: {} }), false);
    expect(events.filter((e) => e['event'] === 'rejected')).toHaveLength(10);
    expect(ctx.metrics.rejections.get('ERR_UNKNOWN_PEER')).toBe(50);
  });
});
