/**
 * `/data/*` over real HTTP: grants from join tokens, listing, files with
 * ranges, uploads through write grants, and every refusal (containment,
 * wrong grant, worker asking to write, errorIfExists, size cap, CORS).
 */
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseGrantRequest } from './dataEndpoint.ts';
import { GrantSigner } from './dataGrants.ts';
import { startSignalingServer, type RunningServer, type ServerOptions } from './index.ts';
import { secretFrom } from './tokens.ts';

const SECRET = '0123456789abcdef0123456789abcdef';
let base: string;
let dataDir: string;
let server: RunningServer;
let coordinatorToken: string;
let workerToken: string;
let room: string;

async function start(options: ServerOptions = {}): Promise<void> {
  await server?.close();
  server = await startSignalingServer({ port: 0, host: '127.0.0.1', staticDir: '/nonexistent', quiet: true, secret: SECRET, dataDir, ...options });
  ({ room, coordinatorToken, workerToken } = server.createRoom());
}

beforeEach(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'shoal-data-http-'));
  dataDir = path.join(base, 'data');
  await mkdir(path.join(dataDir, 'events'), { recursive: true });
  await writeFile(path.join(dataDir, 'events', 'a.csv'), 'id,v\n1,10\n2,20\n');
  await writeFile(path.join(dataDir, 'events', 'b.csv'), 'id,v\n3,30\n');
  await writeFile(path.join(dataDir, 'events', '_SUCCESS'), '');
  await writeFile(path.join(base, 'secret.txt'), 'TOPSECRET');
  await symlink(path.join(base, 'secret.txt'), path.join(dataDir, 'leak.txt'));
  await start();
});

afterEach(async () => {
  await server.close();
  await rm(base, { recursive: true, force: true });
});

