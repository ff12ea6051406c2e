import { beforeAll, describe, expect, it } from 'vitest';
import * as arrow from 'apache-arrow';
import { ShoalError } from '@shoal/protocol';
import { loadNodeDatabase, loadNodeEngine } from './nodeEngine.ts';
import type { EngineDatabase } from './duckEngine.ts';
import type { EngineSession } from './engine.ts';

const ipc = (columns: Record<string, Int32Array | Float64Array | string[]>): Uint8Array =>
  arrow.tableToIPC(arrow.tableFromArrays(columns as Record<string, Int32Array>), 'stream');
const rows = (bytes: Uint8Array): Record<string, unknown>[] => arrow.tableFromIPC(bytes).toArray().map((row) => row.toJSON() as Record<string, unknown>);
const schemaOf = (bytes: Uint8Array): string[] => arrow.tableFromIPC(bytes).schema.fields.map((f) => `${f.name}:${String(f.type)}`);

let db: EngineDatabase;
let e: EngineSession;

beforeAll(async () => {
  db = await loadNodeDatabase();
  e = db.session();
}, 60_000);

describe('load and query', () => {
  it('loads one stream and groups it', () => {
    e.load('t', ipc({ k: Int32Array.from([1, 2, 1, 3]), v: Float64Array.from([1, 2, 3, 4]) }));
    expect(rows(e.query('SELECT k, sum(v) AS s FROM t GROUP BY k ORDER BY k'))).toEqual([
      { k: 1, s: 4 },
      { k: 2, s: 2 },
      { k: 3, s: 4 },
    ]);
  });

  it('groups an integer key of up to 2^18 values in a perfect hash table (an array indexed by the key)', () => {
    e.load('t', ipc({ k: Int32Array.from({ length: 2000 }, (_, i) => 1 + ((i * 7919) % 100_000)), v: Float64Array.from({ length: 2000 }, (_, i) => i) }));
    const plan = (sql: string): string => (arrow.tableFromIPC(e.query(`EXPLAIN ${sql}`)).toArray().map((r) => String(r.toJSON()['explain_value'])).join('\n'));
    expect(plan('SELECT k, sum(v) FROM t GROUP BY k')).toContain('PERFECT_HASH_GROUP_BY');
    // A range of 2^20 is over the threshold: hashed.
    e.load('t', ipc({ k: Int32Array.from([1, 1 << 20]), v: Float64Array.from([1, 2]) }));
    expect(plan('SELECT k, sum(v) FROM t GROUP BY k')).not.toContain('PERFECT_HASH_GROUP_BY');
    // After a reconnect (a failed load) the setting holds.
    expect(() => e.load('bad', new Uint8Array([1, 2, 3]))).toThrow();
    e.load('t', ipc({ k: Int32Array.from([1, 100_000]), v: Float64Array.from([1, 2]) }));
    expect(plan('SELECT k, sum(v) FROM t GROUP BY k')).toContain('PERFECT_HASH_GROUP_BY');
  });

  it('concatenates several streams in order, and replaces the table on a second load', () => {
    e.load('t', [ipc({ k: Int32Array.from([1, 2]) }), ipc({ k: Int32Array.from([3]) }), ipc({ k: Int32Array.from([4, 5]) })]);
    expect(rows(e.query('SELECT k FROM t'))).toEqual([{ k: 1 }, { k: 2 }, { k: 3 }, { k: 4 }, { k: 5 }]);
    e.load('t', ipc({ k: Int32Array.from([9]) }));
    expect(rows(e.query('SELECT count(*)::INTEGER AS n FROM t'))).toEqual([{ n: 1 }]);
  });

  it('makes an empty table with the right columns from a zero-row stream (DuckDB writes such streams with no batches)', () => {
    e.load('src', ipc({ k: Int32Array.from([1]), name: ['a'] }));
    const empty = e.query('SELECT k, name FROM src WHERE false');
    e.load('empty', empty);
    expect(rows(e.query('SELECT count(*)::INTEGER AS n FROM empty'))).toEqual([{ n: 0 }]);
    expect(schemaOf(e.query('SELECT * FROM empty'))).toEqual(['k:Int32', 'name:Utf8']);
    // apache-arrow's own zero-row stream
    const schema = new arrow.Schema([new arrow.Field('a', new arrow.Int64()), new arrow.Field('b', new arrow.Float64())]);
    e.load('empty2', arrow.tableToIPC(new arrow.Table(schema), 'stream'));
    expect(schemaOf(e.query('SELECT * FROM empty2'))).toEqual(['a:Int64', 'b:Float64']);
  });

  it('mixes empty and non-empty streams (empty first, as a reduce task gets from a map task with no rows for it)', () => {
    e.load('src', ipc({ k: Int32Array.from([1, 2]) }));
    const none = e.query('SELECT k FROM src WHERE false');
    const some = e.query('SELECT k FROM src');
    e.load('mixed', [none, some, none, some]);
    expect(rows(e.query('SELECT sum(k)::INTEGER AS s, count(*)::INTEGER AS n FROM mixed'))).toEqual([{ s: 6, n: 4 }]);
    e.load('allEmpty', [none, none]);
    expect(schemaOf(e.query('SELECT * FROM allEmpty'))).toEqual(['k:Int32']);
  });

  it('exec runs statements without a result', () => {
    e.exec('CREATE TABLE made AS SELECT range AS x FROM range(5)');
    expect(rows(e.query('SELECT sum(x)::INTEGER AS s FROM made'))).toEqual([{ s: 10 }]);
  });
});

