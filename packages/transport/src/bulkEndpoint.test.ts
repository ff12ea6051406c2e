import { describe, expect, it } from 'vitest';
import { BULK_KIND, ShoalError, encodeBulkFrame } from '@shoal/protocol';
import { BulkEndpoint, type BulkEndpointOptions } from './bulkEndpoint.ts';
import { MemoryChannel, memoryChannelPair, type MemoryChannelOptions, type Tamper } from './bulkMemoryChannel.ts';

/** Deterministic bytes, different for each seed. */
function bytesOf(size: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    out[i] = x >>> 24;
  }
  return out;
}

interface Pair {
  a: BulkEndpoint;
  b: BulkEndpoint;
  /** Channels as seen from a (a's ends) and from b. */
  aEnds: MemoryChannel[];
  bEnds: MemoryChannel[];
}

/** Two endpoints over `lanes` in-memory channel pairs. `b` serves `objects`; either may get options. */
function pair(
  objects: Record<string, Uint8Array<ArrayBuffer>>,
  options: { lanes?: number; channel?: MemoryChannelOptions; a?: BulkEndpointOptions; b?: BulkEndpointOptions } = {},
): Pair {
  const aEnds: MemoryChannel[] = [];
  const bEnds: MemoryChannel[] = [];
  for (let i = 0; i < (options.lanes ?? 1); i++) {
    const [x, y] = memoryChannelPair({ ...options.channel, label: `lane${i}` });
    aEnds.push(x);
    bEnds.push(y);
  }
  const serve = (id: string): ArrayBuffer | null => (objects[id] ? objects[id].slice().buffer : null);
  const a = new BulkEndpoint(aEnds, { peerId: 'B', serve, ...options.a });
  const b = new BulkEndpoint(bEnds, { peerId: 'A', serve, ...options.b });
  return { a, b, aEnds, bEnds };
}

