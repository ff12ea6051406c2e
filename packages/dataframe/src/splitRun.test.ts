/**
 * Split on retry on the real engine: this file's DuckDB (the Node build, one per test file) gets a small
 * memory_limit, so a partition too big for it fails with DuckDB's "Out of Memory Error" as a 128 MiB worker's
 * would, and the executor must cut it into pieces and still give the exact answer.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNodeDatabase } from '@shoal/engine/node';
import { dataFrameApi } from './api.ts';
import type { QueryRecord } from './session.ts';
import type { DataFrame } from './dataframe.ts';
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
    // Two keys: the engine sorts it (the kernels take one numeric key, and in Node nothing caps their memory).
    const x = c.col('id').mul(7919).mod(1000).cast('double').alias('x');
    const table = await c.range(0, n, 1, { partitions: 3 }).select(c.col('id'), x).orderBy(c.col('x').desc(), 'id').toArrow();
    const xs = table.getChild('x')!.toArray() as Float64Array;
    const ids = table.getChild('id')!.toArray() as BigInt64Array;
    expect(table.numRows).toBe(n);
    let wrong = 0;
    const seen = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const id = Number(ids[i]);
      if (seen[id] || xs[i] !== (id * 7919) % 1000 || (i > 0 && (xs[i - 1]! < xs[i]! || (xs[i - 1] === xs[i] && ids[i - 1]! >= ids[i]!)))) wrong++;
      seen[id] = 1;
    }
    expect(wrong).toBe(0);
    expect(notes().join('\n')).toMatch(/split in \d+ after a memory error \(by sub-ranges of its sort key\)/);
    await memoryLimit('64MB');
  });

  it('a final aggregate whose one partition is too big is cut by a second hash of its keys, exactly', async () => {
    const { c, notes } = api();
    // k = id % K: keys below n - K have two rows (id = k and k + K), the others one.
    const [n, K] = [1_200_000, 1_000_000];
    const table = await c.range(0, n, 1, { partitions: 4 }).withColumn('k', c.col('id').mod(K)).groupBy('k').agg(c.sum('id').alias('s'), c.count('*').alias('c')).toArrow();
    expect(table.numRows).toBe(K);
    const [k, s, cnt] = ['k', 's', 'c'].map((name) => table.getChild(name)!);
    let wrong = 0;
    const seen = new Uint8Array(K);
    for (let i = 0; i < K; i++) {
      const key = Number(k!.get(i));
      const two = key < n - K;
      if (seen[key] || Number(cnt!.get(i)) !== (two ? 2 : 1) || Number(s!.get(i)) !== (two ? 2 * key + K : key)) wrong++;
      seen[key] = 1;
    }
    expect(wrong).toBe(0);
    expect(notes().join('\n')).toMatch(/partition 0 split in \d+ after a memory error \(by a second hash of its keys\)/);
  });

  it('a shuffled join whose one partition is too big is cut on both sides by the same second hash, exactly', async () => {
    const { c, notes } = api();
    c.conf.set('autoBroadcastJoinThreshold', -1);
    const n = 700_000;
    const left = c.range(0, n, 1, { partitions: 2 }).withColumn('a', c.col('id').mod(7));
    const right = c.range(0, n, 1, { partitions: 2 }).select(c.col('id').mul(2).alias('id'), c.col('id').mod(11).alias('b'));
    const table = await left.join(right, 'id', 'left').toArrow();
    expect(table.numRows).toBe(n);
    const [id, a, b] = ['id', 'a', 'b'].map((name) => table.getChild(name)!);
    let wrong = 0;
    const seen = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const key = Number(id!.get(i));
      const expected = key % 2 === 0 ? (key / 2) % 11 : null;
      const got = b!.get(i) === null ? null : Number(b!.get(i));
      if (seen[key] || Number(a!.get(i)) !== key % 7 || got !== expected) wrong++;
      seen[key] = 1;
    }
    expect(wrong).toBe(0);
    expect(notes().join('\n')).toMatch(/split in \d+ after a memory error \(by a second hash of its keys\)/);
  });

  it('a partition that cannot be cut (mapPartitions runs user code over all of it) fails with ERR_TASK_MEMORY naming stage and partition', async () => {
    const { c } = api();
    const fail = (t: { numRows: number }) => {
      if (t.numRows > 0) throw new RangeError('Array buffer allocation failed');
      return t as never;
    };
    const error = await c.range(0, 10, 1, { partitions: 1 }).mapPartitions(fail).collect().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_TASK_MEMORY', message: expect.stringMatching(/^partition 0 of stage \d+ "mapPartitions" ran out of memory and was not cut further: a mapPartitions stage runs user code over the whole partition/) });
  });

  it('a scan of one stored block that runs out of memory is cut into runs of its rows, in order', async () => {
    // The scan task (not a re-cut, which writes split parts, nor a piece, which reads plain bytes) fails.
    const scan = (args: readonly unknown[]) => {
      const spec = args[0] as { tables: { name: string; keys?: string[] }[]; out: { kind: string } };
      return spec.out.kind === 'single' && spec.tables.some((t) => t.name === 'src' && t.keys);
    };
    const c = dataFrameApi(localCluster(2, { memoryError: scan }), undefined);
    const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i, v: (i * 31) % 97 }));
    const out = await c.createDataFrame(rows, undefined, { partitions: 1 }).filter(c.col('v').lt(50)).collect();
    expect(out).toEqual(rows.filter((r) => r.v < 50));
    expect(c.dataFrameSession.history.at(-1)!.detail[0]!.notes.join('\n')).toMatch(/partition 0 split in 2 after a memory error \(by runs of its rows\)/);
  });

  it("a round-robin repartition's reader that runs out of memory is cut into runs of whole blocks (again while over two)", async () => {
    const reader = (args: readonly unknown[]) => {
      const spec = args[0] as { tables: { name: string; count: number }[]; out: { kind: string } };
      return spec.out.kind === 'single' && spec.tables.some((t) => t.name === 's0' && t.count > 2);
    };
    const c = dataFrameApi(localCluster(2, { memoryError: reader }), undefined);
    const rows = Array.from({ length: 4000 }, (_, i) => ({ id: i, v: (i * 31) % 97 }));
    const out = await c.createDataFrame(rows, undefined, { partitions: 8 }).repartition(1).filter(c.col('v').lt(50)).collect();
    expect(out.sort((a, b) => (a['id'] as number) - (b['id'] as number))).toEqual(rows.filter((r) => r.v < 50));
    expect(c.dataFrameSession.history.at(-1)!.detail[1]!.notes.join('\n')).toMatch(/partition 0 split in 4 after a memory error \(by runs of its blocks\)/);
  });
});

describe('split on retry gives what the unsplit run gives (every reduce task fails once, injected)', { timeout: 120_000 }, () => {
  type Api = ReturnType<typeof dataFrameApi>;
  const rows = Array.from({ length: 3000 }, (_, i) => ({ id: i, g: ['a', 'b', 'c', null][i % 4], t: i % 10 === 0 ? null : `t${(i * 37) % 1000}`, k: (i * 7919) % 500, v: (i * 31) % 97 }));
  const others = Array.from({ length: 800 }, (_, i) => ({ k: i, w: i % 13 }));
  const cases: [string, boolean, (c: Api) => DataFrame][] = [
    ['groupBy on two keys', false, (c) => c.createDataFrame(rows, { partitions: 3 }).groupBy('g', 'k').agg(c.sum('v').alias('s'), c.count('*').alias('n'))],
    ['distinct', false, (c) => c.createDataFrame(rows, { partitions: 3 }).select('g', 'k').distinct()],
    ['a window partitioned by a key', false, (c) => c.createDataFrame(rows, { partitions: 3 }).withColumn('rn', c.rowNumber().over({ partitionBy: ['k'], orderBy: ['id'] }))],
    ['a full shuffled join', false, (c) => c.createDataFrame(rows, { partitions: 3 }).join(c.createDataFrame(others, { partitions: 2 }), 'k', 'full')],
    ['a sort by a string, descending, nulls last (one task: the range exchange skipped)', true, (c) => c.createDataFrame(rows, { partitions: 3 }).orderBy(c.col('g').desc(), 'id')],
    ['a sort by a number over range parts, descending (on the kernels)', true, (c) => (c.conf.set('advisoryPartitionBytes', 1), c.createDataFrame(rows, { partitions: 3 }).orderBy(c.col('k').desc()).select('k'))],
    ['a sort by a string over range parts, nulls first', true, (c) => (c.conf.set('advisoryPartitionBytes', 1), c.createDataFrame(rows, { partitions: 3 }).orderBy(c.col('t').asc(), 'id'))],
  ];
  it.each(cases)('%s', async (_, ordered, query) => {
    const failed = new Set<string>();
    // The first run of each reduce task fails (not a re-cut: `SELECT *` split in parts); a piece whose spec is its partition's passes.
    const reduce = (args: readonly unknown[]) => {
      const spec = args[0] as { tables: { name: string; count: number }[]; sql: string };
      const key = JSON.stringify(spec);
      if (!spec.tables.some((t) => /^s\d+$/.test(t.name) && t.count > 0) || /^SELECT \* FROM "[^"]+"$/.test(spec.sql) || failed.has(key)) return false;
      failed.add(key);
      return true;
    };
    const plain = dataFrameApi(localCluster(2), undefined);
    const split = dataFrameApi(localCluster(2, { memoryError: reduce }), undefined);
    for (const c of [plain, split]) {
      c.conf.set('shufflePartitions', 2);
      c.conf.set('autoBroadcastJoinThreshold', -1);
    }
    const canon = (out: Record<string, unknown>[]) => (ordered ? out : out.map((r) => JSON.stringify(r)).sort());
    const expected = canon(await query(plain).collect());
    expect(canon(await query(split).collect())).toEqual(expected);
    expect(split.dataFrameSession.history.at(-1)!.detail.flatMap((d) => d.notes).join('\n')).toMatch(/split in \d+ after a memory error/);
  });
});
