import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { dataFrameApi } from './api.ts';
import { distinctKeysCheck, feedsDistinctGather, gathersDistinct } from './distinctGather.ts';
import type { QueryRecord } from './session.ts';
import { localCluster } from './testCluster.ts';
import { duckBlocks, planSqlOverX } from './testFixtures.ts';

describe('which stages gather distinct rows', () => {
  it.each<[string, string, boolean]>([
    ['q10: sum and count by every key, as the answer', 'SELECT id1, id4, sum(v3) AS v3, count(*) AS count FROM x GROUP BY id1, id4', true],
    ['an average needs the final aggregate', 'SELECT id1, avg(v3) FROM x GROUP BY id1', false],
    ['read by a sort after it: not the answer', 'SELECT id1, id4, sum(v3) AS v3 FROM x GROUP BY id1, id4 ORDER BY v3', false],
    ['read by a join after it: not the answer', 'SELECT a.id1, a.s FROM (SELECT id1, sum(v3) AS s FROM x GROUP BY id1) a JOIN x b ON a.id1 = b.id1', false],
  ])('%s', (_name, sql, expected) => {
    const pp = planSqlOverX(sql);
    const gathering = pp.stages.filter((s) => gathersDistinct(s, pp.stages));
    expect(gathering.length > 0).toBe(expected);
    // The exchange under it, and only that one, writes key hashes.
    const feeding = pp.stages.filter((s) => feedsDistinctGather(s, pp.stages));
    expect(feeding.map((s) => s.id)).toEqual(gathering.map((s) => s.reads[0]!.stage));
    if (expected) expect(gathering[0]!.id).toBe(pp.root);
  });
});

describe('distinctKeysCheck (the task side)', { timeout: 60_000 }, () => {
  const of = (from: number, to: number) => `SELECT hash(i, 'k' || (i % 7)) AS "__h" FROM range(${from}, ${to}) t(i)`;

  it('says unique for distinct hashes across blocks, and counts them', async () => {
    expect(await distinctKeysCheck(await duckBlocks([of(0, 5000), of(5000, 12000)]), { arrow })).toEqual({ unique: true, rows: 12000 });
  });

  it('finds a hash repeated across blocks or within one', async () => {
    expect((await distinctKeysCheck(await duckBlocks([of(0, 5001), of(5000, 6000)]), { arrow })).unique).toBe(false);
    expect((await distinctKeysCheck(await duckBlocks([`SELECT * FROM (${of(0, 300)} UNION ALL ${of(299, 300)})`]), { arrow })).unique).toBe(false);
  });

  it('tells apart hashes equal in one 32-bit half', async () => {
    const same = 'SELECT * FROM (VALUES (4294967296::UBIGINT), (1::UBIGINT), (4294967297::UBIGINT), (0::UBIGINT)) t("__h")';
    expect(await distinctKeysCheck(await duckBlocks([same]), { arrow })).toEqual({ unique: true, rows: 4 });
  });

  it('refuses a block that is not one column of 64-bit integers', async () => {
    expect((await distinctKeysCheck(await duckBlocks(['SELECT 1::INTEGER AS a']), { arrow })).unique).toBe(false);
  });
});

describe('a distinct gather on the in-process cluster', { timeout: 120_000 }, () => {
  const run = async (adaptive: boolean, repeat: boolean, small = true) => {
    const records: QueryRecord[] = [];
    const cluster = localCluster();
    const c = dataFrameApi(cluster, undefined, { onQuery: (record) => records.push(record) });
    c.conf.set('adaptive', adaptive);
    if (small) c.conf.set('distinctGatherMinBytes', 0);
    const rows = Array.from({ length: 20000 }, (_, i) => ({ a: i === 7 ? null : `a${i % 200}`, b: Math.floor(i / 200), v: i * 0.25 }));
    if (repeat) rows.push({ ...rows[3]!, v: 1.5 });
    const t = c.createDataFrame(rows, undefined, { partitions: 3 });
    t.createOrReplaceTempView('t');
    const held = cluster.held();
    const table = await c.sql('SELECT a, b, sum(v) AS s, count(*) AS n FROM t GROUP BY a, b').toArrow();
    const notes = records[records.length - 1]!.stages.flatMap((s) => s.notes);
    const sorted = [...table].map((r) => r.toJSON()).sort((p, q) => String(p['a']).localeCompare(String(q['a'])) || Number(p['b']) - Number(q['b']));
    return { names: table.schema.fields.map((f) => f.name), sorted, notes, leftOver: cluster.held() - held };
  };

  it('gathers the exchange blocks as they are, under the output names, with the same rows as the engine, and frees the hashes', async () => {
    const gathered = await run(true, false);
    const engine = await run(false, false);
    expect(gathered.notes.find((n) => n.startsWith('every group one row'))).toMatch(/checked on the keys' hashes\): rows gathered as the exchange left them in (\d+) of \1 tasks/);
    expect(gathered.names).toEqual(['a', 'b', 's', 'n']);
    expect(gathered.sorted).toEqual(engine.sorted);
    expect(gathered.sorted).toHaveLength(20000);
    // No block of the query is left (the hash blocks, the exchange's blocks): what the test cluster still holds is one
    // stats value per task run (never freed there), and the gather runs no more tasks than the engine's final aggregate.
    expect(gathered.leftOver).toBeLessThanOrEqual(engine.leftOver);
  });

  it('leaves a final aggregate under distinctGatherMinBytes (8 MiB by default) to its own task: no check round trip, same rows', async () => {
    const plain = await run(true, false, false);
    const engine = await run(false, false);
    expect(plain.notes.some((n) => n.startsWith('every group one row') && n.includes("checked on the keys' hashes"))).toBe(false);
    expect(plain.names).toEqual(['a', 'b', 's', 'n']);
    expect(plain.sorted).toEqual(engine.sorted);
  });

  it('runs the final aggregate where a key repeats, with the same answer as the engine', async () => {
    const gathered = await run(true, true);
    const engine = await run(false, true);
    expect(gathered.notes.some((n) => n.startsWith('keys repeated'))).toBe(true);
    expect(gathered.sorted).toEqual(engine.sorted);
    expect(gathered.sorted).toHaveLength(20000);
    expect(gathered.leftOver).toBeLessThanOrEqual(engine.leftOver + 3);
  });
});
