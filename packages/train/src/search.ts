/**
 * Search spaces (Ray Tune's): `grid([...])` is tried in full (every
 * combination of the grid parameters, `numSamples` times over), the others
 * are drawn for each trial from a seeded generator, so a run is repeatable.
 */
import { seededRandom } from '@shoal/protocol';

/** The seeded generator search spaces sample with (mulberry32). */
export { seededRandom };

export type Domain =
  | { $shoalSearch: 'grid'; values: unknown[] }
  | { $shoalSearch: 'choice'; values: unknown[] }
  | { $shoalSearch: 'uniform'; low: number; high: number }
  | { $shoalSearch: 'loguniform'; low: number; high: number }
  | { $shoalSearch: 'randint'; low: number; high: number };

export const grid = (values: unknown[]): Domain => ({ $shoalSearch: 'grid', values: [...values] });
export const choice = (values: unknown[]): Domain => ({ $shoalSearch: 'choice', values: [...values] });
export const uniform = (low: number, high: number): Domain => ({ $shoalSearch: 'uniform', low, high });
export const loguniform = (low: number, high: number): Domain => {
  if (!(low > 0 && high > low)) throw new RangeError(`loguniform needs 0 < low < high, got ${low}, ${high}`);
  return { $shoalSearch: 'loguniform', low, high };
};
/** Whole numbers in [low, high). */
export const randint = (low: number, high: number): Domain => ({ $shoalSearch: 'randint', low, high });

function isDomain(value: unknown): value is Domain {
  return typeof value === 'object' && value !== null && typeof (value as Domain).$shoalSearch === 'string';
}

function sample(domain: Domain, random: () => number): unknown {
  switch (domain.$shoalSearch) {
    case 'choice':
      return domain.values[Math.floor(random() * domain.values.length)];
    case 'uniform':
      return domain.low + random() * (domain.high - domain.low);
    case 'loguniform':
      return Math.exp(Math.log(domain.low) + random() * (Math.log(domain.high) - Math.log(domain.low)));
    case 'randint':
      return domain.low + Math.floor(random() * (domain.high - domain.low));
    case 'grid':
      throw new Error('grid values are expanded, not sampled');
  }
}

/** Every trial's config: the grid's combinations (first key slowest), each `numSamples` times, with the other domains drawn. */
export function expandSpace(space: Record<string, unknown>, numSamples = 1, seed = 1): Record<string, unknown>[] {
  const keys = Object.keys(space);
  const gridKeys = keys.filter((k) => isDomain(space[k]) && (space[k] as Domain).$shoalSearch === 'grid');
  let combos: Record<string, unknown>[] = [{}];
  for (const key of gridKeys) combos = combos.flatMap((combo) => (space[key] as { values: unknown[] }).values.map((value) => ({ ...combo, [key]: value })));
  const random = seededRandom(seed);
  const configs: Record<string, unknown>[] = [];
  for (let s = 0; s < numSamples; s++) {
    for (const combo of combos) {
      const config: Record<string, unknown> = {};
      for (const key of keys) {
        const value = space[key];
        config[key] = key in combo ? combo[key] : isDomain(value) ? sample(value, random) : value;
      }
      configs.push(config);
    }
  }
  return configs;
}
