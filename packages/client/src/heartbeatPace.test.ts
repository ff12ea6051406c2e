import { describe, expect, it, vi } from 'vitest';
import type { Capabilities, ControlMessage, PeerInfo } from '@shoal/protocol';
import type { Mesh } from '@shoal/transport';
import { Coordinator } from './coordinator.ts';
import { HeartbeatPace, paceFactor } from './heartbeatPace.ts';

describe('HeartbeatPace', () => {
  it('beats every second up to 32 workers, a second slower per 32 more, at most every 4 s', () => {
    expect([1, 32, 33, 64, 65, 96, 97, 128, 500].map(paceFactor)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 4]);
  });

  it('only grows', () => {
    const pace = new HeartbeatPace();
    expect(pace.update(10)).toBe(false);
    expect(pace.update(40)).toBe(true);
    expect(pace.intervalMs).toBe(2000);
    expect(pace.update(50)).toBe(false);
    expect(pace.update(5)).toBe(false); // a room that emptied keeps its pace
    expect(pace.factor).toBe(2);
  });
});

/** Just enough of a Mesh for the coordinator's admission: links open, messages in, messages out. */
function fakeMesh(): { mesh: Mesh; sent: Array<[string, ControlMessage]>; open: (peer: PeerInfo) => void; deliver: (peer: PeerInfo, message: ControlMessage) => void } {
  const handlers = new Map<string, Array<(...args: unknown[]) => void>>();
  const sent: Array<[string, ControlMessage]> = [];
  const emit = (event: string, ...args: unknown[]) => handlers.get(event)?.forEach((handler) => handler(...args));
  const mesh = {
    peerId: 'coord',
    on: (event: string, handler: (...args: unknown[]) => void) => void handlers.set(event, [...(handlers.get(event) ?? []), handler]),
    off: () => undefined,
    send: (peerId: string, message: ControlMessage) => void sent.push([peerId, message]),
    isOpen: () => true,
    peers: () => [],
    linkTo: () => undefined,
  } as unknown as Mesh;
  return { mesh, sent, open: (peer) => emit('peerOpen', peer), deliver: (peer, message) => emit('message', peer, message) };
}

const caps = (): Capabilities => ({ cores: 1, slots: 1, deviceMemoryGiB: null, gpu: null, userAgent: 'test', custom: {}, bench: null });

describe('Coordinator heartbeat pace', () => {
  it('tells nobody in a room of 32, every worker once the 33rd says hello, and later workers at their hello; its watchdog waits as much longer', () => {
    vi.useFakeTimers();
    try {
      const { mesh, sent, open, deliver } = fakeMesh();
      const coordinator = new Coordinator(mesh);
      const peers = Array.from({ length: 34 }, (_, i): PeerInfo => ({ peerId: `w${i + 1}`, role: 'worker' }) as PeerInfo);
      const join = (peer: PeerInfo) => {
        open(peer);
        deliver(peer, { type: 'hello', caps: caps() });
      };
      peers.slice(0, 32).forEach(join);
      const paces = () => sent.filter(([, message]) => message.type === 'heartbeatEvery');
      expect(paces()).toEqual([]);
      join(peers[32]!);
      expect(paces().map(([peerId]) => peerId).sort()).toEqual(peers.slice(0, 33).map((peer) => peer.peerId).sort());
      expect(paces().every(([, message]) => (message as { ms: number }).ms === 2000)).toBe(true);
      join(peers[33]!);
      expect(paces().at(-1)).toEqual(['w34', { type: 'heartbeatEvery', ms: 2000 }]);
      // Silent for 4 s: past the 3 s default timeout, within twice it.
      for (const peer of peers) deliver(peer, { type: 'heartbeat' });
      vi.advanceTimersByTime(4000);
      expect(coordinator.workers()).toHaveLength(34);
      vi.advanceTimersByTime(3000);
      expect(coordinator.workers()).toHaveLength(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
