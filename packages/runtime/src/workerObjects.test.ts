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

describe('WorkerObjects.inputs (lent inputs)', () => {
  const make = () => {
    const sent: ControlMessage[] = [];
    const objects = new WorkerObjects({ peerId: 'me', capacityBytes: 1 << 20, deviceMemoryGiB: null, connect: () => Promise.reject(new Error('no peers')), toCoordinator: (m) => sent.push(m) });
    return { objects, sent };
  };
  const spec = (objectId: string, size: number) => ({ objectId, size, from: ['me'] });

  it("lends the store's own bytes and takes them back when the task ends", async () => {
    const { objects, sent } = make();
    const a = new Uint8Array([1, 2, 3, 4]).buffer;
    await objects.store.put('a', a);
    const blobs = (await objects.inputs([spec('a', 4)], 'lend'))!;
    const given = blobs();
    expect(given['a']).toBe(a); // no copy
    expect(blobs.lent).toEqual(['a']);
    const got = objects.store.get('a'); // a get meanwhile waits for the bytes
    expect(() => blobs()).toThrow(/did not give it back/); // a second run cannot have them
    expect(blobs.done({ a })).toEqual([]);
    expect(await got).toBe(a);
    expect(objects.store.isPinned('a')).toBe(false);
    expect(sent.filter((m) => m.type === 'objectDropped')).toEqual([]);
  });

  it('copies an input another task here holds at the same time', async () => {
    const { objects } = make();
    const a = new Uint8Array([5, 6]).buffer;
    await objects.store.put('a', a);
    const first = (await objects.inputs([spec('a', 2)], 'lend'))!;
    const second = (await objects.inputs([spec('a', 2)], 'lend'))!;
    const copy = first()['a']!;
    expect(copy).not.toBe(a); // both hold it: the first gets a copy ...
    expect(new Uint8Array(copy)).toEqual(new Uint8Array([5, 6]));
    expect(second()['a']).toBe(a); // ... and the last holder the bytes themselves
    expect(first.done()).toEqual([]);
    expect(second.done({ a })).toEqual([]);
    expect(objects.store.isPinned('a')).toBe(false);
  });

  it('forgets lent bytes that never came back, and names them as lost', async () => {
    const { objects, sent } = make();
    const a = new Uint8Array([1, 2, 3]).buffer;
    await objects.store.put('a', a);
    const blobs = (await objects.inputs([spec('a', 3)], 'lend'))!;
    const given = blobs()['a']!;
    structuredClone(given, { transfer: [given] }); // moved to a Web Worker that then died
    const lost = blobs.done();
    expect(lost).toEqual(['a']);
    expect(objects.store.has('a')).toBe(false);
  });

  it('gives back bytes never sent (a task cancelled before it started), and drops the holds of a maker never called', async () => {
    const { objects } = make();
    const a = new Uint8Array([9]).buffer;
    await objects.store.put('a', a);
    const sentNot = (await objects.inputs([spec('a', 1)], 'lend'))!;
    sentNot();
    expect(sentNot.done()).toEqual([]);
    expect(await objects.store.get('a')).toBe(a);
    const never = (await objects.inputs([spec('a', 1)], 'lend'))!;
    expect(objects.store.isPinned('a')).toBe(true);
    expect(never.done()).toEqual([]);
    expect(objects.store.isPinned('a')).toBe(false);
  });
});
