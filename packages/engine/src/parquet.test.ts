import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as arrow from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadNodeParquetCodec } from './nodeParquet.ts';

// A Parquet file written by native DuckDB with 10 row groups, served with Range support; every request is logged.
let dir = '';
let bytes: Uint8Array;
let server: Server;
let url = '';
const served: { range: string | null; sent: number }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-pq-'));
  const file = join(dir, 't.parquet');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`COPY (SELECT i AS id, i * 2.0 AS v, 'name' || (i % 100) AS s FROM range(204800) t(i)) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 20480)`);
  c.closeSync();
  bytes = new Uint8Array(readFileSync(file));
  server = createServer((req, res) => {
    if (req.url?.startsWith('/x.csv')) {
      res.writeHead(206, { 'content-type': 'text/csv' });
      return void res.end('a,b\n1,2\n');
    }
    if (!req.url?.startsWith('/t.parquet')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('no such file');
    }
    const range = req.headers.range ?? null;
    const m = range ? /bytes=(\d*)-(\d*)/.exec(range) : null;
    let [start, end] = [0, bytes.length - 1];
    if (m) [start, end] = m[1] === '' ? [bytes.length - Number(m[2]), bytes.length - 1] : [Number(m[1]), m[2] === '' ? bytes.length - 1 : Math.min(bytes.length - 1, Number(m[2]))];
    const body = bytes.subarray(start, end + 1);
    served.push({ range, sent: req.method === 'HEAD' ? 0 : body.length });
    res.writeHead(m ? 206 : 200, { 'content-length': body.length, 'accept-ranges': 'bytes', ...(m ? { 'content-range': `bytes ${start}-${end}/${bytes.length}` } : {}) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/t.parquet?g=token`;
}, 60_000);

afterAll(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ParquetCodec.readUrl', () => {
  it('reads only the chosen row groups and columns, by Range requests', async () => {
    const codec = await loadNodeParquetCodec();
    served.length = 0;
    const table = arrow.tableFromIPC(await codec.readUrl(url, { rowGroups: [3, 7], columns: ['id', 's'] }));
    expect(table.schema.fields.map((f) => f.name)).toEqual(['id', 's']);
    expect(table.numRows).toBe(40960);
    const ids = table.getChild('id')!.toArray() as BigInt64Array;
    expect(Number(ids[0])).toBe(3 * 20480);
    expect(Number(ids[20480])).toBe(7 * 20480);
    expect(table.getChild('s')!.get(1)).toBe(`name${(3 * 20480 + 1) % 100}`);
    expect(served.length).toBeGreaterThan(0);
    expect(served.every((r) => r.range !== null)).toBe(true);
    expect(served.reduce((n, r) => n + r.sent, 0)).toBeLessThan(bytes.length / 3);
  });

  it('reads the whole file with no options, and rejects a file it cannot get', async () => {
    const codec = await loadNodeParquetCodec();
    expect(arrow.tableFromIPC(await codec.readUrl(url)).numRows).toBe(204800);
    await expect(codec.readUrl(url.replace('t.parquet', 'missing.parquet'))).rejects.toThrow(/HTTP 404 no such file/);
    await expect(codec.readUrl(url.replace('t.parquet', 'x.csv'))).rejects.toThrow(/not a Parquet file/);
  });
});
