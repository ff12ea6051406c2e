import { describe, expect, it } from 'vitest';
import { DataChannelBulk } from './bulkChannel.ts';

/**
 * Just enough of an RTCDataChannel: two ends joined by `pair`; a message sent
 * while the other end does not exist yet is lost, as it is for a negotiated
 * channel whose other side has not been created.
 */
class FakeDataChannel extends EventTarget {
  readyState: RTCDataChannelState = 'connecting';
  binaryType = 'blob';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  peer: FakeDataChannel | null = null;
  constructor(readonly label: string) {
    super();
  }
  open(): void {
    this.readyState = 'open';
    this.dispatchEvent(new Event('open'));
  }
  send(data: ArrayBuffer | ArrayBufferView | string): void {
    const peer = this.peer;
    if (!peer || peer.readyState !== 'open') return; // lost
    const copy =
      typeof data === 'string' ? data : data instanceof ArrayBuffer ? data.slice(0) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
    setTimeout(() => peer.dispatchEvent(new MessageEvent('message', { data: copy })), 0);
  }
  close(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.dispatchEvent(new Event('close'));
  }
}

const asChannel = (fake: FakeDataChannel): RTCDataChannel => fake as unknown as RTCDataChannel;
const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('DataChannelBulk', () => {
  it('is ready only once both ends exist, even if the first hello is lost', async () => {
    const a = new FakeDataChannel('bulk');
    const bulkA = new DataChannelBulk(asChannel(a));
    let aReady = false;
    void bulkA.ready.then(() => (aReady = true));
    a.open(); // A says hello into the void: B's end does not exist yet
    await tick();
    expect(aReady).toBe(false);

    const b = new FakeDataChannel('bulk');
    a.peer = b;
    b.peer = a;
    const bulkB = new DataChannelBulk(asChannel(b));
    b.open(); // B's hello reaches A, A answers, B is ready
    await Promise.all([bulkA.ready, bulkB.ready]);
    expect(a.binaryType).toBe('arraybuffer');
  });

  it('keeps frames that arrive before anyone subscribes, and hides the handshake', async () => {
    const [a, b] = [new FakeDataChannel('x'), new FakeDataChannel('x')];
    a.peer = b;
    b.peer = a;
    const bulkA = new DataChannelBulk(asChannel(a));
    const bulkB = new DataChannelBulk(asChannel(b));
    a.open();
    b.open();
    await Promise.all([bulkA.ready, bulkB.ready]);
    bulkA.send(new Uint8Array([1, 2, 3]));
    bulkA.send(new Uint8Array([4]).buffer);
    await tick();
    const got: number[][] = [];
    bulkB.subscribe({ message: (data) => got.push([...new Uint8Array(data)]) });
    await tick();
    expect(got).toEqual([[1, 2, 3], [4]]);
  });

  it('rejects ready and reports close when the channel closes first', async () => {
    const a = new FakeDataChannel('y');
    const bulk = new DataChannelBulk(asChannel(a));
    let closed = 0;
    bulk.subscribe({ close: () => (closed += 1) });
    a.open();
    a.close();
    await expect(bulk.ready).rejects.toThrow(/closed before it was ready/);
    bulk.close();
    expect(closed).toBe(1);
    expect(bulk.readyState).toBe('closed');
  });
});
