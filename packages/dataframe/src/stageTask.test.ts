import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { loadNodeDatabase } from '@shoal/engine/node';
import { dataframeStage, type TaskSpec, type TaskStats } from './stageTask.ts';

const ctx = async () => {
  const db = await loadNodeDatabase();
  return { engine: async () => db.session(), arrow, workerId: 'w' };
};
const block = (ids: number[], names: string[]): Uint8Array => arrow.tableToIPC(new arrow.Table({ id: arrow.vectorFromArray(Float64Array.from(ids)), name: arrow.vectorFromArray(names, new arrow.Utf8()) }), 'stream');
const gather = (count: number): TaskSpec => ({ kind: 'sql', tables: [{ name: 's0', ddl: '"id" DOUBLE, "name" VARCHAR', count }], files: [], sql: 'SELECT * FROM "s0"', out: { kind: 'single' }, concat: true });
const rowsOf = (ipc: Uint8Array) => arrow.tableFromIPC(ipc).toArray().map((r) => ({ ...r }));

describe('dataframeStage: a gather stage (concat)', { timeout: 60_000 }, () => {
  it('joins blocks of one schema into one stream without the engine, in order', async () => {
    const c = await ctx();
    let engines = 0;
    const counting = { ...c, engine: async () => (engines++, c.engine()) };
    const a = block([1, 2], ['a', 'b']);
    const b = block([3], ['c']);
    const empty = arrow.tableToIPC(arrow.tableFromIPC(a).slice(0, 0), 'stream');
    const out = (await dataframeStage(gather(3), [a, empty, b], counting)) as [Uint8Array, TaskStats];
    expect(engines).toBe(0);
    expect(rowsOf(out[0])).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
      { id: 3, name: 'c' },
    ]);
    expect(out[1].rows).toEqual([3]);
    expect(out[1].bytes).toEqual([out[0].byteLength]);
  });

  it('joins DuckDB-written blocks, and falls back to the engine when schemas differ', async () => {
    const c = await ctx();
    const session = await c.engine();
    const d1 = session.query(`SELECT i::DOUBLE AS id, 'x' || i AS name FROM range(0, 3000) t(i)`);
    const d2 = session.query(`SELECT i::DOUBLE AS id, 'y' || i AS name FROM range(3000, 5000) t(i)`);
    session.close();
    const joined = (await dataframeStage(gather(2), [d1, d2], c)) as [Uint8Array, TaskStats];
    const t = arrow.tableFromIPC(joined[0]);
    expect(t.numRows).toBe(5000);
    expect(t.getChild('name')!.get(4999)).toBe('y4999');
    // An Int32 id where the first block has a Float64 one: not the same schema, so the engine unions them.
    const other = arrow.tableToIPC(arrow.tableFromArrays({ id: Int32Array.from([7]), name: ['z'] }), 'stream');
    let engines = 0;
    const counting = { ...c, engine: async () => (engines++, c.engine()) };
    const mixed = (await dataframeStage(gather(2), [block([1], ['a']), other], counting)) as [Uint8Array, TaskStats];
    expect(engines).toBe(1);
    expect(rowsOf(mixed[0]).map((r) => Number(r.id))).toEqual([1, 7]);
    // Dictionary-encoded strings (what apache-arrow makes of a string array): left to the engine too.
    const dict = (names: string[]) => arrow.tableToIPC(arrow.tableFromArrays({ id: Float64Array.from(names.map((_, i) => i)), name: names }), 'stream');
    const fromDicts = (await dataframeStage(gather(2), [dict(['a', 'b']), dict(['c'])], counting)) as [Uint8Array, TaskStats];
    expect(engines).toBe(2);
    expect(rowsOf(fromDicts[0]).map((r) => r.name)).toEqual(['a', 'b', 'c']);
  });
});
