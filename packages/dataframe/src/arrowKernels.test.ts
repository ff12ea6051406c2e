import * as arrow from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNodeDatabase } from '@shoal/engine/node';
import type { EngineSession } from '@shoal/engine';
import { BLOB_PREFIX_BYTES, blobBytes, packValue } from '@shoal/objects';
import { arrowIpc } from './arrowIpc.ts';
import { arrowKernels } from './arrowKernels.ts';

const kernels = arrowKernels(arrowIpc());
let engine: EngineSession;
beforeAll(async () => {
  engine = (await loadNodeDatabase()).session();
}, 60_000);

/**
 * Rows with every flat type, nulls in each, and awkward keys (NaN, ±Infinity, -0, duplicates); `code` has one
 * length throughout (written as fixed-width values), `tag` one length per block but not the same in all.
 */
const SOURCE = `SELECT
  CASE WHEN i % 11 = 0 THEN NULL WHEN i % 13 = 0 THEN 'nan'::DOUBLE WHEN i % 17 = 0 THEN '-inf'::DOUBLE WHEN i % 19 = 0 THEN 'inf'::DOUBLE WHEN i % 23 = 0 THEN -0.0 ELSE ((i * 7919) % 1000 - 500) / 8.0 END AS d,
  CASE WHEN i % 7 = 0 THEN NULL ELSE ((i * 104729) % 2001 - 1000)::BIGINT * 10000000000 END AS big,
  ((i * 31) % 97 - 48)::INTEGER AS small,
  ((i * 13) % 50)::FLOAT AS f,
  CASE WHEN i % 5 = 0 THEN NULL ELSE 'row-' || i || repeat('x', (i % 40)::INTEGER) END AS s,
  i % 3 = 0 AS b,
  DATE '2024-01-01' + (i % 400)::INTEGER AS day,
  TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) SECOND AS ts,
  'id' || lpad(((i * 37) % 1000)::VARCHAR, 4, '0') AS code,
  CASE WHEN i < 3000 THEN 'x' || (i % 10) ELSE 'yy' || (i % 10) END AS tag,
  i AS id
FROM range(0, N) t(i)`;
const make = (n: number, from = 0): Uint8Array => engine.query(SOURCE.replace('range(0, N)', `range(${from}, ${from + n})`));

/** Loads IPC streams into the engine as `name` (DuckDB's Arrow reader checks the stream). */
const load = (name: string, blocks: Uint8Array[]): void => {
  engine.exec(`DROP TABLE IF EXISTS "${name}"`);
  engine.load(name, blocks);
};
/** A column's values, nulls as null (toArray() would give what lies under them). */
const column = (ipc: Uint8Array, name: string): unknown[] => Array.from(arrow.tableFromIPC(ipc).getChild(name)! as Iterable<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v));
/** Same rows, as multisets: nothing lost, nothing added, every value intact. */
const sameRows = (a: string, b: string): void => {
  const diff = (x: string, y: string) => arrow.tableFromIPC(engine.query(`SELECT count(*)::DOUBLE AS n FROM (SELECT * FROM "${x}" EXCEPT ALL SELECT * FROM "${y}")`)).get(0)!.n;
  expect(diff(a, b)).toBe(0);
  expect(diff(b, a)).toBe(0);
};

describe('arrowKernels.sort', { timeout: 60_000 }, () => {
  for (const [key, ascending, nullsFirst] of [
    ['d', true, false],
    ['d', false, true],
    ['big', true, true],
    ['big', false, false],
    ['small', true, false],
    ['f', false, false],
  ] as const) {
    it(`orders by ${key} ${ascending ? 'asc' : 'desc'} nulls ${nullsFirst ? 'first' : 'last'} as the engine does, every row intact`, () => {
      const blocks = [make(3000), make(0, 3000), make(1700, 3000)];
      const out = kernels.sort(blocks, { key, ascending, nullsFirst });
      expect(out).not.toBeNull();
      expect(out!.rows).toEqual([4700]);
      load('src', blocks);
      load('out', out!.blocks);
      sameRows('src', 'out');
      const expected = engine.query(`SELECT "${key}" FROM src ORDER BY "${key}" ${ascending ? 'ASC' : 'DESC'} NULLS ${nullsFirst ? 'FIRST' : 'LAST'}`);
      expect(column(out!.blocks[0]!, key)).toEqual(column(expected, key));
      // Cut into chunks (to fit recycled buffers): the same order across them, rows shared out evenly.
      const chunked = kernels.sort(blocks, { key, ascending, nullsFirst, chunks: 3 })!;
      expect(chunked.rows).toEqual([1566, 1567, 1567]);
      chunked.blocks.forEach((b, i) => expect(arrow.tableFromIPC(b).numRows).toBe(chunked.rows[i]));
      expect(chunked.blocks.flatMap((b) => column(b, key))).toEqual(column(expected, key));
      load('chunks', chunked.blocks);
      sameRows('src', 'chunks');
    });
  }

  it('keeps strings, booleans, dates and timestamps row for row (read by apache-arrow too)', () => {
    const block = make(500);
    const out = kernels.sort([block], { key: 'id', ascending: false, nullsFirst: false })!;
    const t = arrow.tableFromIPC(out.blocks[0]!);
    const src = arrow.tableFromIPC(block);
    for (const name of ['s', 'b', 'day', 'ts', 'd']) expect(column(out.blocks[0]!, name).reverse()).toEqual(column(block, name));
  });

  it('keeps valid values valid when only a later batch has nulls (the first has no validity bitmap)', () => {
    // 2950 rows export as two batches (2048 + 902); one null in the second, in a number and a string column.
    const block = engine.query(`SELECT i AS k, CASE WHEN i = 2500 THEN NULL ELSE i * 1.5 END AS m, CASE WHEN i = 2600 THEN NULL ELSE 's' || i END AS t FROM range(0, 2950) t(i)`);
    expect(arrow.tableFromIPC(block).batches.map((b) => b.getChild('m')!.nullCount + b.getChild('t')!.nullCount)).toEqual([0, 2]);
    const out = kernels.sort([block], { key: 'k', ascending: false, nullsFirst: false })!;
    expect(column(out.blocks[0]!, 'm').reverse()).toEqual(column(block, 'm'));
    expect(column(out.blocks[0]!, 't').reverse()).toEqual(column(block, 't'));
    const parts = kernels.split([block], { key: 'k', ascending: true, nullsFirst: false, bounds: [100, 2550] })!;
    expect(parts.blocks.flatMap((b) => column(b, 'm'))).toEqual(column(block, 'm'));
  });
});

