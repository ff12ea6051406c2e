import { describe, expect, it } from 'vitest';
import type { SignalingServerMessage } from '@shoal/protocol';
import { PeerConnection, type PeerContext, type PeerSocket } from './peerConnection.ts';
import { Rooms } from './rooms.ts';

/** A socket stand-in: records what the server sends and how it closes. */
class FakeSocket implements PeerSocket {
  readyState = 1;
  bufferedAmount = 0;
  sent: SignalingServerMessage[] = [];
  closedWith: number | 'terminated' | null = null;
  pings = 0;
  send(data: string): void {
    this.sent.push(JSON.parse(data) as SignalingServerMessage);
  }
  ping(): void {
    this.pings += 1;
  }
  close(code: number): void {
    this.closedWith = code;
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
    counters: { messages: 0, rejected: 0 },
    log: (e) => events.push(e),
    maxBufferedBytes: 1000,
    maxBadMessages: 3,
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
});
