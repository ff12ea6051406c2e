import { describe, expect, it } from 'vitest';
import type { StoreStats } from '@shoal/protocol';
import { MemorySpill, type SpillBackend } from './spill.ts';
import { ObjectStore } from './store.ts';

/** A buffer of `size` bytes whose content identifies `tag`. */
function blob(tag: number, size: number): ArrayBuffer {
  return Uint8Array.from({ length: size }, (_, i) => (tag * 31 + i) & 0xff).buffer;
}

function same(a: ArrayBuffer | null, b: ArrayBuffer): boolean {
  return a !== null && a.byteLength === b.byteLength && new Uint8Array(a).every((x, i) => x === new Uint8Array(b)[i]);
}

/** A store whose every intermediate figure is recorded. */
function watched(capacityBytes: number, spill: SpillBackend | null) {
  const history: StoreStats[] = [];
  const store = new ObjectStore({ capacityBytes, spill, onChange: (stats) => history.push(stats) });
  return { store, history };
}

describe('ObjectStore', () => {
  it('spills the least recently used objects and never holds more than its capacity', async () => {
    const spill = new MemorySpill({ latencyMs: 2 });
    const { store, history } = watched(100, spill);
    const buffers = [0, 1, 2, 3, 4].map((i) => blob(i, 30));
    for (const [i, buffer] of buffers.entries()) await store.put(`o${i}`, buffer);
    expect(store.stats()).toMatchObject({ memoryBytes: 90, spilledBytes: 60, objects: 5, spilledObjects: 2, spills: 2, restores: 0 });
    expect([...spill.files.keys()].sort()).toEqual(['o0', 'o1']);

    // A restore brings o0 back and spills the least recently used of the rest (o2).
    expect(same(await store.get('o0'), buffers[0]!)).toBe(true);
    expect([...spill.files.keys()].sort()).toEqual(['o0', 'o1', 'o2']);
    expect(store.stats()).toMatchObject({ memoryBytes: 90, spilledObjects: 2, restores: 1 });
    for (const [i, buffer] of buffers.entries()) expect(same(await store.get(`o${i}`), buffer)).toBe(true);

    expect(history.length).toBeGreaterThan(10);
    expect(Math.max(...history.map((s) => s.memoryBytes))).toBeLessThanOrEqual(100);
    expect(store.stats().objects).toBe(5);
  });

  it('bumps an object on get, so a later spill picks the one not used', async () => {
    const spill = new MemorySpill();
    const store = new ObjectStore({ capacityBytes: 100, spill });
    await store.put('a', blob(1, 40));
    await store.put('b', blob(2, 40));
    await store.get('a');
    await store.put('c', blob(3, 40));
    expect([...spill.files.keys()]).toEqual(['b']);
  });

  it('respills a restored object without writing it again', async () => {
    const spill = new MemorySpill();
    const store = new ObjectStore({ capacityBytes: 50, spill });
    await store.put('a', blob(1, 40));
    await store.put('b', blob(2, 40)); // spills a
    await store.get('a'); // restores a, spills b
    await store.get('b'); // restores b, spills a: its copy is already written
    expect(spill.writes).toBe(2);
    expect(store.stats()).toMatchObject({ spills: 3, restores: 2, memoryBytes: 40, spilledBytes: 40 });
  });

  it('never spills a pinned object, even past capacity', async () => {
    const spill = new MemorySpill();
    const { store, history } = watched(100, spill);
    store.pin('early'); // pinned before it arrives, as a task's input is
    await store.put('early', blob(1, 40));
    await store.put('flagged', blob(2, 40), { pin: true });
    for (let i = 0; i < 4; i++) await store.put(`x${i}`, blob(10 + i, 40));
    expect(spill.files.has('early') || spill.files.has('flagged')).toBe(false);
    expect(store.stats().memoryBytes).toBe(80);

    // Pinned objects that fill the store: the newcomer is kept anyway when pinned, spilled when not.
    await store.put('third', blob(3, 40), { pin: true });
    expect(store.stats().memoryBytes).toBe(120);
    await store.put('loose', blob(4, 10));
    expect(spill.files.has('loose')).toBe(true);
    expect(Math.max(...history.map((s) => s.memoryBytes))).toBe(120);

    // The last unpin brings the store back under capacity.
    store.unpin('third');
    store.unpin('flagged');
    store.pin('early');
    store.unpin('early'); // still pinned once
    await store.get('early');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(store.stats().memoryBytes).toBeLessThanOrEqual(100);
    expect(spill.files.has('early')).toBe(false);
  });

  it('sends an object larger than capacity straight to spill, and still returns it', async () => {
    const spill = new MemorySpill();
    const store = new ObjectStore({ capacityBytes: 100, spill });
    await store.put('small', blob(1, 50));
    const big = blob(2, 150);
    await store.put('big', big);
    expect(store.stats()).toMatchObject({ memoryBytes: 50, spilledBytes: 150, spilledObjects: 1 });
    expect(spill.files.has('small')).toBe(false);
    expect(same(await store.get('big'), big)).toBe(true);
    expect(store.stats()).toMatchObject({ memoryBytes: 50, spilledBytes: 150, restores: 1 });
  });

  it('without a backend keeps everything in memory over capacity, without throwing', async () => {
    const store = new ObjectStore({ capacityBytes: 100, spill: null });
    await store.put('a', blob(1, 80));
    await store.put('b', blob(2, 150));
    expect(store.stats()).toMatchObject({ memoryBytes: 230, spilledBytes: 0, objects: 2 });
    expect(same(await store.get('b'), blob(2, 150))).toBe(true);
  });

  it('keeps an object in memory when its spill write fails', async () => {
    const failing: SpillBackend = {
      write: () => Promise.reject(new Error('quota exceeded')),
      read: () => Promise.reject(new Error('nothing')),
      remove: () => Promise.resolve(),
      clear: () => Promise.resolve(),
    };
    const store = new ObjectStore({ capacityBytes: 100, spill: failing });
    const warn = console.warn;
    console.warn = () => undefined;
    try {
      await store.put('a', blob(1, 80));
      await store.put('b', blob(2, 80));
    } finally {
      console.warn = warn;
    }
    expect(store.stats()).toMatchObject({ memoryBytes: 160, spills: 0 });
    expect(same(await store.get('a'), blob(1, 80))).toBe(true);
  });

  it('returns the right bytes for a get while that object is being spilled', async () => {
    const spill = new MemorySpill({ latencyMs: 20 });
    const store = new ObjectStore({ capacityBytes: 100, spill });
    await store.put('a', blob(1, 60));
    const putting = store.put('b', blob(2, 60)); // starts spilling a
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(same(await store.get('a'), blob(1, 60))).toBe(true);
    await putting;
    expect(same(await store.get('a'), blob(1, 60))).toBe(true);
  });

  it('does not resurrect an object deleted while it is being spilled', async () => {
    // Writes land only when the test says so, so the delete surely comes first.
    const spill = new MemorySpill();
    const landings: (() => void)[] = [];
    const write = spill.write.bind(spill);
    spill.write = (id, buffer) => new Promise<void>((resolve) => landings.push(resolve)).then(() => write(id, buffer));
    const store = new ObjectStore({ capacityBytes: 100, spill });
    await store.put('a', blob(1, 60));
    const putting = store.put('b', blob(2, 60)); // starts spilling a
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(landings).toHaveLength(1);
    const deleting = store.delete('a');
    expect(store.has('a')).toBe(false);
    landings[0]!();
    await Promise.all([deleting, putting]);
    expect(await store.get('a')).toBeNull();
    expect(spill.files.has('a')).toBe(false);
    expect(store.stats()).toMatchObject({ memoryBytes: 60, spilledBytes: 0, objects: 1, spilledObjects: 0 });
  });

  it('shares one read between concurrent gets, and survives a delete during the read', async () => {
    const spill = new MemorySpill({ latencyMs: 10 });
    const store = new ObjectStore({ capacityBytes: 50, spill });
    await store.put('a', blob(1, 40));
    await store.put('b', blob(2, 40));
    const [first, second] = await Promise.all([store.get('a'), store.get('a')]);
    expect(first).toBe(second);
    expect(spill.reads).toBe(1);

    const reading = store.get('b');
    await store.delete('b');
    expect(same(await reading, blob(2, 40))).toBe(true);
    expect(store.has('b')).toBe(false);
    expect(spill.files.has('b')).toBe(false);
    expect(store.stats()).toMatchObject({ objects: 1, memoryBytes: 40, spilledBytes: 0 });
  });

  it('reports a spilled object whose file is gone as lost', async () => {
    const spill = new MemorySpill();
    const store = new ObjectStore({ capacityBytes: 50, spill });
    await store.put('a', blob(1, 40));
    await store.put('b', blob(2, 40));
    spill.files.delete('a');
    await expect(store.get('a')).rejects.toMatchObject({ code: 'ERR_OBJECT_LOST' });
    expect(store.has('a')).toBe(false);
  });

  it('answers for unknown ids without failing, and replaces an object put again', async () => {
    const spill = new MemorySpill();
    const store = new ObjectStore({ capacityBytes: 100, spill });
    expect(await store.get('nope')).toBeNull();
    expect(store.size('nope')).toBeNull();
    await store.delete('nope');
    store.unpin('nope');
    await store.put('a', blob(1, 30));
    await store.put('a', blob(2, 20));
    expect(store.size('a')).toBe(20);
    expect(same(await store.get('a'), blob(2, 20))).toBe(true);
    expect(store.ids()).toEqual(['a']);
    expect(store.stats()).toMatchObject({ capacityBytes: 100, memoryBytes: 20, objects: 1 });
  });

  it('hands over an object in memory without a copy, and keeps a pinned or spilled one', async () => {
    const spill = new MemorySpill();
    const store = new ObjectStore({ capacityBytes: 100, spill });
    const a = blob(1, 40);
    await store.put('a', a);
    await store.put('b', blob(2, 40));
    store.pin('b');
    expect(store.take('b')).toBeNull(); // pinned: another reader may be using it
    store.unpin('b');
    const c = blob(3, 40);
    await store.put('c', c); // spills a, the least recently used
    expect(store.take('a')).toBeNull(); // only in the backend
    expect(same(await store.get('a'), a)).toBe(true); // restored: back in memory (b spilled)
    const taken = store.take('a');
    expect(taken).not.toBeNull();
    expect(same(taken, a)).toBe(true);
    expect(store.has('a')).toBe(false);
    expect(await store.get('a')).toBeNull();
    expect(store.stats()).toMatchObject({ memoryBytes: 40, objects: 2 });
    expect(store.take('c')).toBe(c); // the very buffer that was put
    expect(store.stats()).toMatchObject({ memoryBytes: 0, objects: 1 });
    expect(store.take('a')).toBeNull(); // once only
    expect(store.take('nothing')).toBeNull();
  });

  it('lends an object to one reader without a copy: kept in memory, never spilled, gets wait for it to come back', async () => {
    const spill = new MemorySpill();
    const store = new ObjectStore({ capacityBytes: 100, spill });
    const a = blob(1, 40);
    await store.put('a', a);
    store.pin('a');
    store.pin('a');
    expect(store.lend('a', 1)).toBeNull(); // another reader holds it too
    store.unpin('a');
    const lent = store.lend('a', 1);
    store.unpin('a');
    expect(lent).toBe(a); // the very buffer, no copy
    expect(store.lend('a')).toBeNull(); // lent once at a time
    expect(store.take('a')).toBeNull();
    expect(store.has('a')).toBe(true);
    expect(store.stats()).toMatchObject({ memoryBytes: 40, objects: 1 });
    let got: ArrayBuffer | null | undefined;
    const waiting = store.get('a').then((buffer) => (got = buffer));
    await store.put('b', blob(2, 40));
    await store.put('c', blob(3, 40)); // over capacity: b spills, not the lent a
    expect(spill.files.has('a')).toBe(false);
    expect(spill.files.has('b')).toBe(true);
    await Promise.resolve();
    expect(got).toBeUndefined(); // still lent
    store.giveBack('a', lent!);
    await waiting;
    expect(got).toBe(a);
    expect(store.lend('a')).toBe(a); // back in memory: it may be lent again
    store.lendLost('a'); // ... and this time it never comes back
    expect(store.has('a')).toBe(false);
    expect(await store.get('a')).toBeNull();
    expect(store.stats()).toMatchObject({ memoryBytes: 40, objects: 2 });
  });

  it('answers null to gets waiting on a lent object that is deleted, and ignores its late return', async () => {
    const store = new ObjectStore({ capacityBytes: 100, spill: null });
    const a = blob(1, 10);
    await store.put('a', a);
    const lent = store.lend('a')!;
    const waiting = store.get('a');
    await store.delete('a');
    expect(await waiting).toBeNull();
    store.giveBack('a', lent);
    expect(store.has('a')).toBe(false);
    expect(store.stats()).toMatchObject({ memoryBytes: 0, objects: 0 });
  });

  it('frees memory and the spilled copy on delete', async () => {
    const spill = new MemorySpill();
    const store = new ObjectStore({ capacityBytes: 100, spill });
    await store.put('a', blob(1, 60));
    await store.put('b', blob(2, 60));
    expect(spill.files.has('a')).toBe(true);
    await store.delete('a');
    await store.delete('b');
    expect(spill.files.size).toBe(0);
    expect(store.ids()).toEqual([]);
    expect(store.stats()).toMatchObject({ memoryBytes: 0, spilledBytes: 0, objects: 0, spilledObjects: 0, spills: 1 });
  });

  it('keeps capacity under many interleaved puts, gets and deletes', async () => {
    const spill = new MemorySpill({ latencyMs: 1 });
    const { store, history } = watched(1000, spill);
    const expected = new Map<string, ArrayBuffer>();
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      const id = `k${i % 20}`;
      if (i % 7 === 3) {
        expected.delete(id);
        ops.push(store.delete(id));
      } else if (i % 3 === 0 && expected.has(id)) {
        const want = expected.get(id)!;
        ops.push(store.get(id).then((got) => expect(same(got, want)).toBe(true)));
      } else {
        const buffer = blob(i, 100 + (i % 5) * 50);
        expected.set(id, buffer);
        ops.push(store.put(id, buffer));
      }
    }
    await Promise.all(ops);
    for (const [id, buffer] of expected) expect(same(await store.get(id), buffer)).toBe(true);
    expect(store.ids().sort()).toEqual([...expected.keys()].sort());
    expect(Math.max(...history.map((s) => s.memoryBytes))).toBeLessThanOrEqual(1000);
    const stats = store.stats();
    expect(stats.memoryBytes + stats.spilledBytes).toBe([...expected.values()].reduce((sum, b) => sum + b.byteLength, 0));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(new Set(spill.files.keys()).size).toBeLessThanOrEqual(expected.size);
  });
});