describe('arrowKernels.split', { timeout: 60_000 }, () => {
  it('cuts rows into key ranges as the range exchange does, nulls and NaN at the ends', () => {
    const blocks = [make(4000)];
    const bounds = [-200, -10.5, 0, 77];
    for (const [ascending, nullsFirst] of [
      [true, false],
      [false, true],
    ] as const) {
      const out = kernels.split(blocks, { key: 'd', ascending, nullsFirst, bounds })!;
      expect(out.blocks).toHaveLength(5);
      expect(out.rows.reduce((a, b) => a + b, 0)).toBe(4000);
      out.blocks.forEach((part, p) => {
        expect(arrow.tableFromIPC(part).numRows).toBe(out.rows[p]);
        for (const v of column(part, 'd') as (number | null)[]) {
          const asc = v === null ? -1 : bounds.filter((b) => !(v < b)).length;
          const want = v === null ? (nullsFirst ? 0 : 4) : ascending ? asc : 4 - asc;
          expect(p).toBe(want);
        }
      });
      load('src', blocks);
      load('out', out.blocks);
      sameRows('src', 'out');
    }
  });
});

describe('arrowKernels.split: a hot key', { timeout: 60_000 }, () => {
  it('spreads rows equal to repeated bounds over the parts between them, and the parts still sort into one order', () => {
    // 60% of the keys are 5; the bounds repeat it three times (rangeBounds keeps a hot key's repeats).
    const hot = (n: number, from: number) => engine.query(`SELECT CASE WHEN i % 5 < 3 THEN 5.0 ELSE ((i * 7919) % 200 - 100) / 4.0 END AS d, i AS id FROM range(${from}, ${from + n}) t(i)`);
    const maps = [hot(3000, 0), hot(3000, 3000)];
    const bounds = [-10, 5, 5, 5, 12];
    for (const ascending of [true, false]) {
      const cut = maps.map((m) => kernels.split([m], { key: 'd', ascending, nullsFirst: false, bounds })!);
      const rows = cut[0]!.rows.map((_, p) => cut.reduce((a, c) => a + c.rows[p]!, 0));
      // Asc: part 0 < -10 <= part 1 < 5; the 3600 fives over parts 1-4; 5 < part 4 < 12 <= part 5 (desc: mirrored).
      expect(Math.max(...rows)).toBeLessThan(0.3 * 6000);
      const fives = (p: number) => cut.flatMap((c) => column(c.blocks[p]!, 'd')).filter((v) => v === 5).length;
      const hotParts = ascending ? [1, 2, 3, 4] : [4, 3, 2, 1];
      expect(hotParts.map(fives).reduce((a, b) => a + b, 0)).toBe(3600);
      for (const p of hotParts) expect(fives(p)).toBeGreaterThan(800);
      const sorted = cut[0]!.blocks.map((_, p) => kernels.sort(cut.map((c) => c.blocks[p]!), { key: 'd', ascending, nullsFirst: false })!.blocks[0]!);
      load('src', maps);
      load('out', sorted);
      sameRows('src', 'out');
      expect(sorted.flatMap((b) => column(b, 'd'))).toEqual(column(engine.query(`SELECT d FROM src ORDER BY d ${ascending ? 'ASC' : 'DESC'}`), 'd'));
    }
  });
});

