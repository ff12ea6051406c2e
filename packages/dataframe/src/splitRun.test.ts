/**
 * Split on retry on the real engine: this file's DuckDB (the Node build, one per test file) gets a small
 * memory_limit, so a partition too big for it fails with DuckDB's "Out of Memory Error" as a 128 MiB worker's
 * would, and the executor must cut it into pieces and still give the exact answer.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNodeDatabase } from '@shoal/engine/node';
import { dataFrameApi } from './api.ts';
import type { QueryRecord } from './session.ts';
import { localCluster } from './testCluster.ts';

// The sort runs first, under 32 MB; the aggregate and the join under 64 MB (a limit can be raised, not always lowered:
// the database keeps the stored blocks that tasks read, Engine.keep).
const LIMIT = '32MB';

const memoryLimit = async (limit: string): Promise<void> => {
  const setup = (await loadNodeDatabase()).session();
  setup.exec(`SET memory_limit='${limit}'`);
  setup.close();
};

beforeAll(() => memoryLimit(LIMIT), 60_000);

const api = () => {
  const records: QueryRecord[] = [];
  const c = dataFrameApi(localCluster(), undefined, { onQuery: (r) => records.push(r) });
  c.conf.set('shufflePartitions', 1);
  // The last record of each query is its final state.
  const notes = () => [...new Map(records.map((r) => [r.id, r])).values()].flatMap((r) => r.stages.flatMap((s) => s.notes));
  return { c, notes };
};

describe('split on retry (a small DuckDB memory_limit)', { timeout: 120_000 }, () => {
  it("a sort whose one partition is too big is cut by sub-ranges of its key, in the sort's order", async () => {
    const { c, notes } = api();
    const n = 1_000_000;
    const x = Float64Array.from({ length: n }, (_, i) => (i * 7919) % 1000);
    const id = Float64Array.from({ length: n }, (_, i) => i);
    // Two keys: the engine sorts it (the kernels take one numeric key).
    const table = await c.createDataFrame({ x, id }, { partitions: 3 }).orderBy(c.col('x').desc(), 'id').toArrow();
    const xs = table.getChild('x')!.toArray() as Float64Array;
    const ids = table.getChild('id')!.toArray() as Float64Array;
    expect(table.numRows).toBe(n);
    let wrong = 0;
    for (let i = 1; i < n; i++) if (xs[i - 1]! < xs[i]! || (xs[i - 1] === xs[i] && ids[i - 1]! >= ids[i]!)) wrong++;
    expect(wrong).toBe(0);
    expect(new Set(ids).size).toBe(n);
    expect(notes().join("\n")).toMatch(/split in \d+ after a memory error \(by sub-ranges of its sort key\)/);
    await memoryLimit('64MB');
  });
  it('a final aggregate whose one partition is too big is cut by a second hash of its keys, exactly', async () => {
    const { c, notes } = api();
    const n = 1_200_000;
    const k = Float64Array.from({ length: n }, (_, i) => (i * 7919) % 1_000_000);
    const v = Float64Array.from({ length: n }, (_, i) => i % 13);
    const table = await c.createDataFrame({ k, v }, { partitions: 4 }).groupBy('k').agg({ v: 'sum', '*': 'count' }).toArrow();
    const sums = new Float64Array(1_000_000);
    const counts = new Float64Array(1_000_000);
    for (let i = 0; i < n; i++) {
      sums[k[i]!]! += v[i]!;
      counts[k[i]!]! += 1;
    }
    expect(table.numRows).toBe(1_000_000);
    const keys = table.getChild('k')!.toArray() as Float64Array;
    const got = table.getChild('sum(v)')!.toArray() as Float64Array;
    const cnt = table.getChild('count(1)')!.toArray() as BigInt64Array;
    let wrong = 0;
    const seen = new Uint8Array(1_000_000);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (seen[key] || got[i] !== sums[key] || Number(cnt[i]) !== counts[key]) wrong++;
      seen[key] = 1;
    }
    expect(wrong).toBe(0);
    expect(notes().join('\n')).toMatch(/partition 0 split in \d+ after a memory error \(by a second hash of its keys\)/);
  });

  it('a shuffled join whose one partition is too big is cut on both sides by the same second hash, exactly', async () => {
    const { c, notes } = api();
    c.conf.set('autoBroadcastJoinThreshold', -1);
    const n = 700_000;
    const left = c.createDataFrame({ k: Float64Array.from({ length: n }, (_, i) => i), a: Float64Array.from({ length: n }, (_, i) => i % 7) }, { partitions: 2 });
    const right = c.createDataFrame({ k: Float64Array.from({ length: n }, (_, i) => 2 * i), b: Float64Array.from({ length: n }, (_, i) => i % 11) }, { partitions: 2 });
    const table = await left.join(right, 'k', 'left').toArrow();
    expect(table.numRows).toBe(n);
    const ks = table.getChild('k')!.toArray() as Float64Array;
    const bs = table.getChild('b')!.toArray() as Float64Array;
    const valid = table.getChild('b')!;
    let wrong = 0;
    for (let i = 0; i < n; i++) {
      const key = ks[i]!;
      const expected = key % 2 === 0 ? (key / 2) % 11 : null;
      if ((expected === null ? valid.get(i) !== null : bs[i] !== expected)) wrong++;
    }
    expect(wrong).toBe(0);
    expect(notes().join('\n')).toMatch(/split in \d+ after a memory error \(by a second hash of its keys\)/);
  });

});
