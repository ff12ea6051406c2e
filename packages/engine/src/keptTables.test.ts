import { describe, expect, it } from 'vitest';
import { KeptTables } from './keptTables.ts';

describe('KeptTables', () => {
  it('admits under the budget and evicts least recently used first', () => {
    const kept = new KeptTables(100);
    const a = kept.admit('a', 40)!;
    const b = kept.admit('b', 40)!;
    expect(a.evict).toEqual([]);
    expect(b.table).not.toBe(a.table);
    kept.hit('a'); // b is now the least recently used
    const c = kept.admit('c', 40)!;
    expect(c.evict.map((e) => e.key)).toEqual(['b']);
    expect(kept.keys()).toEqual(['a', 'c']);
    expect([kept.has('a'), kept.has('b')]).toEqual([true, false]);
    expect(kept.bytes).toBe(80);
  });

  it('never evicts a pinned table, and refuses what cannot fit', () => {
    const kept = new KeptTables(100);
    kept.admit('a', 60);
    kept.pin('a');
    expect(kept.admit('b', 50)).toBeNull();
    expect(kept.admit('huge', 101)).toBeNull();
    kept.unpin('a');
    expect(kept.admit('b', 50)!.evict.map((e) => e.key)).toEqual(['a']);
  });

  it('counts pins, and remove frees the bytes', () => {
    const kept = new KeptTables(100);
    kept.admit('a', 60);
    kept.pin('a');
    kept.pin('a');
    kept.unpin('a');
    expect(kept.admit('b', 50)).toBeNull();
    kept.remove('a');
    expect(kept.bytes).toBe(0);
    expect(kept.hit('a')).toBeUndefined();
    expect(() => kept.admit('b', 10) && kept.admit('b', 10)).toThrow(/already held/);
  });
});
