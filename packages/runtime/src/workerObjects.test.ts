import { describe, expect, it } from 'vitest';
import { ShoalError, type ControlMessage } from '@shoal/protocol';
import type { PeerFetcher } from '@shoal/objects';
import { WorkerObjects } from './workerObjects.ts';

/** A parent in a broadcast tree that holds nothing until `heldAfter` fetches have been refused. */
function parent(heldAfter: number, bytes: ArrayBuffer): { connect: (peerId: string) => Promise<PeerFetcher>; asked: () => number } {
  let asked = 0;
  const fetcher: PeerFetcher = {
    fetch: async (objectId) => {
      asked += 1;
      if (asked <= heldAfter) throw new ShoalError('ERR_OBJECT_LOST', `object ${objectId} is not available from peer p: peer holds no object ${objectId}`);
      return bytes.slice(0);
    },
  };
  return { connect: async () => fetcher, asked: () => asked };
}

const until = async (check: () => boolean, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('WorkerObjects.replicate (a broadcast copy)', () => {
  it('asks a parent that did not hold the object yet again, and keeps the copy once it does', async () => {
    const bytes = new Uint8Array([1, 2, 3, 4]).buffer;
    const tree = parent(2, bytes);
    const sent: ControlMessage[] = [];
    const objects = new WorkerObjects({ peerId: 'me', capacityBytes: 1 << 20, deviceMemoryGiB: null, connect: tree.connect, toCoordinator: (m) => sent.push(m) });
    objects.replicate('obj-1', 4, 'p');
    await until(() => sent.some((m) => m.type === 'objectCopied'));
    expect(tree.asked()).toBe(3);
    expect(new Uint8Array((await objects.store.get('obj-1'))!)).toEqual(new Uint8Array([1, 2, 3, 4]));
  });
});
