import { describe, expect, it } from 'vitest';
import { IndexedHeap, KeyedHeap } from './heap.ts';

interface Item {
  first: number;
  second: number;
  heapIndex: number;
}

/** A small deterministic PRNG (mulberry32), so the test is a fixed table in disguise. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const before = (a: Item, b: Item) => a.first < b.first || (a.first === b.first && a.second < b.second);
const best = (items: Iterable<Item>) => [...items].reduce((x, y) => (before(y, x) ? y : x));

describe('KeyedHeap', () => {
  it('pops by first key, then second, through growth', () => {
    const next = random(3);
    const heap = new KeyedHeap<Item>();
    const live: Item[] = [];
    for (let round = 0; round < 3000; round++) {
      if (next() < 0.6 || live.length === 0) {
        const item = { first: Math.floor(next() * 5), second: Math.floor(next() * 50), heapIndex: -1 };
        heap.push(item, item.first, item.second);
        live.push(item);
      } else {
        const top = heap.pop()!;
        expect([top.first, top.second]).toEqual([best(live).first, best(live).second]);
        live.splice(live.indexOf(top), 1);
      }
      expect(heap.size).toBe(live.length);
    }
    heap.clear();
    expect([heap.size, heap.pop()]).toEqual([0, undefined]);
  });
});

describe('IndexedHeap', () => {
  it('pops in order through pushes, removals and key changes, tracking positions', () => {
    const next = random(7);
    const heap = new IndexedHeap<Item>();
    const live = new Set<Item>();
    for (let round = 0; round < 5000; round++) {
      const roll = next();
      const any = () => [...live][Math.floor(next() * live.size)]!;
      if (roll < 0.5 || live.size === 0) {
        const item = { first: Math.floor(next() * 100), second: round, heapIndex: -1 };
        heap.set(item, item.first, item.second);
        live.add(item);
      } else if (roll < 0.65) {
        const item = any();
        heap.remove(item);
        live.delete(item);
        expect(item.heapIndex).toBe(-1);
      } else if (roll < 0.8) {
        const item = any();
        item.first = Math.floor(next() * 100);
        heap.set(item, item.first, item.second);
      } else {
        const top = heap.pop()!;
        expect(top).toBe(best(live));
        live.delete(top);
      }
      expect(heap.size).toBe(live.size);
    }
    heap.items.forEach((item, i) => expect([item.heapIndex, heap.firstKey(i), heap.secondKey(i)]).toEqual([i, item.first, item.second]));
  });

  it('ignores removing an item it does not hold', () => {
    const heap = new IndexedHeap<Item>();
    const inside = { first: 1, second: 0, heapIndex: -1 };
    const outside = { first: 0, second: 0, heapIndex: 0 };
    heap.set(inside, 1, 0);
    heap.remove(outside);
    expect(heap.has(outside)).toBe(false);
    expect(heap.pop()).toBe(inside);
    expect(heap.pop()).toBeUndefined();
  });
});
