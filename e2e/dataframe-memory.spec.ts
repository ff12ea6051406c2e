/**
 * A partition bigger than a worker's memory is split, not the end of the action (issue 12, build item 6;
 * packages/dataframe/src/split.ts): two worker tabs whose join link caps task memory at 128 MiB (the runtime's
 * guard on a task's ArrayBuffers, and DuckDB-WASM's memory_limit), one shuffle partition, and an aggregate,
 * a join and a sort whose one reduce partition does not fit in it. Each answer is checked row by row against
 * plain JS in the job, and the tabs serve the next job.
 */
import { expect, test } from '@playwright/test';
import { cluster, job } from './helpers.ts';

type Local = Awaited<ReturnType<typeof cluster>>;
let local: Local | undefined;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(240_000);
  local = await cluster({ workers: 2, slotsPerWorker: 1, workerQuery: () => 'taskMemory=128' });
  const warm = await local.runJob(job(`
    const load = cluster.remote(async (i, ctx) => { await ctx.engine(); return ctx.workerId; });
    return cluster.get([load(1), load(2)]);`));
  expect(warm.ok, JSON.stringify(warm)).toBe(true);
});

test.afterAll(async () => {
  await local?.close();
});

const run = async <T>(body: string): Promise<T> => {
  const outcome = await local!.runJob(job(body));
  if (!outcome.ok) throw new Error(`job failed: ${JSON.stringify(outcome.error)}`);
  return (outcome as { result: T }).result;
};

/** The notes of the last action's stages. */
const notesOf = `cluster.dataFrameSession.history.at(-1).detail.flatMap((s) => s.notes)`;

test('an aggregate whose one reduce partition is too big for a 128 MiB worker is split by a second hash of its keys, exactly', async () => {
  test.setTimeout(120_000);
  const out = await run<{ rows: number; wrong: number; notes: string[] }>(`
    const { col, sum, count } = cluster;
    cluster.conf.set('shufflePartitions', 1);
    const n = 2_400_000, K = 2_000_000;
    // k = id % K: keys below n - K have two rows (id = k and k + K), the others one.
    const t = await cluster.range(0, n, 1, { partitions: 4 }).withColumn('k', col('id').mod(K)).groupBy('k').agg(sum('id').alias('s'), count('*').alias('c')).toArrow();
    const [k, s, c] = ['k', 's', 'c'].map((name) => t.getChild(name).toArray());
    const seen = new Uint8Array(K);
    let wrong = 0;
    for (let i = 0; i < t.numRows; i++) {
      const key = Number(k[i]);
      const two = key < n - K;
      if (seen[key] || Number(c[i]) !== (two ? 2 : 1) || Number(s[i]) !== (two ? 2 * key + K : key)) wrong++;
      seen[key] = 1;
    }
    return { rows: t.numRows, wrong, notes: ${notesOf} };`);
  expect(out.wrong).toBe(0);
  expect(out.rows).toBe(2_000_000);
  expect(out.notes.join('\n')).toMatch(/partition 0 split in \d+ after a memory error \(by a second hash of its keys\)/);
});

test('a shuffled join whose one partition is too big is split on both sides by the same second hash, exactly', async () => {
  test.setTimeout(120_000);
  const out = await run<{ rows: number; wrong: number; notes: string[] }>(`
    const { col } = cluster;
    cluster.conf.set('shufflePartitions', 1);
    cluster.conf.set('autoBroadcastJoinThreshold', -1);
    const n = 1_500_000;
    const left = cluster.range(0, n, 1, { partitions: 2 }).withColumn('a', col('id').mod(7));
    const right = cluster.range(0, n, 1, { partitions: 2 }).select(col('id').mul(2).alias('id'), col('id').mod(11).alias('b'));
    const t = await left.join(right, 'id', 'left').toArrow();
    const id = t.getChild('id'), a = t.getChild('a'), b = t.getChild('b');
    const seen = new Uint8Array(n);
    let wrong = 0;
    for (let i = 0; i < t.numRows; i++) {
      const key = Number(id.get(i));
      const expected = key % 2 === 0 ? (key / 2) % 11 : null;
      const got = b.get(i) === null ? null : Number(b.get(i));
      if (seen[key] || Number(a.get(i)) !== key % 7 || got !== expected) wrong++;
      seen[key] = 1;
    }
    return { rows: t.numRows, wrong, notes: ${notesOf} };`);
  expect(out.wrong).toBe(0);
  expect(out.rows).toBe(1_500_000);
  expect(out.notes.join('\n')).toMatch(/split in \d+ after a memory error \(by a second hash of its keys\)/);
});

test("a sort whose one partition is too big is split by sub-ranges of its key, in the sort's order; the tabs serve on", async () => {
  test.setTimeout(120_000);
  const out = await run<{ rows: number; unordered: number; missing: number; notes: string[] }>(`
    const { col } = cluster;
    cluster.conf.set('shufflePartitions', 1);
    const n = 3_000_000;
    // One double key: the sort runs on the Arrow kernels in JS, whose buffers the runtime's 128 MiB guard counts.
    const t = await cluster.range(0, n, 1, { partitions: 4 }).withColumn('x', col('id').mul(7919).mod(1000003).cast('double')).orderBy(col('x').desc()).toArrow();
    const x = t.getChild('x').toArray(), id = t.getChild('id');
    const seen = new Uint8Array(n);
    let unordered = 0;
    for (let i = 1; i < t.numRows; i++) if (x[i - 1] < x[i]) unordered++;
    for (let i = 0; i < t.numRows; i++) {
      const v = Number(id.get(i));
      if (x[i] !== (v * 7919) % 1000003) unordered++;
      seen[v] = 1;
    }
    return { rows: t.numRows, unordered, missing: n - seen.reduce((a, b) => a + b, 0), notes: ${notesOf} };`);
  expect(out.unordered).toBe(0);
  expect(out.missing).toBe(0);
  expect(out.rows).toBe(3_000_000);
  expect(out.notes.join('\n')).toMatch(/split in \d+ after a memory error \(by sub-ranges of its sort key\)/);
  // The tabs are alive: the next job runs on them.
  const next = await run<unknown>(`return cluster.createDataFrame(Array.from({ length: 1000 }, (_, i) => [i, i * 2]), ['id', 'value']).agg({ value: 'avg' }).collect();`);
  expect(next).toEqual([{ 'avg(value)': 999 }]);
  expect(local!.pageErrors).toEqual([]);
});