describe('types as apache-arrow 21 reads them', () => {
  it('maps DuckDB types to Arrow types (see README); DECIMAL and HUGEINT come out as Float64', () => {
    const out = e.query(`SELECT 1::BIGINT AS big, sum(x) AS hsum, sum(x)::BIGINT AS bsum, 1.25::DECIMAL(10,2) AS dec, 2.5::DOUBLE AS dbl,
      'hi' AS str, true AS bool, DATE '2024-01-02' AS d, TIMESTAMP '2024-01-02 03:04:05' AS ts FROM range(3) t(x)`);
    expect(schemaOf(out)).toEqual(['big:Int64', 'hsum:Float64', 'bsum:Int64', 'dec:Float64', 'dbl:Float64', 'str:Utf8', 'bool:Bool', 'd:Date32<DAY>', 'ts:Timestamp<MICROSECOND>']);
    const row = arrow.tableFromIPC(out).get(0)!;
    expect(row['big']).toBe(1n);
    expect(row['bsum']).toBe(3n);
    expect(row['hsum']).toBe(3);
    expect(row['dec']).toBe(1.25);
    expect(row['dbl']).toBe(2.5);
    expect(row['str']).toBe('hi');
    expect(row['bool']).toBe(true);
    expect(row['d']).toBe(Date.UTC(2024, 0, 2));
    expect(row['ts']).toBe(Date.UTC(2024, 0, 2, 3, 4, 5));
  });
});

describe('queryPartitioned', () => {
  it('puts every row in exactly one part, equal keys in the same part, and keeps empty parts with their schema', () => {
    const n = 1000;
    e.load('p', ipc({ k: Int32Array.from({ length: n }, (_, i) => i % 37), v: Float64Array.from({ length: n }, (_, i) => i) }));
    for (const parts of [1, 2, 8, 64]) {
      const out = e.queryPartitioned('SELECT k, v FROM p', ['k'], parts);
      expect(out).toHaveLength(parts);
      const seen = new Map<number, number>();
      let total = 0;
      let sum = 0;
      out.forEach((bytes, part) => {
        expect(schemaOf(bytes)).toEqual(['k:Int32', 'v:Float64']);
        for (const row of rows(bytes)) {
          const k = row['k'] as number;
          if (seen.has(k)) expect(seen.get(k)).toBe(part);
          seen.set(k, part);
          total += 1;
          sum += row['v'] as number;
        }
      });
      expect(total).toBe(n);
      expect(sum).toBe((n * (n - 1)) / 2);
      if (parts === 64) expect(out.some((bytes) => arrow.tableFromIPC(bytes).numRows === 0)).toBe(true);
    }
    expect(e.queryPartitioned('SELECT k, sum(v) AS s FROM p GROUP BY k', ['k'], 4).reduce((a, b) => a + arrow.tableFromIPC(b).numRows, 0)).toBe(37);
  });

  it('hashes several key columns, and its empty parts load back as empty tables', () => {
    e.load('p2', ipc({ a: Int32Array.from([1, 1, 2, 2]), b: ['x', 'y', 'x', 'x'] }));
    const out = e.queryPartitioned('SELECT * FROM p2', ['a', 'b'], 16);
    const where = new Map<string, number>();
    out.forEach((bytes, part) => rows(bytes).forEach((row) => where.set(`${row['a']}${row['b']}`, part)));
    expect([...where.keys()].sort()).toEqual(['1x', '1y', '2x']);
    const empty = out.find((bytes) => arrow.tableFromIPC(bytes).numRows === 0)!;
    e.load('fromEmpty', empty);
    expect(schemaOf(e.query('SELECT * FROM fromEmpty'))).toEqual(['a:Int32', 'b:Utf8']);
  });

  it('refuses a bad part count or no keys', () => {
    expect(() => e.queryPartitioned('SELECT 1 AS k', ['k'], 0)).toThrow(/whole number/);
    expect(() => e.queryPartitioned('SELECT 1 AS k', [], 2)).toThrow(/key/);
  });
});

