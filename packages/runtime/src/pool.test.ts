import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPool, type PoolHost } from './pool.ts';

/** A stand-in for the browser's Worker that only counts how many were started. */
class CountingWorker {
  static started = 0;
  constructor() {
    CountingWorker.started += 1;
  }
  postMessage(): void {}
  addEventListener(): void {}
  removeEventListener(): void {}
  terminate(): void {}
}

const host = {} as PoolHost;
const realWorker = (globalThis as { Worker?: unknown }).Worker;

afterEach(() => {
  (globalThis as { Worker?: unknown }).Worker = realWorker;
  CountingWorker.started = 0;
});

describe('WorkerPool start-up', () => {
  it('starts no Web Worker until work comes, and one on warm()', () => {
    (globalThis as { Worker?: unknown }).Worker = CountingWorker;
    const pool = new WorkerPool(2, 'w', host);
    expect(CountingWorker.started).toBe(0); // a tab that joins and idles costs no isolate
    pool.warm();
    expect(CountingWorker.started).toBe(1);
    pool.warm(); // already has one
    expect(CountingWorker.started).toBe(1);
    pool.terminate();
    pool.warm(); // closed: nothing starts
    expect(CountingWorker.started).toBe(1);
  });
});
