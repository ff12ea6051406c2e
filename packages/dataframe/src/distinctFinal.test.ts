import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { dataFrameApi } from './api.ts';
import { arrowIpc } from './arrowIpc.ts';
import { distinctFinal, distinctFinalOp } from './distinctFinal.ts';
import type { QueryRecord } from './session.ts';
import { localCluster } from './testCluster.ts';
import { duckBlocks, planSqlOverX } from './testFixtures.ts';

const finalStage = (sql: string) => {
  const pp = planSqlOverX(sql);
  return distinctFinalOp(pp.stages[pp.root]!, pp.stages);
};

describe('distinctFinalOp', () => {
  it.each<[string, string, ReturnType<typeof distinctFinalOp>]>([
    ['sum and count(*) by two keys (q10)', 'SELECT id1, id4, sum(v3) AS v3, count(*) AS count FROM x GROUP BY id1, id4', { keys: [0, 1], names: ['id1', 'id4', 'v3', 'count'], nonNull: [3] }],
    ['sum of an integer, min, max, count of a column', 'SELECT id1, sum(v1), min(v3), max(v1) AS hi, count(v3) FROM x GROUP BY id1', { keys: [0], names: ['id1', 'sum(v1)', 'min(v3)', 'hi', 'count(v3)'], nonNull: [4] }],
    ['avg needs a division: not a rename', 'SELECT id1, avg(v3) FROM x GROUP BY id1', null],
    ['an expression over aggregates', 'SELECT id1, max(v1) - min(v1) AS r FROM x GROUP BY id1', null],
    ['columns in another order', 'SELECT sum(v3) AS s, id1 FROM x GROUP BY id1', null],
    ['a key left out', 'SELECT sum(v3) AS s FROM x GROUP BY id1', null],
    ['countDistinct: no partial aggregate', 'SELECT id1, count(DISTINCT v1) FROM x GROUP BY id1', null],
    ['no keys', 'SELECT sum(v3) FROM x', null],
  ])('%s', (_name, sql, expected) => {
    expect(finalStage(sql)).toEqual(expected);
  });
});

describe('distinctFinal (the task side)', { timeout: 60_000 }, () => {
  const pass = distinctFinal(arrowIpc(), arrow);
  const op = { keys: [0, 1], names: ['k', 'n', 'total', 'count'], nonNull: [3] };
  const part = (from: number, to: number, extra = ''): string =>
    `SELECT CASE WHEN i % 1000 = 999 THEN NULL ELSE 'k' || (i % 1000) END AS k, (i // 1000)::INTEGER AS n, i * 0.5 AS total, 1::BIGINT AS c FROM range(${from}, ${to}) t(i)${extra}`;

  it('passes distinct keys through under the output names, rows and values unchanged', async () => {
    const blocks = await duckBlocks([part(0, 5000), part(5000, 12000)]);
    const out = pass(op, blocks);
    expect(out).not.toBeNull();
    const t = arrow.tableFromIPC(out!.block);
    expect(out!.rows).toBe(12000);
    expect(t.schema.fields.map((f) => f.name)).toEqual(['k', 'n', 'total', 'count']);
    expect(t.numRows).toBe(12000);
    const given = [...arrow.tableFromIPC(blocks[0]!), ...arrow.tableFromIPC(blocks[1]!)].map((r) => Object.values(r.toJSON()));
    expect([...t].map((r) => Object.values(r.toJSON()))).toEqual(given);
  });

  it('finds a repeated key, across blocks and with nulls equal to nulls, and gives up', async () => {
    // Row 5000 again in the second block.
    expect(pass(op, await duckBlocks([part(0, 5001), part(5000, 6000)]))).toBeNull();
    // Two null k with the same n: one group in GROUP BY (i = 999 has k null and n = 0).
    expect(pass(op, await duckBlocks([part(0, 1000), `SELECT NULL::VARCHAR AS k, 0::INTEGER AS n, 1.0::DOUBLE AS total, 1::BIGINT AS c`]))).toBeNull();
    // A null and a string that hash alike still differ: k = NULL vs k = '' for the same n are two groups.
    expect(pass(op, await duckBlocks([`SELECT * FROM (VALUES (NULL::VARCHAR, 1, 1.0::DOUBLE, 1::BIGINT), ('', 1, 2.0, 1), ('a', 1, 3.0, 1), ('a', 2, 4.0, 1)) t(k, n, total, c)`]))).not.toBeNull();
  });

  it('gives up on a null partial count (count of an empty group is 0, not null)', async () => {
    expect(pass(op, await duckBlocks([`SELECT 'a' AS k, 1::INTEGER AS n, 1.0::DOUBLE AS total, NULL::BIGINT AS c`]))).toBeNull();
  });
});

describe('a group-by whose groups are one row each, on the in-process cluster', { timeout: 120_000 }, () => {
  it('passes the final aggregate through in JS where no key repeats, and groups as usual where one does, with the same answers', async () => {
    const records: QueryRecord[] = [];
    const c = dataFrameApi(localCluster(), undefined, { onQuery: (record) => records.push(record) });
    const reference = (rows: { a: string | null; b: number; v: number }[]) => {
      const groups = new Map<string, { a: string | null; b: number; s: number; n: number; hi: number }>();
      for (const r of rows) {
        const key = JSON.stringify([r.a, r.b]);
        const g = groups.get(key) ?? { a: r.a, b: r.b, s: 0, n: 0, hi: -Infinity };
        g.s += r.v;
        g.n++;
        g.hi = Math.max(g.hi, r.v);
        groups.set(key, g);
      }
      return [...groups.values()].sort((p, q) => (p.a ?? '').localeCompare(q.a ?? '') || p.b - q.b || (p.a === null ? -1 : 0) - (q.a === null ? -1 : 0));
    };
    for (const repeat of [false, true]) {
      // 20000 distinct (a, b), a null `a` among them; with `repeat`, one key twice, in different partitions.
      const rows = Array.from({ length: 20000 }, (_, i) => ({ a: i === 7 ? null : `a${i % 200}`, b: Math.floor(i / 200), v: i * 0.25 }));
      if (repeat) rows.push({ ...rows[3]!, v: 1.5 });
      c.createDataFrame(rows, undefined, { partitions: 3 }).createOrReplaceTempView('t');
      const got = await c.sql('SELECT a, b, sum(v) AS s, count(*) AS n, max(v) AS hi FROM t GROUP BY a, b').collect();
      const notes = records[records.length - 1]!.stages.flatMap((s) => s.notes);
      const passed = notes.find((n) => n.startsWith('every group one row'));
      const want = reference(rows);
      const order = (r: Record<string, unknown>[]) => [...r].sort((p, q) => String(p['a'] ?? '').localeCompare(String(q['a'] ?? '')) || (p['b'] as number) - (q['b'] as number) || (p['a'] === null ? -1 : 0) - (q['a'] === null ? -1 : 0));
      expect(order(got)).toEqual(want.map((g) => ({ a: g.a, b: g.b, s: g.s, n: g.n, hi: g.hi })));
      if (!repeat) expect(passed).toMatch(/in (\d+) of \1 tasks/);
      // The task that got the repeated key grouped it in the engine.
      else expect(passed === undefined || !/in (\d+) of \1 tasks/.test(passed)).toBe(true);
    }
  });
});
