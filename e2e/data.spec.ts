/**
 * The data folder end to end: a local cluster whose server serves a temp
 * folder holding Parquet written by native DuckDB and a CSV. A job (in the
 * coordinator tab) lists by glob, reads Parquet footers and byte ranges
 * through `cluster.dataClient`, and tasks on worker tabs read and write files
 * through grants riding in their arguments. Refusals: a write without a grant,
 * a read grant used to write, `..` paths, errorIfExists on an existing dir.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect, test } from '@playwright/test';
import { cluster, job } from './helpers.ts';

let dataDir: string;

test.beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'shoal-e2e-data-'));
  await mkdir(path.join(dataDir, 'events'), { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  await connection.run(
    `COPY (SELECT i::BIGINT AS id, 'user' || (i % 7) AS who, i * 0.25 AS amount FROM range(0, 6000) t(i) ORDER BY i)
     TO '${path.join(dataDir, 'events', 'part-0.parquet')}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`,
  );
  connection.closeSync();
  await writeFile(path.join(dataDir, 'events', 'notes.csv'), 'id,note\n1,hello\n2,world\n');
  await writeFile(path.join(dataDir, 'events', '_SUCCESS'), '');
  await mkdir(path.join(dataDir, 'existing'));
  await writeFile(path.join(dataDir, 'existing', 'keep.csv'), 'k\n1\n');
});

test.afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

test('a job lists, reads footers and ranges, and its tasks read and write through grants', async () => {
  const shoal = await cluster({ workers: 2, dataDir });
  try {
    const outcome = await shoal.runJob(
      job(`
        const data = cluster.dataClient;
        const codeOf = async (promise) => { try { await promise; return 'no error'; } catch (e) { return e.code + ': ' + e.message; } };
        const parquet = await data.list('events/*.parquet');
        const everything = await data.list('events');
        const meta = await data.parquetMetadata('events/part-0.parquet');
        const head = new TextDecoder().decode(await data.readBytes('events/notes.csv', { start: 0, end: 7 }));

        const read = await data.readGrant();
        const write = await data.grantWrite('out/run', 'overwrite');
        // Tasks get URLs with grants in their arguments and use plain fetch in their Web Workers.
        const put = cluster.remote(async (url, text) => {
          const res = await fetch(url, { method: 'PUT', body: new TextEncoder().encode(text) });
          return { status: res.status, body: await res.json() };
        });
        const get = cluster.remote(async (url, range) => {
          const res = await fetch(url, range ? { headers: { Range: range } } : {});
          return { status: res.status, text: await res.text(), contentRange: res.headers.get('content-range') };
        });
        const written = await cluster.get([
          put(data.fileUrl('out/run/part-0.csv', write), 'x\\n1\\n'),
          put(data.fileUrl('out/run/part-1.csv', write), 'x\\n2\\n'),
        ]);
        const [ranged, whole] = await cluster.get([
          get(data.fileUrl('events/notes.csv', read), 'bytes=8-15'),
          get(data.fileUrl('out/run/part-1.csv', read), null),
        ]);
        const afterWrite = await data.list('out/run');

        const noGrant = await fetch(data.baseUrl + '/data/files/out/run/evil.csv', { method: 'PUT', body: 'evil' });
        const readGrantWrite = await cluster.get(put(data.fileUrl('out/run/evil.csv', read), 'evil'));
        const escape = await fetch(data.baseUrl + '/data/files/events/..%2F..%2Fetc%2Fpasswd?grant=' + encodeURIComponent(read));
        return {
          parquet, everything: everything.map((f) => f.path), meta, head, written, ranged, whole,
          afterWrite: afterWrite.map((f) => f.path),
          noGrant: [noGrant.status, (await noGrant.json()).error.code],
          readGrantWrite,
          escape: [escape.status, (await escape.json()).error.code],
          listDotDot: await codeOf(data.list('../*')),
          readDotDot: await codeOf(data.readBytes('events/../../etc/passwd')),
          exists: await codeOf(data.grantWrite('existing', 'errorIfExists')),
          missing: await codeOf(data.parquetMetadata('events/nope.parquet')),
        };
      `),
      'data',
    );
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    if (!outcome.ok) return;
    const r = outcome.result as Record<string, any>;
    expect(r.parquet).toEqual([{ path: 'events/part-0.parquet', size: expect.any(Number), mtime: expect.any(Number) }]);
    expect(r.everything).toEqual(['events/notes.csv', 'events/part-0.parquet']);
    expect(r.meta.numRows).toBe(6000);
    expect(r.meta.columns.map((c: { name: string; type: string }) => `${c.name}:${c.type}`)).toEqual(['id:INT64', 'who:STRING', expect.stringMatching(/^amount:DECIMAL/)]);
    expect(r.meta.rowGroups.length).toBeGreaterThan(1);
    expect(r.meta.rowGroups[0].columns.id).toEqual({ min: 0, max: r.meta.rowGroups[0].numRows - 1, nullCount: 0 });
    expect(r.meta.rowGroups[0].columns.who).toMatchObject({ min: 'user0', max: 'user6' });
    expect(r.head).toBe('id,note');
    expect(r.written).toEqual([
      { status: 201, body: { path: 'out/run/part-0.csv', size: 4 } },
      { status: 201, body: { path: 'out/run/part-1.csv', size: 4 } },
    ]);
    expect(r.ranged).toEqual({ status: 206, text: '1,hello\n', contentRange: 'bytes 8-15/24' });
    expect(r.whole).toEqual({ status: 200, text: 'x\n2\n', contentRange: null });
    expect(r.afterWrite).toEqual(['out/run/part-0.csv', 'out/run/part-1.csv']);
    expect(await readFile(path.join(dataDir, 'out', 'run', 'part-0.csv'), 'utf8')).toBe('x\n1\n');

    expect(r.noGrant).toEqual([401, 'ERR_UNAUTHORIZED']);
    expect(r.readGrantWrite.status).toBe(403);
    expect(r.readGrantWrite.body.error.message).toMatch(/a read grant cannot be used for writing/);
    expect(r.escape).toEqual([400, 'ERR_BAD_PATH']);
    expect(r.listDotDot).toMatch(/^ERR_BAD_PATH: .*\.\. segments/);
    expect(r.readDotDot).toMatch(/^ERR_BAD_PATH: /);
    expect(r.exists).toMatch(/^ERR_PATH_EXISTS: .*existing already exists/);
    expect(r.missing).toMatch(/^ERR_READ_FAILED: .*events\/nope\.parquet/);
    expect(await readdir(path.join(dataDir, 'existing'))).toEqual(['keep.csv']);
    expect(await readdir(path.join(dataDir, 'out', 'run'))).toEqual(['part-0.csv', 'part-1.csv']);
    expect(shoal.pageErrors).toEqual([]);
  } finally {
    await shoal.close();
  }
});
