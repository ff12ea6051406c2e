import { describe, expect, it } from 'vitest';
import { ShoalError } from '@shoal/protocol';
import { ObjectPlane, type PeerFetcher } from './plane.ts';
import { ObjectStore } from './store.ts';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill).buffer;

function plane(peers: Record<string, Record<string, ArrayBuffer>>, copied: string[] = []) {
  const calls: string[] = [];
  const connect = async (peerId: string): Promise<PeerFetcher> => ({
    fetch: async (objectId) => {
      calls.push(`${peerId}:${objectId}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const found = peers[peerId]?.[objectId];
      if (!found) throw new ShoalError('ERR_OBJECT_LOST', `${peerId} has no ${objectId}`);
      return found.slice(0);
    },
  });
  const store = new ObjectStore({ capacityBytes: 1 << 20, spill: null });
  return { calls, store, plane: new ObjectPlane({ self: 'me', store, connect, onCopied: (id) => copied.push(id) }) };
}

describe('ObjectPlane', () => {
  it('fetches from a holder once, keeps the copy and reports it', async () => {
    const copied: string[] = [];
    const { plane: p, calls, store } = plane({ a: { x: bytes(100, 7) } }, copied);
    const [one, two] = await Promise.all([p.get({ objectId: 'x', size: 100, from: ['a'] }), p.get({ objectId: 'x', size: 100, from: ['a'] })]);
    expect(new Uint8Array(one)[99]).toBe(7);
    expect(two.byteLength).toBe(100);
    expect(calls).toEqual(['a:x']);
    expect(store.has('x')).toBe(true);
    expect(copied).toEqual(['x']);
    await p.get({ objectId: 'x', size: 100, from: ['a'] });
    expect(calls).toEqual(['a:x']); // served from the store now
    expect(p.traffic).toMatchObject({ fetches: 1, fetchedBytes: 100 });
  });

  it('fetches an object once for one reader without keeping or reporting it', async () => {
    const copied: string[] = [];
    const { plane: p, calls, store } = plane({ a: { x: bytes(100, 9) } }, copied);
    const got = await p.fetchOnce({ objectId: 'x', size: 100, from: ['me', 'a'] });
    expect(new Uint8Array(got)[99]).toBe(9);
    expect(store.has('x')).toBe(false);
    expect(p.has('x')).toBe(false);
    expect(copied).toEqual([]);
    await p.fetchOnce({ objectId: 'x', size: 100, from: ['a'] });
    expect(calls).toEqual(['a:x', 'a:x']); // nothing kept, so fetched again
    expect(p.traffic).toMatchObject({ fetches: 2, fetchedBytes: 200 });
    await expect(p.fetchOnce({ objectId: 'y', size: 1, from: ['a'] })).rejects.toMatchObject({ code: 'ERR_OBJECT_LOST' });
  });

  it('skips itself and a holder that lost the object, and takes the next', async () => {
    const { plane: p, calls } = plane({ a: {}, b: { x: bytes(10, 1) } });
    const got = await p.get({ objectId: 'x', size: 10, from: ['me', 'a', 'b'] });
    expect(got.byteLength).toBe(10);
    expect(calls).toEqual(['a:x', 'b:x']);
  });

  it('fails with the holders\' error when none has it, and with ERR_TRANSFER_FAILED on a size mismatch', async () => {
    const { plane: p } = plane({ a: { y: bytes(5, 1) } });
    await expect(p.get({ objectId: 'x', size: 10, from: ['a'] })).rejects.toMatchObject({ code: 'ERR_OBJECT_LOST' });
    await expect(p.get({ objectId: 'y', size: 6, from: ['a'] })).rejects.toMatchObject({ code: 'ERR_TRANSFER_FAILED' });
  });

  it('serves its own objects, an object still arriving, and null for unknown ones', async () => {
    const { plane: p } = plane({ a: { x: bytes(8, 3) } });
    const put = p.put('mine', bytes(4, 9));
    const early = p.serve('mine'); // asked before the store has it
    await put;
    expect(new Uint8Array((await early)!)[0]).toBe(9);
    const arriving = p.get({ objectId: 'x', size: 8, from: ['a'] });
    expect(new Uint8Array((await p.serve('x'))!)[0]).toBe(3);
    await arriving;
    expect(await p.serve('nothing')).toBeNull();
    expect(p.traffic.served).toBe(2);
  });

  it('releases objects from the store', async () => {
    const { plane: p, store } = plane({});
    await p.put('gone', bytes(4, 1));
    await p.release(['gone', 'never-there']);
    expect(store.has('gone')).toBe(false);
  });
});
