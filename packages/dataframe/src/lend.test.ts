import { describe, expect, it } from 'vitest';
import { dataFrameApi } from './api.ts';
import { localCluster } from './testCluster.ts';

describe('which stage tasks borrow their inputs (RemoteOptions lendInputs)', () => {
  it("lends a sort's range split its cached blocks, lets the sort consume its exchange blocks, and gives the SQL stages copies", async () => {
    const base = localCluster();
    const asked: { name: string; lend: boolean; consume: boolean }[] = [];
    const cluster: typeof base = {
      ...base,
      remote(fn, options = {}) {
        asked.push({ name: String(options['name']), lend: options['lendInputs'] === true, consume: options['consumeInputs'] === true });
        return base.remote(fn, options);
      },
    };
    const c = dataFrameApi(cluster, undefined);
    const rows = Array.from({ length: 2000 }, (_, i) => ({ k: (i * 7919) % 2000, v: i }));
    const sorted = c.createDataFrame(rows, undefined, { partitions: 3 }).cache().orderBy('k').cache();
    expect(await sorted.count()).toBe(2000);
    const of = (stage: string) => asked.filter((a) => a.name.endsWith(`: ${stage}`));
    expect(of('scan → range').length).toBeGreaterThan(0);
    expect(of('scan → range').every((a) => a.lend && !a.consume)).toBe(true);
    expect(of('sort').length).toBeGreaterThan(0);
    expect(of('sort').every((a) => a.consume && !a.lend)).toBe(true);
    // Tasks run in the engine (the cache's scan, the count) are not lent anything.
    const sql = asked.filter((a) => !a.name.endsWith(': scan → range') && !a.name.endsWith(': sort') && !a.name.endsWith(': scan → sample'));
    expect(sql.length).toBeGreaterThan(0);
    expect(sql.some((a) => a.lend)).toBe(false);
  });
});