async function grant(body: unknown, token: string | null = coordinatorToken): Promise<{ status: number; body: Record<string, string> & { error?: { code: string; message: string } } }> {
  const res = await fetch(`${server.url}/data/grant`, {
    method: 'POST',
    headers: token === null ? {} : { Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as never };
}

async function readGrant(): Promise<string> {
  const answer = await grant({ read: true });
  expect(answer.status).toBe(200);
  return answer.body['read']!;
}

const fileUrl = (p: string, g: string) => `${server.url}/data/files/${p}?grant=${encodeURIComponent(g)}`;

describe('POST /data/grant', () => {
  it('gives a read grant to a coordinator or worker token, a write grant only to the coordinator', async () => {
    expect((await grant({ read: true }, workerToken)).body['read']).toMatch(/^shoalg1\./);
    const write = await grant({ write: { dir: 'out/x', mode: 'overwrite' }, read: true });
    expect(write.status).toBe(200);
    expect(write.body).toMatchObject({ room, dir: 'out/x', write: expect.stringMatching(/^shoalg1\./), read: expect.stringMatching(/^shoalg1\./) });
    const refused = await grant({ write: { dir: 'out/y', mode: 'overwrite' } }, workerToken);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({ code: 'ERR_UNAUTHORIZED', message: expect.stringMatching(/only the coordinator token may get a write grant/) });
  });

  it('takes the token from the body too, and refuses without one, with a forged one or an expired one', async () => {
    expect((await grant({ read: true, token: workerToken }, null)).status).toBe(200);
    const none = await grant({ read: true }, null);
    expect(none.status).toBe(401);
    expect(none.body.error!.message).toMatch(/needs a join token/);
    expect((await grant({ read: true }, `${coordinatorToken.slice(0, -2)}xx`)).status).toBe(401);
    const expired = server.mintToken(room, 'coordinator', { expiresAt: Date.now() - 1000 });
    expect((await grant({ read: true }, expired)).body.error!.code).toBe('ERR_TOKEN_EXPIRED');
  });

  it('refuses errorIfExists on a non-empty directory (409 ERR_PATH_EXISTS); overwrite empties it; append keeps it', async () => {
    const exists = await grant({ write: { dir: 'events', mode: 'errorIfExists' } });
    expect(exists.status).toBe(409);
    expect(exists.body.error).toEqual({ code: 'ERR_PATH_EXISTS', message: expect.stringMatching(/^ERR_PATH_EXISTS: events already exists/) });
    expect((await grant({ write: { dir: 'fresh' } })).status).toBe(200); // errorIfExists is the default
    expect((await grant({ write: { dir: 'events', mode: 'append' } })).status).toBe(200);
    expect(await readdir(path.join(dataDir, 'events'))).toHaveLength(3);
    expect((await grant({ write: { dir: 'events', mode: 'overwrite' } })).status).toBe(200);
    expect(await readdir(path.join(dataDir, 'events'))).toEqual([]);
  });

  it('refuses write directories outside the folder, the folder itself, and bad bodies', async () => {
    expect((await grant({ write: { dir: '../x', mode: 'overwrite' } })).body.error!.code).toBe('ERR_BAD_PATH');
    expect((await grant({ write: { dir: '/tmp', mode: 'overwrite' } })).status).toBe(400);
    expect((await grant({ write: { dir: '', mode: 'overwrite' } })).body.error!.message).toMatch(/not the folder itself/);
    await symlink(base, path.join(dataDir, 'up'));
    const outside = await grant({ write: { dir: 'up', mode: 'overwrite' } });
    expect(outside.status).toBe(403);
    expect(await readFile(path.join(base, 'secret.txt'), 'utf8')).toBe('TOPSECRET');
    expect((await grant({ write: { dir: 'x', mode: 'replace' } })).body.error!.message).toMatch(/must be one of errorIfExists, overwrite, append/);
    expect(parseGrantRequest('{"reed":true}', 100)).toMatch(/unknown field "reed"; valid ones are/);
    expect(parseGrantRequest('{}', 100)).toMatch(/ask for something/);
    expect(parseGrantRequest('{"read":true,"ttlSeconds":1000}', 100)).toMatch(/ttlSeconds/);
  });
});

describe('GET /data/list', () => {
  it('lists a glob, a directory and a file, sorted, with size and mtime', async () => {
    const g = await readGrant();
    const list = async (glob: string) => {
      const res = await fetch(`${server.url}/data/list?glob=${encodeURIComponent(glob)}&grant=${encodeURIComponent(g)}`);
      expect(res.status).toBe(200);
      return (await res.json()) as Array<{ path: string; size: number; mtime: number }>;
    };
    const csv = await list('events/*.csv');
    expect(csv.map((f) => f.path)).toEqual(['events/a.csv', 'events/b.csv']);
    expect(csv[0]!.size).toBe(15);
    expect(csv[0]!.mtime).toBeGreaterThan(1_600_000_000_000);
    expect((await list('events')).map((f) => f.path)).toEqual(['events/a.csv', 'events/b.csv']);
    expect((await list('events/b.csv')).map((f) => f.path)).toEqual(['events/b.csv']);
    expect(await list('none/*.parquet')).toEqual([]);
    const bad = await fetch(`${server.url}/data/list?glob=../*&grant=${encodeURIComponent(g)}`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('ERR_BAD_PATH');
  });

  it('answers an empty list for a data folder that does not exist', async () => {
    dataDir = path.join(base, 'missing');
    await start();
    const g = await readGrant();
    const res = await fetch(`${server.url}/data/list?glob=**&grant=${encodeURIComponent(g)}`);
    expect(await res.json()).toEqual([]);
  });

  it('needs a read grant', async () => {
    const res = await fetch(`${server.url}/data/list?glob=events`);
    expect(res.status).toBe(401);
    const write = (await grant({ write: { dir: 'out', mode: 'overwrite' } })).body['write']!;
    expect((await fetch(`${server.url}/data/list?glob=events&grant=${encodeURIComponent(write)}`)).status).toBe(403);
  });
});

describe('GET /data/files', () => {
  it('serves a file with ranges, ETag, Last-Modified and HEAD', async () => {
    const g = await readGrant();
    const whole = await fetch(fileUrl('events/a.csv', g));
    expect(whole.status).toBe(200);
    expect(await whole.text()).toBe('id,v\n1,10\n2,20\n');
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(whole.headers.get('last-modified')).toMatch(/GMT$/);
    const etag = whole.headers.get('etag')!;
    const part = await fetch(fileUrl('events/a.csv', g), { headers: { Range: 'bytes=5-8' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 5-8/15');
    expect(part.headers.get('content-length')).toBe('4');
    expect(await part.text()).toBe('1,10');
    const tail = await fetch(fileUrl('events/a.csv', g), { headers: { Range: 'bytes=-3' } });
    expect([tail.status, await tail.text()]).toEqual([206, '20\n']);
    const open = await fetch(fileUrl('events/a.csv', g), { headers: { Range: 'bytes=10-' } });
    expect([open.status, open.headers.get('content-range')]).toEqual([206, 'bytes 10-14/15']);
    await open.arrayBuffer();
    const beyond = await fetch(fileUrl('events/a.csv', g), { headers: { Range: 'bytes=99-' } });
    expect([beyond.status, beyond.headers.get('content-range')]).toEqual([416, 'bytes */15']);
    const head = await fetch(fileUrl('events/a.csv', g), { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, '15']);
    const cached = await fetch(fileUrl('events/a.csv', g), { headers: { 'If-None-Match': etag } });
    expect(cached.status).toBe(304);
  });

  it('answers 404 for missing files and directories, 400 for .. and absolute paths, 403 for symlinks out', async () => {
    const g = await readGrant();
    const missing = await fetch(fileUrl('events/zzz.csv', g));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string; message: string } }).error).toEqual({ code: 'ERR_READ_FAILED', message: 'ERR_READ_FAILED: no file events/zzz.csv in the data folder' });
    expect((await fetch(fileUrl('events', g))).status).toBe(404);
    // fetch normalizes `..` and `%2e%2e` away, so these go raw over node:http.
    expect(await rawStatus(`/data/files/events/%2e%2e/%2e%2e/secret.txt?grant=${encodeURIComponent(g)}`)).toBe(400);
    expect(await rawStatus(`/data/files/../secret.txt?grant=${encodeURIComponent(g)}`)).toBe(400);
    expect(await rawStatus(`/data/files/events/..%2F..%2Fsecret.txt?grant=${encodeURIComponent(g)}`)).toBe(400);
    expect((await fetch(fileUrl('%2Fetc%2Fpasswd', g))).status).toBe(400);
    const leak = await fetch(fileUrl('leak.txt', g));
    expect(leak.status).toBe(403);
    expect(await leak.text()).not.toContain('TOPSECRET');
  });

  it('refuses expired, other-server and absent grants', async () => {
    const other = new GrantSigner(secretFrom('another secret, 16+ bytes long'));
    const forged = other.sign({ room, kind: 'read', expiresAt: Date.now() + 60_000, dir: '' });
    expect((await fetch(fileUrl('events/a.csv', forged))).status).toBe(401);
    const signer = new GrantSigner(secretFrom(SECRET));
    const expired = signer.sign({ room, kind: 'read', expiresAt: Date.now() - 1000, dir: '' });
    const res = await fetch(fileUrl('events/a.csv', expired));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_TOKEN_EXPIRED');
    expect((await fetch(`${server.url}/data/files/events/a.csv`)).status).toBe(401);
    const bearer = await fetch(`${server.url}/data/files/events/a.csv`, { headers: { Authorization: `Bearer ${await readGrant()}` } });
    expect(bearer.status).toBe(200);
    await bearer.arrayBuffer();
  });
});

describe('PUT /data/files', () => {
  it('writes under the write grant directory only, atomically, replacing on retry', async () => {
    const w = (await grant({ write: { dir: 'out/x', mode: 'overwrite' } })).body['write']!;
    const put = await fetch(fileUrl('out/x/part-0.csv', w), { method: 'PUT', body: 'a,b\n1,2\n' });
    expect(put.status).toBe(201);
    expect(await put.json()).toEqual({ path: 'out/x/part-0.csv', size: 8 });
    expect(await readFile(path.join(dataDir, 'out', 'x', 'part-0.csv'), 'utf8')).toBe('a,b\n1,2\n');
    const again = await fetch(fileUrl('out/x/part-0.csv', w), { method: 'PUT', body: 'a,b\n' });
    expect(again.status).toBe(200);
    expect((await fetch(fileUrl('out/x/deep/er/part-1.csv', w), { method: 'PUT', body: 'x' })).status).toBe(201);
    expect(await readdir(path.join(dataDir, 'out', 'x'))).toEqual(['deep', 'part-0.csv']); // no temp files left
    const elsewhere = await fetch(fileUrl('events/a.csv', w), { method: 'PUT', body: 'evil' });
    expect(elsewhere.status).toBe(403);
    expect(((await elsewhere.json()) as { error: { message: string } }).error.message).toMatch(/covers files under out\/x\/ only/);
    expect(await rawStatus(`/data/files/out/x/%2e%2e/%2e%2e/events/a.csv?grant=${encodeURIComponent(w)}`, 'PUT')).toBe(400);
    expect(await readFile(path.join(dataDir, 'events', 'a.csv'), 'utf8')).toBe('id,v\n1,10\n2,20\n');
  });

  it('refuses a read grant used to write, and no grant', async () => {
    const r = await readGrant();
    const res = await fetch(fileUrl('out/x/a.csv', r), { method: 'PUT', body: 'x' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/a read grant cannot be used for writing/);
    expect((await fetch(`${server.url}/data/files/out/x/a.csv`, { method: 'PUT', body: 'x' })).status).toBe(401);
  });

  it('caps the upload size (413) and leaves nothing behind', async () => {
    await start({ maxUploadBytes: 10 });
    const w = (await grant({ write: { dir: 'out', mode: 'overwrite' } })).body['write']!;
    const res = await fetch(fileUrl('out/big.bin', w), { method: 'PUT', body: new Uint8Array(11) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_MESSAGE_TOO_LARGE');
    expect((await fetch(fileUrl('out/ok.bin', w), { method: 'PUT', body: new Uint8Array(10) })).status).toBe(201);
    expect(await readdir(path.join(dataDir, 'out'))).toEqual(['ok.bin']);
  });
});

describe('open mode', () => {
  it('gives grants without a token to a request that names its room', async () => {
    await start({ open: true });
    const answer = await grant({ read: true, write: { dir: 'out/open', mode: 'overwrite' }, room: 'openroom' }, null);
    expect(answer.status).toBe(200);
    expect(answer.body['write']).toMatch(/^shoalg1\.openroom\.w\./);
    expect((await grant({ read: true }, null)).body.error!.message).toMatch(/name the room/);
  });
});

describe('chunked uploads', () => {
  it('cuts off an upload without Content-Length past the cap, leaving no temp file', async () => {
    await start({ maxUploadBytes: 1000 });
    const w = (await grant({ write: { dir: 'out', mode: 'overwrite' } })).body['write']!;
    const { port } = new URL(server.url);
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: `/data/files/out/big.bin?grant=${encodeURIComponent(w)}`, method: 'PUT', headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', () => resolve()); // the server may reset the upload instead of answering
      const chunk = Buffer.alloc(400);
      for (let i = 0; i < 5; i++) req.write(chunk);
      req.end();
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(await readdir(path.join(dataDir, 'out'))).toEqual([]);
  });
});

describe('CORS', () => {
  it('answers preflights and exposes Content-Range to allowed origins only', async () => {
    await start({ allowOrigins: ['https://app.example'] });
    const pre = await fetch(`${server.url}/data/files/events/a.csv`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range,x-user-agent' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(pre.headers.get('access-control-allow-headers')).toBe('Range, If-None-Match, If-Range, Content-Type, Authorization, x-user-agent');
    expect(pre.headers.get('access-control-allow-methods')).toMatch(/PUT/);
    const g = await readGrant();
    const res = await fetch(fileUrl('events/a.csv', g), { headers: { Origin: 'https://app.example', Range: 'bytes=0-1' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(res.headers.get('access-control-expose-headers')).toMatch(/Content-Range/);
    await res.arrayBuffer();
    // A page of this server opened at localhost reading URLs built with another address of the same server.
    const { port } = new URL(server.url);
    const corsFor = (origin: string, host: string) =>
      new Promise<string | undefined>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: `/data/files/events/a.csv?grant=${encodeURIComponent(g)}`, headers: { Origin: origin, Host: host } }, (res) => {
          res.resume();
          resolve(res.headers['access-control-allow-origin'] as string | undefined);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await corsFor(`http://localhost:${port}`, `192.0.2.7:${port}`)).toBe(`http://localhost:${port}`);
    expect(await corsFor(`http://localhost:1`, `192.0.2.7:${port}`)).toBeUndefined();
    expect(await corsFor(`http://192.0.2.99:${port}`, `192.0.2.7:${port}`)).toBeUndefined();
    const other = await fetch(`${server.url}/data/files/events/a.csv`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example' } });
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

/** A request sent as written (fetch would normalize `..` away). */
function rawStatus(target: string, method = 'GET'): Promise<number> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: target, method }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}
