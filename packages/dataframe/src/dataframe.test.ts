import { describe, expect, it } from 'vitest';
import { dataFrameApi } from './api.ts';
import { localCluster } from './testCluster.ts';
import type { QueryRecord } from './session.ts';

describe('DataFrame on the in-process cluster', { timeout: 120_000 }, () => {
  it("runs the Spark seed: createDataFrame + agg({value: 'avg'})", async () => {
    const c = dataFrameApi(localCluster(), undefined);
    const rows = Array.from({ length: 1000 }, (_, i) => [i, i * 2]);
    const out = await c.createDataFrame(rows, ['id', 'value']).agg({ value: 'avg' }).collect();
    expect(out).toEqual([{ 'avg(value)': 999 }]);
  });

  it('reads a cached DataFrame from the engine\'s kept tables after its first use, with the same answers', async () => {
    const records: QueryRecord[] = [];
    const c = dataFrameApi(localCluster(), undefined, { onQuery: (record) => records.push(record) });
    const rows = Array.from({ length: 3000 }, (_, i) => ({ k: i % 5, v: i }));
    const df = c.createDataFrame(rows, undefined, { partitions: 3 }).cache();
    expect(await df.count()).toBe(3000);
    const sums = async () => (await df.groupBy('k').agg({ v: 'sum' }).orderBy('k').collect()).map((r) => r['sum(v)']);
    const first = await sums();
    const second = await sums();
    expect(second).toEqual(first);
    expect(first).toEqual([0, 1, 2, 3, 4].map((k) => rows.filter((r) => r.k === k).reduce((a, r) => a + r.v, 0)));
    const last = records[records.length - 1]!;
    // Every partition of the scan came from a kept table, none from its bytes.
    expect(last.stages[0]!.keptBlocks).toBe(3);
  });

  it('spreads a hot sort key over several partitions, by the kernels (a number) and by the engine (a string), in order', async () => {
    const c = dataFrameApi(localCluster(), undefined);
    c.conf.set('advisoryPartitionBytes', 1);
    c.conf.set('shufflePartitions', 6);
    // 60% of the rows share one key.
    const rows = Array.from({ length: 6000 }, (_, i) => ({ x: i % 5 < 3 ? 50 : (i * 7919) % 100, s: i % 5 < 3 ? 'm' : String.fromCharCode(97 + ((i * 31) % 26)), id: i }));
    const counts = (t: { numRows: number }, ctx: unknown) => (ctx as { arrow: { tableFromArrays(c: object): unknown } }).arrow.tableFromArrays({ n: Float64Array.of(t.numRows) }) as never;
    for (const key of ['x', 's'] as const) {
      const frame = c.createDataFrame(rows, undefined, { partitions: 3 }).orderBy(key);
      const sizes = (await frame.mapPartitions(counts, { n: 'double' }).collect()).map((r) => r['n'] as number);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(6000);
      expect(Math.max(...sizes), `${key}: ${sizes.join(', ')}`).toBeLessThan(0.5 * 6000);
      const got = (await frame.collect()).map((r) => r[key]);
      expect(got).toEqual(rows.map((r) => r[key]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    }
  });

  it('sorts a cached frame by a number in JS on its Arrow bytes, and counts the sorted cache from its stored row count', async () => {
    const records: QueryRecord[] = [];
    const c = dataFrameApi(localCluster(), undefined, { onQuery: (record) => records.push(record) });
    const rows = Array.from({ length: 2000 }, (_, i) => ({ k: (i * 7919) % 2000, v: i }));
    const sorted = c.createDataFrame(rows, undefined, { partitions: 3 }).cache().orderBy('k').cache();
    expect(await sorted.count()).toBe(2000);
    const sort = records.filter((r) => r.action === 'cache' && r.stages.length === 3).pop()!;
    // The sample is drawn by the engines that keep the cached blocks; the range split and the sort run every task on the kernels.
    expect(sort.stages.map((s) => s.notes.some((n) => n.startsWith('rows sorted or cut in JS') && n.endsWith(`in ${s.tasks} of ${s.tasks} tasks`)))).toEqual([false, true, true]);
    expect(sort.stages[0]!.keptBlocks).toBe(3);
    const count = records[records.length - 1]!;
    expect(count.action).toBe('count');
    expect(count.explain).toContain('countFromMetadata');
    expect(count.stages.reduce((n, s) => n + s.bytesIn, 0)).toBe(0);
    expect((await sorted.take(3)).map((r) => r['k'])).toEqual([0, 1, 2]);
    // The first rows of the sorted cache are cut in JS too (a limit over rows as they are).
    expect(records[records.length - 1]!.stages[0]!.notes.some((n) => n.startsWith('rows sorted or cut in JS'))).toBe(true);
    expect((await sorted.collect()).map((r) => r['k'])).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });

  it('does a partial aggregate row by row where keys are mostly distinct, with the same answers as grouping', async () => {
    const records: QueryRecord[] = [];
    const c = dataFrameApi(localCluster(), undefined, { onQuery: (record) => records.push(record) });
    const rows = Array.from({ length: 30000 }, (_, i) => ({ k: i % 29000, g: i % 3, v: i % 7 === 0 ? null : i * 0.5, s: `s${i % 11}` }));
    const df = c.createDataFrame(rows, undefined, { partitions: 2 });
    const aggs = [c.functions.sum('v').alias('sv'), c.functions.avg('v').alias('av'), c.functions.count('v').alias('cv'), c.functions.count('*').alias('n'), c.functions.min('s').alias('lo'), c.functions.max('v').alias('hi')];
    const byKey = await df.groupBy('k').agg(...aggs).orderBy('k').collect();
    const notes = records[records.length - 1]!.stages.flatMap((s) => s.notes);
    expect(notes.some((n) => /partial aggregation done row by row in \d+ of \d+ tasks/.test(n))).toBe(true);
    expect(byKey.length).toBe(29000);
    for (const k of [0, 1, 7, 999, 1000, 28999]) {
      const group = rows.filter((r) => r.k === k);
      const vs = group.map((r) => r.v).filter((v): v is number => v !== null);
      expect(byKey[k]).toEqual({ k, sv: vs.length ? vs.reduce((a, b) => a + b, 0) : null, av: vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : null, cv: vs.length, n: group.length, lo: group.map((r) => r.s).sort()[0], hi: vs.length ? Math.max(...vs) : null });
    }
    // Three keys in 30000 rows: grouped first, as usual.
    const byG = await df.groupBy('g').agg(...aggs).orderBy('g').collect();
    expect(records[records.length - 1]!.stages.flatMap((s) => s.notes).some((n) => n.includes('row by row'))).toBe(false);
    expect(byG.map((r) => r['n'])).toEqual([10000, 10000, 10000]);
  });

  it('merges stddev, variance and corr from per-partition moments, and median from per-partition lists, agreeing with a two-pass reference', async () => {
    const records: QueryRecord[] = [];
    const c = dataFrameApi(localCluster(), undefined, { onQuery: (record) => records.push(record) });
    // Group 0: spread around a big mean; 1: constant x; 2: one row; 3: nulls on either side; 4: only nulls in x; 5+: mostly distinct keys.
    const rows = Array.from({ length: 6000 }, (_, i) => {
      const g = i < 5000 ? i % 5 : 5 + (i % 900);
      const x = g === 1 ? 7.25 : g === 4 || (g === 3 && i % 4 === 0) ? null : g === 0 ? 1e6 + ((i * 7919) % 1000) / 8 : ((i * 104729) % 2001) / 3;
      const y = g === 3 && i % 6 === 1 ? null : ((i * 31) % 97) - 48 + (x ?? 0) / 10;
      return { g, x, y };
    }).filter((r, i) => r.g !== 2 || i === 2);
    const df = c.createDataFrame(rows, undefined, { partitions: 3 });
    const out = await df.groupBy('g').agg(c.functions.stddev('x').alias('sd'), c.functions.variance('x').alias('var'), c.functions.corr('x', 'y').alias('r'), c.functions.count('x').alias('n'), c.functions.median('x').alias('med')).orderBy('g').collect();
    expect(records[records.length - 1]!.stages[0]!.name).toContain('partial agg');
    const moments = (xs: number[]) => {
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      return xs.reduce((a, v) => a + (v - mean) ** 2, 0);
    };
    const median = (xs: number[]): number | null => {
      if (xs.length === 0) return null;
      const s = [...xs].sort((a, b) => a - b);
      return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
    };
    const close = (got: unknown, want: number | null) => {
      if (want === null) expect(got).toBeNull();
      else expect(Math.abs((got as number) - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
    };
    expect(out.length).toBe(905);
    for (const row of out) {
      const group = rows.filter((r) => r.g === row['g']);
      const xs = group.map((r) => r.x).filter((v): v is number => v !== null);
      const pairs = group.filter((r) => r.x !== null && r.y !== null) as { x: number; y: number }[];
      const m = moments(xs);
      close(row['var'], xs.length > 1 ? m / (xs.length - 1) : null);
      close(row['sd'], xs.length > 1 ? Math.sqrt(m / (xs.length - 1)) : null);
      const [px, py] = [pairs.map((p) => p.x), pairs.map((p) => p.y)];
      const [mx, my] = [px.reduce((a, b) => a + b, 0) / px.length, py.reduce((a, b) => a + b, 0) / py.length];
      const cxy = pairs.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
      const [cxx, cyy] = [moments(px), moments(py)];
      close(row['r'], pairs.length > 1 && cxx > 0 && cyy > 0 ? cxy / Math.sqrt(cxx * cyy) : null);
      expect(row['n']).toBe(xs.length);
      close(row['med'], median(xs));
    }
    // A constant group has no spread: exactly 0, not rounding noise; corr over it is NULL, as DuckDB's.
    expect(out[1]).toMatchObject({ g: 1, sd: 0, var: 0, r: null });
    // Mostly distinct keys: the partial moments are made row by row, with the same answers.
    const keyed = rows.map((r, i) => ({ ...r, u: i % 2950 }));
    const byU = await c.createDataFrame(keyed, undefined, { partitions: 2 }).groupBy('u').agg(c.functions.stddev('x').alias('sd'), c.functions.corr('x', 'y').alias('r'), c.functions.median('x').alias('med')).orderBy('u').collect();
    expect(records[records.length - 1]!.stages.flatMap((st) => st.notes).some((note) => note.includes('row by row'))).toBe(true);
    for (const u of [0, 1, 17, 2949]) {
      const group = keyed.filter((r) => r.u === u && r.x !== null);
      const xs = group.map((r) => r.x as number);
      close(byU[u]!['sd'], xs.length > 1 ? Math.sqrt(moments(xs) / (xs.length - 1)) : null);
      close(byU[u]!['med'], median(xs));
      const pairs = group.filter((r) => r.y !== null) as { x: number; y: number }[];
      const [px, py] = [pairs.map((p) => p.x), pairs.map((p) => p.y)];
      const [mx, my] = [px.reduce((a, b) => a + b, 0) / px.length, py.reduce((a, b) => a + b, 0) / py.length];
      const cxy = pairs.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
      close(byU[u]!['r'], pairs.length > 1 && moments(px) > 0 && moments(py) > 0 ? cxy / Math.sqrt(moments(px) * moments(py)) : null);
    }
  });

  it('sorts a small computed result in one task, skipping the range exchange', async () => {
    const records: QueryRecord[] = [];
    const c = dataFrameApi(localCluster(), undefined, { onQuery: (record) => records.push(record) });
    const rows = Array.from({ length: 5000 }, (_, i) => ({ brand: `b${i % 7}`, price: (i * 37) % 101 }));
    const out = await c.createDataFrame(rows, undefined, { partitions: 3 }).groupBy('brand').agg({ price: 'avg' }).orderBy(c.col('avg(price)').desc()).collect();
    const avg = new Map<string, number[]>();
    for (const r of rows) avg.set(r.brand, [...(avg.get(r.brand) ?? []), r.price]);
    const expected = [...avg].map(([brand, ps]) => ({ brand, 'avg(price)': ps.reduce((a, b) => a + b, 0) / ps.length })).sort((a, b) => b['avg(price)'] - a['avg(price)']);
    expect(out.map((r) => r['brand'])).toEqual(expected.map((r) => r.brand));
    const stages = records[records.length - 1]!.stages;
    const skipped = stages.find((s) => s.notes.some((n) => n.startsWith('range exchange skipped')));
    expect(skipped?.tasks).toBe(0);
    // Its rows out are those of the blocks it passes on: the 7 groups (the Queries view counts a stage's rows in from them).
    expect(skipped!.rowsOut).toBe(7);
    expect(stages[stages.length - 1]!.tasks).toBe(1);
  });
});
