import { afterEach, describe, expect, it, vi } from 'vitest';
import { SignalingClient, signalingUrlFor, splitToken } from './signalingClient.ts';

/** A WebSocket stand-in (Node 20 has none): the test plays the server through `deliver`. */
class FakeSocket {
  static OPEN = 1;
  static last: FakeSocket | null = null;
  readyState = 0;
  sent: string[] = [];
  closedWith: number | null = null;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.last = this;
    queueMicrotask(() => {
      this.readyState = 1;
      this.onopen?.();
    });
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(code: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  deliver(message: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

afterEach(() => vi.unstubAllGlobals());

describe('SignalingClient', () => {
  it('ends the link as soon as the server says the token was revoked, without waiting for the socket to close', async () => {
    vi.stubGlobal('WebSocket', FakeSocket);
    const joining = SignalingClient.join({ url: 'ws://h/ws?token=t', room: 'r', role: 'worker' });
    await new Promise((resolve) => setTimeout(resolve, 0));
    const socket = FakeSocket.last!;
    expect(JSON.parse(socket.sent[0]!)).toMatchObject({ type: 'join', room: 'r', token: 't' });
    socket.deliver({ type: 'welcome', peerId: 'p1', room: 'r', peers: [] });
    const { client } = await joining;
    const closed: string[] = [];
    client.on('closed', (reason) => closed.push(reason));
    socket.deliver({ type: 'error', code: 'ERR_BAD_MESSAGE', message: 'not this one' });
    expect(closed).toEqual([]);
    socket.deliver({ type: 'error', code: 'ERR_TOKEN_REVOKED', message: "this worker token was revoked by the room's coordinator" });
    expect(closed).toEqual(["ERR_TOKEN_REVOKED: this worker token was revoked by the room's coordinator"]);
    expect(client.peerId).toBeNull();
    expect(socket.closedWith).toBe(1000);
  });
});

describe('signalingUrlFor', () => {
  it('points at /ws on the same host, with the token when given', () => {
    const page = { protocol: 'https:', host: 'shoal.example.com' } as Location;
    expect(signalingUrlFor(page)).toBe('wss://shoal.example.com/ws');
    expect(signalingUrlFor({ protocol: 'http:', host: 'localhost:8080' } as Location, 'shoal1.r.worker.1.a+b')).toBe('ws://localhost:8080/ws?token=shoal1.r.worker.1.a%2Bb');
    expect(signalingUrlFor(page, null)).toBe('wss://shoal.example.com/ws');
  });
});

describe('splitToken', () => {
  it('takes the token off the URL, so it travels only in the join message', () => {
    expect(splitToken('ws://h/ws?token=shoal1.r.worker.1.a%2Bb', undefined)).toEqual({ url: 'ws://h/ws', token: 'shoal1.r.worker.1.a+b' });
    expect(splitToken('ws://h/ws?x=1&token=t', undefined)).toEqual({ url: 'ws://h/ws?x=1', token: 't' });
  });

  it('prefers an explicit token, and leaves URLs without one alone', () => {
    expect(splitToken('ws://h/ws?token=from-url', 'explicit')).toEqual({ url: 'ws://h/ws', token: 'explicit' });
    expect(splitToken('ws://h/ws', 'explicit')).toEqual({ url: 'ws://h/ws', token: 'explicit' });
    expect(splitToken('ws://h/ws', undefined)).toEqual({ url: 'ws://h/ws', token: undefined });
    expect(splitToken('ws://h/ws?token=', undefined)).toEqual({ url: 'ws://h/ws', token: undefined });
  });
});