describe('files', () => {
  it('writes CSV with the options given, and reads CSV from a registered buffer', () => {
    const csv = new TextDecoder().decode(e.write("SELECT 1 AS a, 'x' AS b UNION ALL SELECT 2, 'y' ORDER BY a", 'csv', { delimiter: ';' }));
    expect(csv).toBe('a;b\n1;x\n2;y\n');
    expect(new TextDecoder().decode(e.write('SELECT 1 AS a', 'csv', { header: false }))).toBe('1\n');
    e.registerBuffer('in.csv', new TextEncoder().encode('a,b\n1,2\n3,4\n'));
    expect(rows(e.query("SELECT sum(a + b)::INTEGER AS s FROM read_csv('in.csv')"))).toEqual([{ s: 10 }]);
    const big = e.write('SELECT range AS id, range % 10 AS g FROM range(10000)', 'csv');
    e.registerBuffer('big.csv', big);
    expect(rows(e.query("SELECT count(*)::INTEGER AS n, sum(id)::BIGINT AS s FROM read_csv('big.csv')"))).toEqual([{ n: 10000, s: 49995000n }]);
  });

  it('says so when Parquet is not there (DuckDB-WASM fetches it as an extension; the Node engine does not autoload)', () => {
    expect(() => e.write('SELECT 1 AS a', 'parquet')).toThrow(/parquet extension/);
    expect(() => e.write('SELECT 1 AS a', 'json' as never)).toThrow(/'parquet' or 'csv'/);
  });
});

describe('scopes and reset', () => {
  it('keeps sessions apart and reset drops only its own tables and files', () => {
    const a = db.session();
    const b = db.session();
    a.load('same', ipc({ x: Int32Array.from([1]) }));
    b.load('same', ipc({ x: Int32Array.from([2, 3]) }));
    expect(rows(a.query('SELECT sum(x)::INTEGER AS s FROM same'))).toEqual([{ s: 1 }]);
    expect(rows(b.query('SELECT sum(x)::INTEGER AS s FROM same'))).toEqual([{ s: 5 }]);
    a.registerBuffer('a.csv', new TextEncoder().encode('q\n7\n'));
    a.exec('CREATE VIEW v AS SELECT 1 AS one');
    a.reset();
    expect(() => a.query('SELECT * FROM same')).toThrow(/same/);
    expect(() => a.query('SELECT * FROM v')).toThrow(/v/);
    expect(() => a.query("SELECT * FROM read_csv('a.csv')")).toThrow(ShoalError);
    expect(rows(b.query('SELECT sum(x)::INTEGER AS s FROM same'))).toEqual([{ s: 5 }]);
    a.load('again', ipc({ x: Int32Array.from([4]) }));
    expect(rows(a.query('SELECT x FROM again'))).toEqual([{ x: 4 }]);
    a.close();
    expect(() => a.query('SELECT 1')).toThrow(/closed/);
    b.close();
  });

  it('shares one engine per process', async () => {
    expect(await loadNodeEngine()).toBe(await loadNodeEngine());
  });
});

describe('errors', () => {
  it('surface as ERR_ENGINE with DuckDB message', () => {
    const caught = (work: () => unknown): ShoalError => {
      try {
        work();
      } catch (thrown) {
        return thrown as ShoalError;
      }
      throw new Error('did not throw');
    };
    const missing = caught(() => e.query('SELECT * FROM no_such_table'));
    expect(missing).toBeInstanceOf(ShoalError);
    expect(missing.code).toBe('ERR_ENGINE');
    expect(missing.message).toMatch(/Catalog Error: Table with name no_such_table does not exist/);
    expect(caught(() => e.exec('SELEC 1')).message).toMatch(/Parser Error: syntax error/);
    const bad = caught(() => e.load('junk', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])));
    expect(bad.code).toBe('ERR_ENGINE');
    e.load('good', ipc({ x: Int32Array.from([5]) })); // a failed load leaves the connection usable
    expect(rows(e.query('SELECT x FROM good'))).toEqual([{ x: 5 }]);
    expect(caught(() => e.write('SELECT * FROM nope', 'csv')).message).toMatch(/nope/);
    expect(caught(() => e.load('none', [])).message).toMatch(/at least one/);
  });
});

