/**
 * The data client against a real signaling server (Node's fetch stands in for
 * the browser's): grants, listing, ranges, Parquet footers written by native
 * DuckDB, uploads, and errors as ShoalErrors with their codes.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { startSignalingServer, type RunningServer } from '@shoal/signaling-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataClient, dataClientForPage, grantExpiresAt, putDataFile, type DataClient } from './index.ts';

let base: string;
let server: RunningServer;
let coordinator: DataClient;
let worker: DataClient;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'shoal-data-client-'));
  await mkdir(path.join(base, 'events'), { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  for (const part of [0, 1]) {
    await connection.run(
      `COPY (SELECT (i + ${part * 5000})::BIGINT AS id, 'n' || i AS name, i * 0.5 AS score, DATE '2024-01-01' + (i % 365)::INTEGER AS day,
              CASE WHEN i % 10 = 0 THEN NULL ELSE i END AS maybe
            FROM range(0, 5000) t(i) ORDER BY i)
       TO '${path.join(base, 'events', `part-${part}.parquet`)}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`,
    );
  }
  connection.closeSync();
  await writeFile(path.join(base, 'events', 'notes.csv'), 'a,b\n1,2\n');
  server = await startSignalingServer({ port: 0, host: '127.0.0.1', staticDir: '/nonexistent', quiet: true, dataDir: base });
  const grant = server.createRoom();
  coordinator = createDataClient({ baseUrl: `${server.url}/`, token: grant.coordinatorToken });
  worker = createDataClient({ baseUrl: server.url, token: grant.workerToken });
});

afterAll(async () => {
  await server.close();
  await rm(base, { recursive: true, force: true });
});

describe('createDataClient', () => {
  it('lists by glob and reads Parquet footers: row groups with min, max and null counts as plain JSON', async () => {
    const files = await coordinator.list('events/*.parquet');
    expect(files.map((f) => f.path)).toEqual(['events/part-0.parquet', 'events/part-1.parquet']);
    const meta = await coordinator.parquetMetadata('events/part-1.parquet');
    expect(meta.numRows).toBe(5000);
    expect(meta.columns).toEqual([
      { name: 'id', type: 'INT64', physicalType: 'INT64', nullable: true },
      { name: 'name', type: 'STRING', physicalType: 'BYTE_ARRAY', nullable: true },
      { name: 'score', type: expect.stringMatching(/^DECIMAL\(/), physicalType: expect.any(String), nullable: true },
      { name: 'day', type: 'DATE', physicalType: 'INT32', nullable: true },
      { name: 'maybe', type: 'INT64', physicalType: 'INT64', nullable: true },
    ]);
    expect(meta.rowGroups.length).toBeGreaterThan(1);
    expect(meta.rowGroups.reduce((sum, g) => sum + g.numRows, 0)).toBe(5000);
    const [first] = meta.rowGroups;
    expect(first!.columns['id']).toEqual({ min: 5000, max: 5000 + first!.numRows - 1, nullCount: 0 });
    expect(first!.columns['day']!.min).toBe('2024-01-01T00:00:00.000Z');
    expect(first!.columns['maybe']!.nullCount).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(meta))).toEqual(meta);
  });

  it('reads byte ranges, and builds absolute file URLs any tab can fetch', async () => {
    expect(new TextDecoder().decode(await coordinator.readBytes('events/notes.csv', { start: 4, end: 7 }))).toBe('1,2');
    expect(new TextDecoder().decode(await worker.readBytes('events/notes.csv'))).toBe('a,b\n1,2\n');
    const tail = await coordinator.readBytes('events/part-0.parquet', { start: (await coordinator.list('events/part-0.parquet'))[0]!.size - 4 });
    expect(new TextDecoder().decode(tail)).toBe('PAR1');
    const url = coordinator.fileUrl('events/notes.csv', await coordinator.readGrant());
    expect(url).toMatch(new RegExp(`^${server.url}/data/files/events/notes\\.csv\\?grant=shoalg1\\.`));
    expect(await (await fetch(url)).text()).toBe('a,b\n1,2\n');
  });

  it('keeps one read grant until it nears expiry', async () => {
    const first = await coordinator.readGrant();
    expect(await coordinator.readGrant()).toBe(first);
    expect(grantExpiresAt(first)).toBeGreaterThan(Date.now() + 30 * 60_000);
  });

  it('writes through a write grant (putFile, and putDataFile as a task would), only under its directory', async () => {
    const w = await coordinator.grantWrite('out/x', 'overwrite');
    expect(await coordinator.putFile('out/x/part-0.csv', new TextEncoder().encode('x\n1\n'), w)).toEqual({ path: 'out/x/part-0.csv', size: 4 });
    expect(await putDataFile(coordinator.fileUrl('out/x/part-1.csv', w), 'x\n2\n')).toEqual({ path: 'out/x/part-1.csv', size: 4 });
    expect(await readFile(path.join(base, 'out', 'x', 'part-1.csv'), 'utf8')).toBe('x\n2\n');
    expect((await coordinator.list('out/x')).map((f) => f.path)).toEqual(['out/x/part-0.csv', 'out/x/part-1.csv']);
    await expect(coordinator.putFile('events/evil.csv', 'x', w)).rejects.toMatchObject({ name: 'ShoalError', code: 'ERR_UNAUTHORIZED' });
  });

  it('answers errors as ShoalErrors: ERR_PATH_EXISTS, ERR_BAD_PATH, ERR_READ_FAILED naming the file, ERR_UNAUTHORIZED', async () => {
    await expect(coordinator.grantWrite('events')).rejects.toMatchObject({ code: 'ERR_PATH_EXISTS', message: expect.stringMatching(/events already exists/) });
    await expect(worker.grantWrite('out/w', 'overwrite')).rejects.toMatchObject({ code: 'ERR_UNAUTHORIZED', message: expect.stringMatching(/only the coordinator/) });
    await expect(coordinator.list('../*')).rejects.toMatchObject({ code: 'ERR_BAD_PATH' });
    // URLs would resolve `..` before the request leaves, so the client refuses such paths itself.
    expect(() => coordinator.fileUrl('events/../../secret', 'g')).toThrow(/not a data path/);
    await expect(coordinator.readBytes('../secret')).rejects.toMatchObject({ code: 'ERR_BAD_PATH' });
    await expect(coordinator.readBytes('events/missing.parquet')).rejects.toMatchObject({ code: 'ERR_READ_FAILED', message: expect.stringMatching(/events\/missing\.parquet/) });
    await expect(coordinator.parquetMetadata('events/missing.parquet')).rejects.toMatchObject({ code: 'ERR_READ_FAILED', message: expect.stringMatching(/events\/missing\.parquet/) });
    await expect(coordinator.parquetMetadata('events/notes.csv')).rejects.toMatchObject({ code: 'ERR_READ_FAILED', message: expect.stringMatching(/notes\.csv.*PAR1/) });
    await expect(putDataFile(coordinator.fileUrl('out/x/a.csv', await coordinator.readGrant()), 'x')).rejects.toMatchObject({ code: 'ERR_UNAUTHORIZED' });
    await expect(createDataClient({ baseUrl: server.url }).list('events')).rejects.toMatchObject({ code: 'ERR_UNAUTHORIZED' });
    expect(() => createDataClient({ baseUrl: '/relative' })).toThrow(/absolute URL/);
  });
});

describe('dataClientForPage', () => {
  it('takes the origin and the token from the page link, else the stored coordinator token', async () => {
    const grant = server.createRoom({ room: 'pageroom' });
    const fromLink = dataClientForPage({ origin: server.url, search: `?room=pageroom&token=${encodeURIComponent(grant.coordinatorToken)}` }, undefined);
    expect(fromLink.baseUrl).toBe(server.url);
    expect((await fromLink.list('events/notes.csv')).length).toBe(1);
    const stored = { getItem: (key: string) => (key === 'shoal.token.coordinator.pageroom' ? grant.coordinatorToken : null) };
    const fromStorage = dataClientForPage({ origin: server.url, search: '?room=pageroom' }, stored);
    expect(await fromStorage.grantWrite('out/page', 'overwrite')).toMatch(/^shoalg1\.pageroom\.w\./);
    // Workers on other devices get file URLs with the join link's base; the page's own reads stay on its origin.
    const lan = dataClientForPage({ origin: server.url, search: `?room=pageroom&token=${encodeURIComponent(grant.coordinatorToken)}&joinBase=${encodeURIComponent('http://192.0.2.7:8080/')}` }, undefined);
    expect(lan.fileUrl('events/notes.csv', 'g')).toBe('http://192.0.2.7:8080/data/files/events/notes.csv?grant=g');
    expect(new TextDecoder().decode(await lan.readBytes('events/notes.csv'))).toBe('a,b\n1,2\n');
  });
});
