import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { dataFrameApi } from './api.ts';
import { localCluster } from './testCluster.ts';

const rows = Array.from({ length: 60 }, (_, i) => ({ id: i, g: ['a', 'b', 'c'][i % 3]!, v: (i * 7) % 11 }));

describe('window functions and expression sorts (in process)', { timeout: 120_000 }, () => {
  it('withColumn(rowNumber().over(...)) numbers rows within each group across partitions', async () => {
    const c = { ...dataFrameApi(localCluster(2), undefined), arrow };
    const df = c.createDataFrame(rows, { partitions: 4 });
    const out = await df.withColumn('rn', c.rowNumber().over({ partitionBy: ['g'], orderBy: [c.col('v').desc(), 'id'] })).groupBy('g').agg({ rn: 'max' }).orderBy('g').collect();
    expect(out).toEqual([{ g: 'a', 'max(rn)': 20 }, { g: 'b', 'max(rn)': 20 }, { g: 'c', 'max(rn)': 20 }]);
  });
  it('an aggregate over a window, in SQL', async () => {
    const c = { ...dataFrameApi(localCluster(2), undefined), arrow };
    c.createDataFrame(rows, { partitions: 3 }).createOrReplaceTempView('t');
    const out = await c.sql('SELECT g, count(*) OVER (PARTITION BY g) AS n, sum(v) OVER (PARTITION BY g) AS s FROM t WHERE id < 6 ORDER BY id').collect();
    const s = (g: string) => rows.filter((r) => r.id < 6 && r.g === g).reduce((a, r) => a + r.v, 0);
    expect(out).toEqual(rows.slice(0, 6).map((r) => ({ g: r.g, n: 2, s: s(r.g) })));
  });
  it('ORDER BY an expression after an aggregate', async () => {
    const c = { ...dataFrameApi(localCluster(2), undefined), arrow };
    c.createDataFrame(rows, { partitions: 3 }).createOrReplaceTempView('t');
    const out = await c.sql('SELECT g, sum(v) AS s FROM t GROUP BY g ORDER BY s * -1').collect();
    const sums = ['a', 'b', 'c'].map((g) => ({ g, s: rows.filter((r) => r.g === g).reduce((a, r) => a + r.v, 0) })).sort((x, y) => y.s - x.s);
    expect(out).toEqual(sums);
  });
});

describe('sorting nothing', { timeout: 120_000 }, () => {
  it('orderBy over an empty result gives no rows (no samples, so no range bounds)', async () => {
    const c = { ...dataFrameApi(localCluster(2), undefined), arrow };
    const out = await c.createDataFrame(rows, { partitions: 3 }).filter(c.col('v').gt(1000)).orderBy(c.col('v').desc()).collect();
    expect(out).toEqual([]);
  });
});
