import { describe, expect, it } from 'vitest';
import { DEFAULT_LINK_CAP, LinkPool } from './linkPool.ts';

describe('LinkPool', () => {
  it('counts on-demand links against the cap, never pinned ones', () => {
    const pool = new LinkPool(2);
    pool.add('coordinator', { pinned: true, now: 0 });
    pool.add('a', { pinned: false, now: 1 });
    expect(pool.full()).toBe(false);
    pool.add('b', { pinned: false, now: 2 });
    expect(pool.full()).toBe(true);
    expect(pool.stats()).toEqual({ cap: 2, onDemand: 2, pinned: 1, maxOnDemand: 2, opened: 2, retired: 0 });
    expect(new LinkPool().cap).toBe(DEFAULT_LINK_CAP);
  });

  it('picks the link idle longest as the victim, skipping busy and pinned ones', () => {
    const pool = new LinkPool(3);
    pool.add('coordinator', { pinned: true, now: 0 });
    pool.add('a', { pinned: false, now: 1 });
    pool.add('b', { pinned: false, now: 2 });
    pool.add('c', { pinned: false, now: 3 });
    pool.touch('a', 10);
    expect(pool.victim(() => false)).toBe('b');
    expect(pool.victim((id) => id === 'b')).toBe('c');
    expect(pool.victim(() => true)).toBeNull();
    pool.retire('b');
    expect(pool.stats()).toMatchObject({ onDemand: 2, retired: 1, maxOnDemand: 3 });
  });

  it('reports how far over the cap a tab went when peers opened links to it', () => {
    const pool = new LinkPool(1);
    pool.add('a', { pinned: false, now: 0 });
    pool.add('b', { pinned: false, now: 1 });
    expect(pool.excess()).toBe(1);
    pool.remove('a');
    expect(pool.excess()).toBe(0);
    expect(pool.stats().maxOnDemand).toBe(2);
  });

  it('keeps a link pinned when it is added again on demand (both sides asked at once)', () => {
    const pool = new LinkPool(1);
    pool.add('c', { pinned: true, now: 0 });
    pool.add('c', { pinned: false, now: 5 });
    expect(pool.isPinned('c')).toBe(true);
    expect(pool.stats().opened).toBe(0);
  });

  it('refuses a cap below one', () => {
    expect(() => new LinkPool(0)).toThrow(RangeError);
  });
});