describe('kept tables', () => {
  it('loads once per key, and serves later sessions the same table without calling blocks()', () => {
    const first = db.session();
    let calls = 0;
    const block = ipc({ k: Int32Array.from([1, 2, 3]), v: Float64Array.from([1, 2, 3]) });
    const name = first.keep('obj-1', () => (calls++, block), block.byteLength)!;
    expect(name).toMatch(/^main\./);
    expect(rows(first.query(`SELECT sum(v) AS s FROM ${name}`))).toEqual([{ s: 6 }]);
    first.close();
    const second = db.session();
    expect(second.keep('obj-1', () => (calls++, block), block.byteLength)).toBe(name);
    expect(calls).toBe(1);
    expect(rows(second.query(`SELECT count(*)::INTEGER AS n FROM ${name}`))).toEqual([{ n: 3 }]);
    second.close();
  });

  it('answers null for what does not fit the budget', () => {
    const s = db.session();
    const big = ipc({ k: Int32Array.from({ length: 10 }, (_, i) => i) });
    expect(s.keep('too-big', () => big, 2 ** 40)).toBeNull();
    s.close();
  });

  it('queryAndKeep answers the query and keeps its result in order under the key, unless a type would read back otherwise', () => {
    const s = db.session();
    const out = s.queryAndKeep('obj-sorted', 'SELECT (i * 7) % 10 AS k, i::DOUBLE AS v FROM range(10) t(i) ORDER BY k');
    expect(rows(out).map((r) => Number(r['k']))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(s.kept('obj-sorted')).toBe(true);
    s.close();
    const next = db.session();
    let calls = 0;
    const name = next.keep('obj-sorted', () => (calls++, out), out.byteLength)!;
    expect(calls).toBe(0);
    expect(rows(next.query(`SELECT k FROM ${name}`)).map((r) => Number(r['k']))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // DECIMAL reads back from Arrow as DOUBLE (castDecimalToDouble): not kept, answered all the same.
    const dec = next.queryAndKeep('obj-decimal', 'SELECT 1.25::DECIMAL(10, 2) AS d');
    expect(rows(dec)).toEqual([{ d: 1.25 }]);
    expect(next.kept('obj-decimal')).toBe(false);
    next.close();
  });

  it('keeps strings that repeat dictionary-encoded, in a compressed catalog, rows in order; other columns as they are', () => {
    const s = db.session();
    // 20k rows: `few` has 10 values, `many` is distinct per row; ordered by v descending.
    const sql = "SELECT 'id' || (i % 10) AS few, 'row' || i AS many, (20000 - i)::DOUBLE AS v FROM range(20000) t(i) ORDER BY v";
    const out = s.queryAndKeep('obj-repetitive', sql);
    const fresh = rows(out);
    expect(fresh.length).toBe(20000);
    expect(fresh[0]).toEqual({ few: 'id9', many: 'row19999', v: 1 });
    s.close();
    const next = db.session();
    const name = next.keep('obj-repetitive', () => new Uint8Array(0), 0)!;
    expect(name).toMatch(/^shoal_kept\.main\./);
    const table = name.split('.').pop()!.replaceAll('"', '');
    const storage = rows(next.query(`SELECT column_name AS c, string_agg(DISTINCT compression, ',') AS how FROM pragma_storage_info('shoal_kept.main.${table}') WHERE segment_type <> 'VALIDITY' GROUP BY ALL ORDER BY c`));
    expect(storage).toEqual([{ c: 'few', how: 'DICT_FSST' }, { c: 'many', how: 'Uncompressed' }, { c: 'v', how: 'Uncompressed' }]);
    // The kept rows are the answer's rows in the answer's order, and group as the answer does.
    expect(rows(next.query(`SELECT * FROM ${name}`))).toEqual(fresh);
    expect(rows(next.query(`SELECT few, count(*)::INTEGER AS n FROM ${name} GROUP BY few ORDER BY few`))).toEqual(Array.from({ length: 10 }, (_, i) => ({ few: `id${i}`, n: 2000 })));
    // A hit answers from the kept table; eviction drops it from its catalog.
    expect(rows(next.queryAndKeep('obj-repetitive', 'SELECT 1 AS never'))).toEqual(fresh);
    next.close();
  });
});
