import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSignalingServer, type RunningServer } from './index.ts';
import { resolveStaticPath } from './staticFiles.ts';

let sandbox: string;
let dist: string;
let server: RunningServer;

/** A raw GET: unlike fetch, it sends the path exactly as written (no `..` normalisation). */
function rawGet(rawPath: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: rawPath, method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  sandbox = mkdtempSync(path.join(tmpdir(), 'shoal-static-'));
  dist = path.join(sandbox, 'dist');
  mkdirSync(path.join(dist, 'assets'), { recursive: true });
  writeFileSync(path.join(sandbox, 'package.json'), '{"secret":true}');
  writeFileSync(path.join(dist, 'coordinator.html'), '<h1>coordinator</h1>');
  writeFileSync(path.join(dist, 'worker.html'), '<h1>worker</h1>');
  writeFileSync(path.join(dist, '.env'), 'SECRET=1');
  const files: Record<string, string> = {
    'assets/app-1234.js': 'export {}',
    'assets/lib.mjs': 'export {}',
    'assets/app.css': 'body{}',
    'assets/app.js.map': '{}',
    'assets/kernel.wasm': '\0asm',
    'assets/logo.svg': '<svg/>',
    'assets/logo.png': 'png',
    'favicon.ico': 'ico',
    'manifest.json': '{}',
  };
  for (const [name, body] of Object.entries(files)) writeFileSync(path.join(dist, name), body);
  symlinkSync(path.join(sandbox, 'package.json'), path.join(dist, 'escape.json'));
  server = await startSignalingServer({ port: 0, host: '127.0.0.1', staticDir: dist, quiet: true });
});

afterAll(async () => {
  await server.close();
  rmSync(sandbox, { recursive: true, force: true });
});

describe('static files', () => {
  it('serves / as coordinator.html and the pages without caching', async () => {
    for (const [url, text] of [['/', 'coordinator'], ['/coordinator.html', 'coordinator'], ['/worker.html?room=abc', 'worker']]) {
      const res = await rawGet(url!);
      expect(res.status).toBe(200);
      expect(res.body).toContain(text);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
    }
  });

  it.each([
    ['/assets/app-1234.js', 'text/javascript; charset=utf-8'],
    ['/assets/lib.mjs', 'text/javascript; charset=utf-8'],
    ['/assets/app.css', 'text/css; charset=utf-8'],
    ['/assets/app.js.map', 'application/json; charset=utf-8'],
    ['/assets/kernel.wasm', 'application/wasm'],
    ['/assets/logo.svg', 'image/svg+xml'],
    ['/assets/logo.png', 'image/png'],
    ['/favicon.ico', 'image/x-icon'],
    ['/manifest.json', 'application/json; charset=utf-8'],
  ])('serves %s as %s', async (url, type) => {
    const res = await rawGet(url);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['cache-control']).toBe(url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
  });

  it('answers a matching ETag with 304', async () => {
    const first = await rawGet('/assets/app-1234.js');
    const again = await rawGet('/assets/app-1234.js', { 'If-None-Match': String(first.headers.etag) });
    expect(again.status).toBe(304);
  });

  it.each([
    ['/../package.json', 400],
    ['/assets/../../package.json', 400],
    ['/%2e%2e/package.json', 400],
    ['/%2E%2E/%2e%2e/package.json', 400],
    ['/assets%2f..%2f..%2fpackage.json', 400],
    ['/..%5cpackage.json', 400],
    ['/%00', 400],
    ['/%E0%A4%A', 400],
    ['/escape.json', 404],
    ['/.env', 404],
    ['/assets/', 404],
    ['/missing.js', 404],
    ['/package.json', 404],
  ])('refuses %s with %i', async (url, status) => {
    const res = await rawGet(url);
    expect(res.status).toBe(status);
    expect(res.body).not.toContain('secret');
  });

  it('refuses methods other than GET and HEAD', async () => {
    const res = await fetch(`${server.url}/coordinator.html`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('says the apps are not built when the build is missing', async () => {
    const bare = await startSignalingServer({ port: 0, host: '127.0.0.1', staticDir: path.join(sandbox, 'nothing-here'), quiet: true });
    try {
      const res = await fetch(`${bare.url}/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('apps are not built: run `npm run build`');
      expect((await fetch(`${bare.url}/assets/x.js`)).status).toBe(404);
      expect((await fetch(`${bare.url}/healthz`)).status).toBe(200);
    } finally {
      await bare.close();
    }
  });
});

describe('resolveStaticPath', () => {
  it('maps request paths inside the root and refuses escapes', () => {
    expect(resolveStaticPath('/srv/dist', '/')).toEqual({ ok: true, urlPath: '/coordinator.html', file: '/srv/dist/coordinator.html' });
    expect(resolveStaticPath('/srv/dist', '/assets/a%20b.js')).toMatchObject({ ok: true, file: '/srv/dist/assets/a b.js' });
    expect(resolveStaticPath('/srv/dist', '/a/../../x')).toMatchObject({ ok: false, status: 400 });
    expect(resolveStaticPath('/srv/dist', 'relative')).toMatchObject({ ok: false, status: 400 });
    expect(resolveStaticPath('/srv/dist', '//etc/passwd')).toMatchObject({ ok: true, file: '/srv/dist/etc/passwd' });
  });
});
