/**
 * A fetch's own deadline (BulkEndpoint's `stallTimeoutMs`): a peer that
 * never answers fails the fetch with ERR_TIMEOUT and is told to stop; a peer
 * that is slow but alive (a slow `serve`, or bytes that keep coming) does not.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ShoalError, decodeBulkFrame } from '@shoal/protocol';
import { BulkEndpoint, type BulkEndpointOptions, type ServeFn } from './bulkEndpoint.ts';
import { memoryChannelPair, type MemoryChannel, type MemoryChannelOptions } from './bulkMemoryChannel.ts';

function pair(serve: ServeFn, options: { a?: BulkEndpointOptions; b?: BulkEndpointOptions; channel?: MemoryChannelOptions } = {}): { a: BulkEndpoint; b: BulkEndpoint; aEnd: MemoryChannel; bEnd: MemoryChannel } {
  const [aEnd, bEnd] = memoryChannelPair({ label: 'lane0', ...options.channel });
  return { a: new BulkEndpoint([aEnd], { peerId: 'B', ...options.a }), b: new BulkEndpoint([bEnd], { peerId: 'A', serve, ...options.b }), aEnd, bEnd };
}

async function rejection(promise: Promise<unknown>): Promise<ShoalError> {
  const error = await promise.then(
    () => new Error('expected a rejection, but it resolved'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ShoalError);
  return error as ShoalError;
}

const object = (size: number): ArrayBuffer => new Uint8Array(size).map((_, i) => i * 7).buffer;

describe('BulkEndpoint fetch deadline', () => {
  afterEach(() => vi.useRealTimers());

  it('fails a fetch whose peer never answers with ERR_TIMEOUT, and tells the peer to stop', async () => {
    // Unpaced: the dropped bytes would otherwise hold b's window until forgiven (a real channel loses no bytes).
    const { a, b, bEnd } = pair(() => object(300_000), { a: { pacing: false }, b: { pacing: false } });
    bEnd.tamper = () => 'drop'; // nothing b sends ever arrives: a wedged holder whose link stays open
    const started = performance.now();
    const error = await rejection(a.fetch('obj', { stallTimeoutMs: 80 }));
    expect(error.code).toBe('ERR_TIMEOUT');
    expect(error.message).toContain('obj');
    expect(error.message).toContain('peer B');
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    // The cancel reached b, whose sender dropped the transfer.
    await vi.waitFor(() => expect(b.stats().activeOut).toBe(0));
    expect(a.stats().activeIn).toBe(0);
    // The endpoint is still usable: the deadline failed one fetch, not the link.
    bEnd.tamper = undefined;
    expect((await a.fetch('obj')).byteLength).toBe(300_000);
  });

  it('uses the endpoint default when the fetch names none, and none at all with 0', async () => {
    let answer: (buffer: ArrayBuffer) => void = () => undefined;
    const { a } = pair(() => new Promise<ArrayBuffer>((resolve) => (answer = resolve)), { a: { stallTimeoutMs: 40 }, b: {} });
    expect((await rejection(a.fetch('obj'))).code).toBe('ERR_TIMEOUT');
    const patient = a.fetch('obj', { stallTimeoutMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 120));
    answer(object(1000));
    expect((await patient).byteLength).toBe(1000);
  });

  it('keeps a fetch alive while the holder says it is busy preparing the object', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
    const seen: string[] = [];
    const { a, bEnd } = pair(() => new Promise<ArrayBuffer>((resolve) => setTimeout(() => resolve(object(5000)), 9_000)));
    const send = bEnd.send.bind(bEnd);
    bEnd.send = (data) => {
      const decoded = decodeBulkFrame(data instanceof ArrayBuffer ? data : (data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer));
      if (decoded.ok) seen.push(decoded.frame.kind);
      send(data);
    };
    const fetched = a.fetch('obj', { stallTimeoutMs: 3_000 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await fetched).byteLength).toBe(5000);
    expect(seen.filter((k) => k === 'busy').length).toBeGreaterThanOrEqual(4);
  });

  it('does not time out a long fetch while its bytes keep coming', async () => {
    // 2 MB in 4 KiB frames, one a timer tick (at least 1 ms each), takes over 3 deadlines of 150 ms, but no gap between frames comes near one.
    const unpaced = { pacing: false, chunkBytes: 4096 } as const;
    const { a } = pair(() => object(2_000_000), { channel: { bytesPerTick: 4096 }, a: unpaced, b: unpaced });
    const started = performance.now();
    expect((await a.fetch('obj', { stallTimeoutMs: 150 })).byteLength).toBe(2_000_000);
    expect(performance.now() - started).toBeGreaterThan(450);
  });
});
