/**
 * A CSV bigger than maxPartitionBytes is read by several tasks, each fetching
 * its byte range by HTTP Range and keeping the lines that start in it: every
 * row exactly once, whatever the cut points. A real HTTP server, the real
 * engine, in process.
 */
import * as arrow from 'apache-arrow';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataClient } from '@shoal/data';
import { dataFrameApi } from './api.ts';
import { localCluster } from './testCluster.ts';

const rows = Array.from({ length: 2000 }, (_, i) => `${i},name ${i % 17},${(i * 7) % 101}.25`);
const csv = `id,name,score\n${rows.join('\n')}\n`;
const bytes = new TextEncoder().encode(csv);
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const range = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '');
    if (!range) return void res.writeHead(200, { 'Content-Length': bytes.length }).end(Buffer.from(bytes));
    const from = Number(range[1]);
    if (from >= bytes.length) return void res.writeHead(416).end();
    const to = Math.min(bytes.length - 1, Number(range[2]));
    res.writeHead(206, { 'Content-Length': to - from + 1, 'Content-Range': `bytes ${from}-${to}/${bytes.length}` }).end(Buffer.from(bytes.subarray(from, to + 1)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

function dataClient(): DataClient {
  return {
    baseUrl: base,
    list: async () => [{ path: 'big.csv', size: bytes.length, mtime: 0 }],
    readBytes: async (_p: string, r?: { start: number; end?: number }) => bytes.subarray(r?.start ?? 0, r?.end ?? bytes.length),
    readGrant: async () => 'g',
    fileUrl: (p: string) => `${base}/${p}`,
  } as unknown as DataClient;
}

describe('CSV split by byte ranges', { timeout: 120_000 }, () => {
  it.each([997, 4096, 10_000])('every row once with %d-byte parts', async (partBytes) => {
    const c = { ...dataFrameApi(localCluster(2), dataClient()), arrow };
    c.conf.set('maxPartitionBytes', partBytes);
    const df = c.read.csv('big.csv');
    const out = await df.agg(c.count('*').alias('n'), c.sum('id').alias('s'), c.countDistinct('id').alias('d')).collect();
    expect(out).toEqual([{ n: 2000, s: (1999 * 2000) / 2, d: 2000 }]);
    const tasks = c.dataFrameSession.history.at(-1)!.detail[0]!.tasks;
    expect(tasks).toBe(Math.ceil(bytes.length / partBytes));
  });

  it('a part that runs out of memory is read in pieces of its byte range, the header in the first only: every row once', async () => {
    // A scan task fails as a worker's memory cap would while its byte range is over 3000 bytes.
    const tooBig = (args: readonly unknown[]) => ((args[0] as { fetches?: { range?: { limit: number } }[] }).fetches ?? []).some((f) => (f.range?.limit ?? 0) > 3000);
    const c = { ...dataFrameApi(localCluster(2, { memoryError: tooBig }), dataClient()), arrow };
    c.conf.set('maxPartitionBytes', 10_000);
    const out = await c.read.csv('big.csv').agg(c.count('*').alias('n'), c.sum('id').alias('s'), c.countDistinct('id').alias('d')).collect();
    expect(out).toEqual([{ n: 2000, s: (1999 * 2000) / 2, d: 2000 }]);
    const notes = c.dataFrameSession.history.at(-1)!.detail[0]!.notes.join('\n');
    expect(notes).toMatch(/partition 0 split in 4 after a memory error \(by byte ranges of its file part\)/);
  });
});