describe('arrowKernels: split then sort (the exchange as it runs)', { timeout: 60_000 }, () => {
  it('sorts the parts that split wrote, from several map tasks, into one order', () => {
    const maps = [make(1500), make(1500, 1500), make(1000, 3000)];
    const bounds = [-100, 0, 100];
    const cut = maps.map((m) => kernels.split([m], { key: 'd', ascending: true, nullsFirst: false, bounds })!);
    const ranges = bounds.length + 1;
    const sorted = Array.from({ length: ranges }, (_, p) => kernels.sort(cut.map((c) => c.blocks[p]!), { key: 'd', ascending: true, nullsFirst: false }));
    expect(sorted.every((s) => s !== null)).toBe(true);
    load('src', maps);
    load('out', sorted.map((s) => s!.blocks[0]!));
    sameRows('src', 'out');
    const all = sorted.flatMap((s) => column(s!.blocks[0]!, 'd'));
    expect(all).toEqual(column(engine.query('SELECT d FROM src ORDER BY d NULLS LAST'), 'd'));
  });
});

describe('arrowKernels: head', () => {
  it('takes the first rows in the blocks\' order, reading no further than it needs', () => {
    const blocks = [make(3), make(4000, 3), make(10, 4003)];
    const concat = () => null;
    const [block, stats] = kernels.stage({ op: 'head', n: 5, key: '', ascending: true, nullsFirst: false }, blocks, concat, 0) as [Uint8Array, { rows: number[]; arrow: boolean }];
    expect(column(block, 'id')).toEqual([0, 1, 2, 3, 4]);
    expect(stats.rows).toEqual([5]);
    expect(stats.arrow).toBe(true);
    const [all] = kernels.stage({ op: 'head', n: 1e9, key: '', ascending: true, nullsFirst: false }, blocks, concat, 0) as [Uint8Array];
    expect(column(all, 'id')).toEqual(Array.from({ length: 4013 }, (_, i) => i));
  });
});

describe('arrowKernels.sample', () => {
  it('picks keys from the rows, none of them null', () => {
    const block = make(1000);
    const got = kernels.sample([block], 'big', 64)!;
    expect(got.rows).toBe(1000);
    expect(got.sample).toHaveLength(64);
    const values = new Set(column(block, 'big'));
    for (const v of got.sample) expect(values.has(v)).toBe(true);
    expect(kernels.sample([make(10)], 'small', 64)!.sample).toHaveLength(10);
  });
});

describe('arrowKernels: what it leaves to the engine', () => {
  it('returns null for a key that is not a number, a missing key, dictionaries and schemas that differ', () => {
    expect(kernels.sort([make(10)], { key: 's', ascending: true, nullsFirst: false })).toBeNull();
    expect(kernels.sort([make(10)], { key: 'nope', ascending: true, nullsFirst: false })).toBeNull();
    const dict = arrow.tableToIPC(arrow.tableFromArrays({ k: Float64Array.from([2, 1]), name: ['a', 'b'] }), 'stream');
    expect(kernels.sort([dict], { key: 'k', ascending: true, nullsFirst: false })).toBeNull();
    const other = engine.query('SELECT 1.5::DOUBLE AS d');
    expect(kernels.split([make(10), other], { key: 'd', ascending: true, nullsFirst: false, bounds: [0] })).toBeNull();
  });

  it('sorts plain apache-arrow streams (no dictionaries) too', () => {
    const t = arrow.tableFromArrays({ k: Float64Array.from([3, -1, 2]), n: Int32Array.from([30, -10, 20]) });
    const out = kernels.sort([arrow.tableToIPC(t, 'stream')], { key: 'k', ascending: true, nullsFirst: false })!;
    expect(column(out.blocks[0]!, 'n')).toEqual([-10, 20, 30]);
  });
});

describe('arrowKernels: outputs made where they are stored (ctx.outputBytes)', { timeout: 60_000 }, () => {
  it('writes the same streams into blobBytes views, which a task then returns without the codec copy', () => {
    const inPlace = arrowKernels(arrowIpc(blobBytes));
    const blocks = [make(3000), make(2500, 3000)];
    const bounds = [-200, 0, 77];
    const split = { key: 'd', ascending: true, nullsFirst: false, bounds };
    const want = kernels.split(blocks, split)!;
    const got = inPlace.split(blocks, split)!;
    expect(got.rows).toEqual(want.rows);
    got.blocks.forEach((block, p) => {
      expect(block.byteOffset).toBe(BLOB_PREFIX_BYTES);
      expect(Buffer.from(block).equals(Buffer.from(want.blocks[p]!))).toBe(true);
      expect(packValue(block)).toMatchObject({ inline: false, buffer: block.buffer });
    });
    const sorted = inPlace.sort(got.blocks.map((b) => b.slice()), { key: 'd', ascending: false, nullsFirst: true })!;
    expect(Buffer.from(sorted.blocks[0]!).equals(Buffer.from(kernels.sort(want.blocks, { key: 'd', ascending: false, nullsFirst: true })!.blocks[0]!))).toBe(true);
    load('src', blocks);
    load('out', [sorted.blocks[0]!]);
    sameRows('src', 'out');
  });
});
