import { describe, expect, it } from 'vitest';
import { choice, expandSpace, grid, loguniform, randint, uniform } from './search.ts';

describe('search spaces', () => {
  it('grid expands to every combination, numSamples times, first key slowest', () => {
    const configs = expandSpace({ lr: grid([0.1, 0.01]), hidden: grid([8, 16]), epochs: 5 }, 2);
    expect(configs).toHaveLength(8);
    expect(configs.slice(0, 4)).toEqual([
      { lr: 0.1, hidden: 8, epochs: 5 },
      { lr: 0.1, hidden: 16, epochs: 5 },
      { lr: 0.01, hidden: 8, epochs: 5 },
      { lr: 0.01, hidden: 16, epochs: 5 },
    ]);
  });

  it('draws the other domains within their bounds, repeatably for a seed', () => {
    const space = { a: uniform(2, 3), b: loguniform(1e-4, 1e-1), c: randint(5, 8), d: choice(['x', 'y']) };
    const configs = expandSpace(space, 50, 7);
    expect(configs).toHaveLength(50);
    for (const c of configs) {
      expect(c['a']).toBeGreaterThanOrEqual(2);
      expect(c['a']).toBeLessThan(3);
      expect(c['b']).toBeGreaterThanOrEqual(1e-4);
      expect(c['b']).toBeLessThan(1e-1);
      expect([5, 6, 7]).toContain(c['c']);
      expect(['x', 'y']).toContain(c['d']);
    }
    expect(expandSpace(space, 50, 7)).toEqual(configs);
    expect(expandSpace(space, 50, 8)).not.toEqual(configs);
    expect(new Set(configs.map((c) => c['c'])).size).toBe(3);
  });

  it('loguniform refuses bounds that are not 0 < low < high', () => {
    expect(() => loguniform(0, 1)).toThrow(RangeError);
  });
});
