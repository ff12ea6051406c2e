import { describe, expect, it } from 'vitest';
import { describeShape, runShape, type RunShapeFlags } from './runShape.ts';

const plain: RunShapeFlags = { chaos: false, verbose: false };

describe('runShape: the layout of shoal run’s worker tabs', () => {
  for (const [workers, flags, want, why] of [
    [2, plain, {}, 'a few tabs: the launcher’s defaults'],
    [15, plain, {}, 'still few'],
    [16, plain, { tabsPerProcess: 8, detachedWorkers: true, ui: 'ui=0', coordinatorQuery: 'ui=0' }, 'many: shared processes, nothing attached, nothing drawn'],
    [64, plain, { browsers: 2, tabsPerProcess: 8, detachedWorkers: true, ui: 'ui=0', coordinatorQuery: 'ui=0' }, 'from 32: two browsers'],
    [64, { ...plain, browsers: 3, tabsPerProcess: 4 }, { browsers: 3, tabsPerProcess: 4, detachedWorkers: true, ui: 'ui=0', coordinatorQuery: 'ui=0' }, 'flags win'],
    [2, { ...plain, browsers: 2, tabsPerProcess: 2 }, { browsers: 2, tabsPerProcess: 2 }, 'flags on a small run'],
    [64, { ...plain, chaos: true }, { browsers: 2, tabsPerProcess: 8, coordinatorQuery: 'ui=0' }, '--chaos closes tabs through Playwright: attached'],
    [64, { ...plain, verbose: true }, { browsers: 2, tabsPerProcess: 8, coordinatorQuery: 'ui=0' }, "--verbose prints the tabs' consoles: attached"],
  ] as const) {
    it(`${workers} tabs ${JSON.stringify(flags)}: ${why}`, () => {
      const shape = runShape(workers, flags);
      const { workerQuery, ...rest } = shape;
      expect({ ...rest, ...(workerQuery ? { ui: workerQuery(1) } : {}) }).toEqual(want);
    });
  }
});

describe('describeShape', () => {
  it('says the layout in words, nothing for the defaults', () => {
    expect(describeShape(runShape(2, plain))).toBe('');
    expect(describeShape(runShape(64, plain))).toBe(' (2 browsers, 8 to a renderer process, nothing attached)');
    expect(describeShape(runShape(16, { ...plain, chaos: true }))).toBe(' (8 to a renderer process)');
  });
});