/** Byte-for-byte equality (vitest's deep equality is slow on megabytes). */
function expectBytes(got: ArrayBuffer | Uint8Array, want: Uint8Array): void {
  const bytes = got instanceof Uint8Array ? got : new Uint8Array(got);
  expect(bytes.length).toBe(want.length);
  expect(Buffer.compare(bytes, want)).toBe(0);
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<ShoalError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${code}, but it resolved`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ShoalError);
  expect((error as ShoalError).code).toBe(code);
  return error as ShoalError;
}

/** Lets `act` change (or drop) the first chunk that passes `end`; every other message goes as it is. */
function onFirstChunk(end: { tamper: Tamper | undefined }, act: (bytes: Uint8Array) => 'drop' | void): void {
  let seen = false;
  end.tamper = (bytes) => {
    if (seen || bytes[3] !== BULK_KIND.chunk) return;
    seen = true;
    return act(bytes);
  };
}

const KiB = 1024;
/** Some flow-control tests are about the high-water mark and bursts of an unpaced sender (pacing is tested at the end). */
const unpaced = { pacing: false } as const;

describe('BulkEndpoint', () => {
  it.each([0, 1, 256 * KiB - 1, 256 * KiB, 256 * KiB + 1, 5_000_000])('fetches %i bytes intact, in chunks of at most 256 KiB', async (size) => {
    const data = bytesOf(size, size);
    const { a, bEnds } = pair({ obj: data });
    const progress: number[] = [];
    const got = await a.fetch('obj', { onProgress: (bytes, total) => progress.push(bytes / total) });
    expect(got.byteLength).toBe(size);
    expectBytes(got, data);
    if (size > 0) expect(progress.at(-1)).toBe(1);
    expect(bEnds[0]!.peakBufferedAmount).toBeGreaterThan(0);
    const stats = a.stats();
    expect(stats.bytesReceived).toBe(size);
    expect(stats.transfersIn).toBe(1);
    expect(stats.corruptTransfers).toBe(0);
  });

  it('never sends a message over 256 KiB', async () => {
    const data = bytesOf(3 * 256 * KiB + 5);
    const { a, bEnds } = pair({ obj: data }, { channel: { maxMessage: 256 * KiB }, a: unpaced, b: unpaced });
    const sizes: number[] = [];
    bEnds[0]!.tamper = (bytes) => void (bytes[3] === BULK_KIND.chunk && sizes.push(bytes.length));
    await a.fetch('obj');
    expect(Math.max(...sizes)).toBe(256 * KiB);
    expect(sizes).toHaveLength(4);
  });

  it('runs concurrent fetches in both directions', async () => {
    const objects = { x: bytesOf(1_000_000, 1), y: bytesOf(700_000, 2), z: bytesOf(3, 3) };
    const { a, b } = pair(objects, { lanes: 2 });
    const results = await Promise.all([a.fetch('x'), b.fetch('y'), a.fetch('z'), b.fetch('x'), a.fetch('y')]);
    [objects.x, objects.y, objects.z, objects.x, objects.y].forEach((want, i) => expectBytes(results[i]!, want));
    expect(a.stats().transfersIn).toBe(3);
    expect(a.stats().transfersOut).toBe(2);
  });

  it('stripes the chunks of one fetch across 3 channels', async () => {
    const data = bytesOf(4_000_000);
    const { a, bEnds } = pair({ obj: data }, { lanes: 3, channel: { bytesPerTick: 512 * KiB }, a: unpaced, b: unpaced });
    const chunksPerLane = bEnds.map(() => 0);
    bEnds.forEach((end, i) => (end.tamper = (bytes) => void (bytes[3] === BULK_KIND.chunk && (chunksPerLane[i]! += 1))));
    expectBytes(await a.fetch('obj'), data);
    expect(chunksPerLane.reduce((x, y) => x + y)).toBe(Math.ceil(4_000_000 / (256 * KiB - 16)));
    for (const count of chunksPerLane) expect(count).toBeGreaterThan(2);
  });

  it('detects a corrupted chunk and fetches again', async () => {
    const data = bytesOf(1_000_000);
    const { a, bEnds } = pair({ obj: data });
    onFirstChunk(bEnds[0]!, (bytes) => void (bytes[1000] ^= 0x10));
    expectBytes(await a.fetch('obj'), data);
    expect(a.stats()).toMatchObject({ retries: 1, corruptTransfers: 1, transfersIn: 1 });
  });

  it('detects a dropped chunk and fetches again', async () => {
    const data = bytesOf(1_000_000);
    const { a, bEnds } = pair({ obj: data });
    onFirstChunk(bEnds[0]!, () => 'drop');
    expectBytes(await a.fetch('obj'), data);
    expect(a.stats()).toMatchObject({ retries: 1, corruptTransfers: 1 });
  });

  it('gives up with ERR_TRANSFER_FAILED when every try is corrupt', async () => {
    const { a, bEnds } = pair({ obj: bytesOf(300_000) });
    bEnds[0]!.tamper = (bytes) => {
      if (bytes[3] === BULK_KIND.chunk) bytes[bytes.length - 1] ^= 1;
    };
    const error = await expectCode(a.fetch('obj'), 'ERR_TRANSFER_FAILED');
    expect(error.message).toMatch(/obj.*B.*3 times/);
    expect(a.stats()).toMatchObject({ retries: 2, corruptTransfers: 3 });
  });

  it('rejects a missing object with ERR_OBJECT_LOST naming the object and the peer', async () => {
    const { a } = pair({});
    const error = await expectCode(a.fetch('nope'), 'ERR_OBJECT_LOST');
    expect(error.message).toContain('nope');
    expect(error.message).toContain('peer B');
  });

  it('rejects with ERR_OBJECT_LOST when serve throws', async () => {
    const { a } = pair({}, { b: { serve: () => Promise.reject(new Error('disk on fire')) } });
    expect((await expectCode(a.fetch('x'), 'ERR_OBJECT_LOST')).message).toContain('disk on fire');
  });

  it('rejects pending fetches with ERR_OBJECT_LOST when the channel closes mid-transfer', async () => {
    const { a, b, aEnds } = pair({ obj: bytesOf(5_000_000) }, { lanes: 2 });
    const started = Date.now();
    const fetching = a.fetch('obj', {
      onProgress: (bytes) => {
        if (bytes > 1_000_000) aEnds[1]!.close();
      },
    });
    const error = await expectCode(fetching, 'ERR_OBJECT_LOST');
    expect(error.message).toMatch(/obj.*peer B/);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(a.state.kind).toBe('closed');
    await new Promise((r) => setTimeout(r, 10));
    expect(b.state.kind).toBe('closed');
    await expectCode(a.fetch('obj'), 'ERR_OBJECT_LOST');
  });

  it('aborts a fetch and tells the sender to stop', async () => {
    const { a, b } = pair({ obj: bytesOf(8_000_000) }, { b: { highWaterMark: 1024 * KiB } });
    const controller = new AbortController();
    const fetching = a.fetch('obj', { signal: controller.signal, onProgress: (bytes) => bytes > 500_000 && controller.abort() });
    await expectCode(fetching, 'ERR_CANCELLED');
    await new Promise((r) => setTimeout(r, 30));
    expect(b.stats().activeOut).toBe(0);
    expect(b.stats().bytesSent).toBeLessThan(8_000_000);
    expect(a.stats().activeIn).toBe(0);
    // The link still works.
    expect((await a.fetch('obj')).byteLength).toBe(8_000_000);
  });

  it('keeps bufferedAmount within the high-water mark and never makes send throw', async () => {
    const objects = { x: bytesOf(6_000_000, 1), y: bytesOf(6_000_000, 2) };
    const highWaterMark = 2 * 1024 * KiB;
    const { a, b, bEnds } = pair(objects, {
      lanes: 2,
      // A slow drain and a small queue limit: a sender that ignored backpressure would throw.
      channel: { bytesPerTick: 300 * KiB, sendQueueLimit: highWaterMark + 4 * KiB },
      a: unpaced,
      b: { highWaterMark, lowWaterMark: 512 * KiB, ...unpaced },
    });
    const results = await Promise.all([a.fetch('x'), a.fetch('y')]);
    expectBytes(results[0]!, objects.x);
    expectBytes(results[1]!, objects.y);
    for (const end of bEnds) {
      expect(end.peakBufferedAmount).toBeLessThanOrEqual(highWaterMark + 2 * KiB); // chunks stop at the mark; headers/ends are a few bytes
      expect(end.peakBufferedAmount).toBeGreaterThan(highWaterMark / 2);
      expect(end.bufferedAmountLowThreshold).toBe(512 * KiB);
    }
    expect(b.state.kind).toBe('open');
  });

  it.each([
    ['the default burst', {}, 1024 * KiB],
    ['a 256 KiB burst', { burstBytes: 256 * KiB }, 256 * KiB],
  ])('yields the thread between bursts (%s), so control work interleaves with a big send', async (_name, options, burst) => {
    // The sender may queue 8 MiB; without bursts one task would hand it all to the channel,
    // and a heartbeat or a task message due meanwhile would wait behind it.
    const data = bytesOf(24_000_000, 3);
    const { a, bEnds } = pair({ big: data }, { channel: { bytesPerTick: 4 * 1024 * KiB }, a: unpaced, b: { ...options, ...unpaced } });
    const lane = bEnds[0]!;
    const send = lane.send.bind(lane);
    let inTask = 0;
    let mostInOneTask = 0;
    lane.send = (frame) => {
      if (inTask === 0) queueMicrotask(() => (inTask = 0)); // runs when the current task's synchronous work ends
      inTask += frame.byteLength;
      mostInOneTask = Math.max(mostInOneTask, inTask);
      send(frame);
    };
    // A "control" task that keeps re-arming itself: it must get turns while the bytes flow.
    let controlTurns = 0;
    let fetched = false;
    const control = (): void => {
      if (fetched) return;
      controlTurns += 1;
      setTimeout(control, 0);
    };
    setTimeout(control, 0);
    expectBytes(await a.fetch('big').finally(() => (fetched = true)), data);
    expect(mostInOneTask).toBeLessThanOrEqual(burst + 256 * KiB + 2 * KiB); // one chunk may cross the mark; headers/ends are a few bytes
    expect(mostInOneTask).toBeGreaterThan(0);
    expect(lane.peakBufferedAmount).toBeGreaterThan(burst); // bursts add up while the channel drains: the burst limits a task, not the queue
    expect(controlTurns).toBeGreaterThanOrEqual(Math.floor(data.length / (8 * 1024 * KiB)));
  });

  it('with no burst limit, one task hands the channel up to the whole high-water mark (what the limit prevents)', async () => {
    const data = bytesOf(12_000_000, 4);
    const { a, bEnds } = pair({ big: data }, { channel: { bytesPerTick: 4 * 1024 * KiB }, a: unpaced, b: { burstBytes: Infinity, ...unpaced } });
    const lane = bEnds[0]!;
    const send = lane.send.bind(lane);
    let inTask = 0;
    let mostInOneTask = 0;
    lane.send = (frame) => {
      if (inTask === 0) queueMicrotask(() => (inTask = 0));
      inTask += frame.byteLength;
      mostInOneTask = Math.max(mostInOneTask, inTask);
      send(frame);
    };
    expectBytes(await a.fetch('big'), data);
    expect(mostInOneTask).toBeGreaterThan(4 * 1024 * KiB);
  });

  it('counts and ignores malformed frames, even in the middle of a transfer', async () => {
    const data = bytesOf(2_000_000);
    const { a, bEnds } = pair({ obj: data });
    const garbage = [
      new Uint8Array([1, 2, 3]),
      new Uint8Array(20),
      new Uint8Array([0x53, 0x42, 1, 99, 0, 0, 0, 0]),
      new Uint8Array(encodeBulkFrame({ kind: 'end', transferId: 4242, lane: 0 })),
      new Uint8Array(encodeBulkFrame({ kind: 'header', transferId: 77, push: false, lanes: 1, checksum: 0, total: 5, objectId: '' })),
    ];
    for (const bytes of garbage) bEnds[0]!.send(bytes);
    const fetching = a.fetch('obj', { onProgress: () => void (garbage.length > 0 && bEnds[0]!.send(garbage.pop()!)) });
    expectBytes(await fetching, data);
    await new Promise((r) => setTimeout(r, 5));
    expect(a.stats().malformedFrames).toBe(10);
    expect(a.state.kind).toBe('open');
  });

  it('pushes an object to the peer, which checks it and hands it over', async () => {
    const received: Array<[string, Uint8Array]> = [];
    const data = bytesOf(2_000_000);
    const { a, b, aEnds } = pair({}, { lanes: 2, b: { onPushed: (id, buffer) => received.push([id, new Uint8Array(buffer)]) } });
    onFirstChunk(aEnds[1]!, (bytes) => void (bytes[20] ^= 0xff));
    await Promise.all([a.push('p1', data), a.push('p2', new Uint8Array(0))]);
    expect(received.map(([id]) => id).sort()).toEqual(['p1', 'p2']);
    expectBytes(received.find(([id]) => id === 'p1')![1], data);
    expect(a.stats()).toMatchObject({ retries: 1, transfersOut: 2 });
    expect(b.stats()).toMatchObject({ corruptTransfers: 1, transfersIn: 2 });
    // Without onPushed, the peer refuses.
    await expectCode(b.push('back', data), 'ERR_TRANSFER_FAILED');
  });

  it('rejects a push with ERR_WORKER_LOST when the receiver goes away', async () => {
    const { a, bEnds } = pair({}, { b: { onPushed: () => undefined } });
    const pushing = a.push('p', bytesOf(3_000_000));
    setTimeout(() => bEnds[0]!.close(), 1);
    await expectCode(pushing, 'ERR_WORKER_LOST');
  });

  it('paces a data channel: the bytes between send and the peer stay within the window, moved on by acks', async () => {
    const data = bytesOf(6_000_000, 5);
    const window = 128 * KiB;
    // A fast drain: without pacing the sender would queue up to the 8 MiB high-water mark.
    const { a, b, aEnds, bEnds } = pair({ obj: data }, { channel: { bytesPerTick: 4 * 1024 * KiB }, b: { pacing: { minWindow: window, maxWindow: window } } });
    const lane = bEnds[0]!;
    const send = lane.send.bind(lane);
    let mostInFlight = 0;
    lane.send = (frame) => {
      mostInFlight = Math.max(mostInFlight, b.stats().bytesSent - a.stats().bytesReceived);
      send(frame);
    };
    let acks = 0;
    aEnds[0]!.tamper = (bytes) => void (bytes[3] === BULK_KIND.ack && (acks += 1));
    expectBytes(await a.fetch('obj'), data);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the last acks are on their way
    expect(mostInFlight).toBeLessThanOrEqual(window);
    expect(mostInFlight).toBeGreaterThan(window / 2);
    expect(lane.peakBufferedAmount).toBeLessThanOrEqual(window + 2 * KiB);
    expect(acks).toBe(Math.ceil(data.length / (32 * KiB - 16))); // one per chunk (32 KiB frames when paced)
    const pacing = b.stats().pacing!;
    expect(pacing.samples).toBeGreaterThan(100);
    expect(pacing.inFlight).toBe(0);
    expect(a.stats().pacing).not.toBeNull();
  });

  it('does not pace lanes that hand whole buffers over (co-located ports), nor when told not to', () => {
    const [x] = memoryChannelPair();
    const port = Object.assign(x, { sendWithBody: () => undefined });
    expect(new BulkEndpoint([port]).stats().pacing).toBeNull();
    const [y] = memoryChannelPair();
    expect(new BulkEndpoint([y], { pacing: false }).stats().pacing).toBeNull();
    const [z] = memoryChannelPair();
    expect(new BulkEndpoint([z]).stats().pacing).toMatchObject({ window: 4 * 32 * KiB, inFlight: 0 });
  });

  it('a paced sender whose peer never acks still finishes: a stalled window is forgiven', async () => {
    const data = bytesOf(1_000_000, 6);
    const { a, b } = pair({ obj: data }, { a: unpaced, b: { pacing: { minWindow: 64 * KiB, maxWindow: 64 * KiB, stallMs: 5 } } });
    expectBytes(await a.fetch('obj'), data);
    expect(b.stats().pacing!.forgiven).toBeGreaterThan(5);
    expect(a.stats().pacing).toBeNull();
  });

  it('a lost chunk is acked when its transfer ends, so the retry is not held by the window', async () => {
    const data = bytesOf(1_000_000, 7);
    const { a, b, bEnds } = pair({ obj: data }, { b: { pacing: { minWindow: 64 * KiB, maxWindow: 64 * KiB, stallMs: 60_000 } } });
    onFirstChunk(bEnds[0]!, () => 'drop');
    expectBytes(await a.fetch('obj'), data);
    expect(a.stats()).toMatchObject({ retries: 1, corruptTransfers: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20)); // the last acks are on their way
    expect(b.stats().pacing).toMatchObject({ inFlight: 0, forgiven: 0 });
  });
});
