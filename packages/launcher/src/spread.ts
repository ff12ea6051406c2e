/**
 * How a local cluster or `shoal worker` spreads many tabs: over several
 * browser processes (so tabs talk WebRTC between processes, as between
 * machines, and not only through the co-located path), a few page loads at a
 * time (a join storm of hundreds of tabs must not starve each load past its
 * timeout), and how long to wait for them (in proportion to how many).
 */

/** The time any number of tabs gets to become ready, plus `READY_MS_PER_TAB` for each. */
export const READY_BASE_MS = 30_000;
/** Each tab costs about 0.3 s of a 2-core machine to load and join; this leaves room for twice that. */
export const READY_MS_PER_TAB = 500;
/** Page loads in flight at once when opening many tabs. */
export const OPEN_CONCURRENCY = 8;

/** How long `tabs` tabs get to become ready: 30 s, plus 0.5 s per tab. */
export function readyTimeoutFor(tabs: number): number {
  return READY_BASE_MS + READY_MS_PER_TAB * Math.max(0, tabs);
}

/** Which browser (0-based) tab `index` (1-based) opens in: round robin over `browsers`. */
export function browserFor(index: number, browsers: number): number {
  return (index - 1) % Math.max(1, browsers);
}

/** Runs `open(1) … open(count)` with at most `concurrency` in flight; resolves in index order. */
export async function openAll<T>(count: number, concurrency: number, open: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 1;
  const lane = async (): Promise<void> => {
    while (next <= count) {
      const index = next++;
      results[index - 1] = await open(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), count) }, lane));
  return results;
}

/**
 * Renderer processes a browser needs for its share of `tabs` worker tabs dealt
 * over `browsers`, `perProcess` tabs to a process, plus one for the
 * coordinator (in the first browser) or the spare Chromium keeps.
 */
export function processesFor(tabs: number, browsers: number, perProcess: number): number {
  const mine = Math.ceil(Math.max(0, tabs) / Math.max(1, browsers));
  return Math.max(1, Math.ceil(mine / Math.max(1, perProcess))) + 1;
}

/**
 * Chromium flags that make a browser's same-site tabs share at most
 * `processes` renderer processes (a soft limit: once it has that many,
 * Chromium puts a new tab in a random process of the same site and browser
 * context). A tab then costs about half the CPU to open
 * (bench/scale/raw-tabs.ts), and the tabs of one process share its main thread.
 */
export function processLimitArgs(processes: number): string[] {
  return [`--renderer-process-limit=${Math.max(1, Math.floor(processes))}`];
}
