import { describe, expect, it } from 'vitest';
import { browserFor, openAll, processLimitArgs, processesFor, readyTimeoutFor } from './spread.ts';

describe('spreading tabs', () => {
  it('waits for readiness in proportion to the number of tabs', () => {
    expect(readyTimeoutFor(0)).toBe(30_000);
    expect(readyTimeoutFor(128)).toBe(94_000);
    expect(readyTimeoutFor(200)).toBeGreaterThan(readyTimeoutFor(100));
  });

  it('deals tabs round robin over the browsers', () => {
    expect([1, 2, 3, 4, 5].map((i) => browserFor(i, 2))).toEqual([0, 1, 0, 1, 0]);
    expect(browserFor(7, 1)).toBe(0);
    expect(browserFor(3, 0)).toBe(0);
  });

  it('opens with bounded concurrency and keeps index order', async () => {
    let inFlight = 0;
    let most = 0;
    const got = await openAll(10, 3, async (i) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, (11 - i) * 2));
      inFlight -= 1;
      return i * 10;
    });
    expect(got).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(most).toBe(3);
    expect(await openAll(0, 3, async (i) => i)).toEqual([]);
  });

  it('gives each browser enough renderer processes for its tabs, a few to a process', () => {
    expect(processesFor(128, 2, 8)).toBe(9);
    expect(processesFor(63, 2, 8)).toBe(5);
    expect(processesFor(3, 1, 8)).toBe(2);
    expect(processesFor(0, 2, 8)).toBe(2);
    expect(processLimitArgs(9)).toEqual(['--renderer-process-limit=9']);
  });
});
