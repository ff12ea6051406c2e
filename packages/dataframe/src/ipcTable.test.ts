import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ipcTable } from './ipcTable.ts';
import { duckBlocks } from './testFixtures.ts';

/** Every cell as JSON-able text, and each column's type, for comparing two tables. */
const dump = (t: arrow.Table) => ({
  types: t.schema.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable}`),
  rows: t.numRows,
  cells: t.schema.fields.map((f) => {
    const col = t.getChild(f.name)!;
    return Array.from({ length: t.numRows }, (_, i) => {
      const v = col.get(i);
      return v === null ? null : typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Array.from(v).join(',') : typeof v === 'object' ? JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x)) : v;
    });
  }),
});

describe('ipcTable: result blocks as one table without the IPC reader', { timeout: 60_000 }, () => {
  it('reads every flat type DuckDB exports, nulls included, over several blocks of several batches, as tableFromIPC does', async () => {
    const sql = (from: number, to: number) => `SELECT (i % 100)::TINYINT AS i8, i::SMALLINT AS i16, i::INTEGER AS i32, i::BIGINT * 3000000000 AS i64, (i % 200)::UTINYINT AS u8, i::UBIGINT AS u64,
      i / 7.0 AS dbl, (i / 3)::FLOAT AS flt, (i / 100)::DECIMAL(10, 2) AS dec, DATE '2020-01-01' + i::INTEGER AS day, TIMESTAMP '2020-01-01' + INTERVAL (i) SECOND AS ts,
      TIME '01:02:03' + INTERVAL (i) SECOND AS tm, i % 3 = 0 AS flag, 'row ' || i AS s, ('b' || i)::BLOB AS bin,
      CASE WHEN i % 5 = 0 THEN NULL ELSE i END AS maybe, CASE WHEN i % 7 = 0 THEN NULL ELSE 'x' || i END AS maybe_s, CASE WHEN i % 4 = 0 THEN NULL ELSE i % 2 = 0 END AS maybe_b
      FROM range(${from}, ${to}) t(i)`;
    const blocks = await duckBlocks([sql(0, 5000), sql(5000, 5001), sql(5001, 9000)]);
    expect(arrow.tableFromIPC(blocks[0]!).batches.length).toBeGreaterThan(1);
    const fast = ipcTable(blocks);
    expect(fast).not.toBeNull();
    const slow = new arrow.Table(blocks.flatMap((b) => arrow.tableFromIPC(b).batches));
    expect(dump(fast!)).toEqual(dump(slow));
    // Same buffers, no copy: the first batch's int column is a view into the first block.
    const data = fast!.batches[0]!.getChild('i32')!.data[0]!.values as Int32Array;
    expect(data.buffer).toBe(blocks[0]!.buffer);
  });

  it('copies a buffer not aligned to its values, and still reads right', async () => {
    const [block] = await duckBlocks([`SELECT i / 3.0 AS d, i::BIGINT AS n FROM range(3000) t(i)`]);
    const shifted = new Uint8Array(block!.byteLength + 4).subarray(4);
    shifted.set(block!);
    expect(dump(ipcTable([shifted])!)).toEqual(dump(arrow.tableFromIPC(block!)));
  });

  it('leaves what it cannot read to tableFromIPC: nested types, dictionaries, no blocks', async () => {
    const [nested] = await duckBlocks([`SELECT [i, i + 1] AS l FROM range(10) t(i)`]);
    expect(ipcTable([nested!])).toBeNull();
    const dict = arrow.tableToIPC(arrow.tableFromArrays({ s: ['a', 'b', 'a'] }), 'stream');
    expect(ipcTable([dict])).toBeNull();
    expect(ipcTable([])).toBeNull();
  });
});
