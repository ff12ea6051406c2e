import { describe, expect, it } from 'vitest';
import { dataFrameApi } from './api.ts';
import { localCluster } from './testCluster.ts';

describe('DataFrame on the in-process cluster', { timeout: 120_000 }, () => {
  it("runs the Spark seed: createDataFrame + agg({value: 'avg'})", async () => {
    const c = dataFrameApi(localCluster(), undefined);
    const rows = Array.from({ length: 1000 }, (_, i) => [i, i * 2]);
    const out = await c.createDataFrame(rows, ['id', 'value']).agg({ value: 'avg' }).collect();
    expect(out).toEqual([{ 'avg(value)': 999 }]);
  });
});
