import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { dataFrameApi } from './api.ts';
import { sortChunks } from './compileStage.ts';
import { localCluster, type LocalCluster } from './testCluster.ts';

const MiB = 2 ** 20;

describe('sortChunks: how many blocks a sort task writes its rows as', () => {
  for (const [inputs, minBytes, want, why] of [
    [[8 * MiB, 8 * MiB, 8 * MiB, 8 * MiB], 4 * MiB, 4, 'one per input block, each about an input'],
    [[3 * MiB, 3 * MiB, 3 * MiB], 4 * MiB, 2, 'none under the minimum'],
    [[1 * MiB, 1 * MiB], 4 * MiB, 1, 'a small partition stays one block'],
    [[], 4 * MiB, 1, 'no inputs: one (empty) block'],
    [Array(40).fill(8 * MiB), 4 * MiB, 16, 'at most 16'],
    [[100, 100, 100], 1, 3, 'a minimum of 1 byte: one per input'],
  ] as const) {
    it(`${JSON.stringify(inputs.length > 5 ? `${inputs.length} inputs` : inputs)} at ${minBytes} → ${want}: ${why}`, () => {
      expect(sortChunks(inputs, minBytes)).toBe(want);
    });
  }
});

/** The cluster, with every sort-stage task's returns checked against its numReturns, and those counts kept. */
function checkedCluster(): { cluster: LocalCluster; sortReturns: number[] } {
  const base = localCluster();
  const sortReturns: number[] = [];
  const cluster: LocalCluster = {
    ...base,
    remote(fn, options = {}) {
      const name = String(options['name']);
      const numReturns = (options['numReturns'] as number | undefined) ?? 1;
      if (!name.endsWith(': sort')) return base.remote(fn, options);
      return base.remote(async (...args: unknown[]) => {
        const out = (await (fn as (...a: unknown[]) => Promise<unknown>)(...args)) as unknown[];
        // As a worker would refuse it: a task must return exactly numReturns values.
        if (!Array.isArray(out) || out.length !== numReturns) throw new Error(`returned ${Array.isArray(out) ? out.length : typeof out} values, not ${numReturns}`);
        sortReturns.push(numReturns);
        return out;
      }, options);
    },
  };
  return { cluster, sortReturns };
}

describe('a sort written in chunks (conf sortChunkBytes)', { timeout: 60_000 }, () => {
  const rows = Array.from({ length: 6000 }, (_, i) => ({ k: ((i * 7919) % 6007) / 7 - 300, v: i }));
  const want = [...rows].sort((a, b) => a.k - b.k);

  it('keeps one order across the chunks of each partition, in collect, take and a limit after the cache', async () => {
    const { cluster, sortReturns } = checkedCluster();
    const c = dataFrameApi(cluster, undefined);
    c.conf.set('sortChunkBytes', 1);
    const sorted = c.createDataFrame(rows, undefined, { partitions: 3 }).cache().orderBy('k').cache();
    const got = await sorted.collect();
    // Each sort task wrote several blocks (one per input block, plus its stats), and the rows still read in order.
    expect(sortReturns.length).toBeGreaterThan(0);
    expect(sortReturns.every((n) => n > 2)).toBe(true);
    expect(got.map((r) => r['v'])).toEqual(want.map((r) => r.v));
    expect((await sorted.take(4)).map((r) => r['v'])).toEqual(want.slice(0, 4).map((r) => r.v));
    expect((await sorted.limit(2500).collect()).map((r) => r['v'])).toEqual(want.slice(0, 2500).map((r) => r.v));
    expect(await sorted.count()).toBe(6000);
  });

  it('at the default (4 MiB) a small sort stays one block per task', async () => {
    const { cluster, sortReturns } = checkedCluster();
    const c = dataFrameApi(cluster, undefined);
    const got = await c.createDataFrame(rows, undefined, { partitions: 3 }).cache().orderBy('k').collect();
    expect(sortReturns.length).toBeGreaterThan(0);
    expect(sortReturns.every((n) => n === 2)).toBe(true);
    expect(got.map((r) => r['v'])).toEqual(want.map((r) => r.v));
  });

  it('pads the engine fallback (blocks the kernels do not take) with empty blocks to the same count, rows in order', async () => {
    const { cluster, sortReturns } = checkedCluster();
    const c = dataFrameApi(cluster, undefined);
    c.conf.set('sortChunkBytes', 1);
    // A list column: the kernels leave such blocks to the engine (arrowKernels.ts: flat columns only).
    const table = new arrow.Table({
      k: arrow.vectorFromArray(rows.map((r) => r.k), new arrow.Float64()),
      v: arrow.vectorFromArray(rows.map((r) => r.v), new arrow.Int32()),
      s: arrow.vectorFromArray(rows.map((r) => [r.v % 7, 1]), new arrow.List(new arrow.Field('item', new arrow.Int32(), true))),
    });
    const got = await c.createDataFrame(table, undefined, { partitions: 3 }).orderBy('k').collect();
    expect(sortReturns.length).toBeGreaterThan(0);
    expect(sortReturns.every((n) => n > 2)).toBe(true);
    expect(got.map((r) => r['v'])).toEqual(want.map((r) => r.v));
    expect(got.map((r) => Array.from(r['s'] as Iterable<number>))).toEqual(want.map((r) => [r.v % 7, 1]));
  });
});
