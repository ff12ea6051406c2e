/**
 * Serves the built apps (vite output) from one directory. Only GET/HEAD of
 * plain files inside that directory: `..` segments, encoded or not, are refused
 * before the file system is touched, and the resolved real path must still lie
 * inside the directory (so a symlink cannot lead out either).
 */
import { Buffer } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** The pages a missing build should explain rather than 404. */
const APP_PAGES = new Set(['/coordinator.html', '/worker.html']);
const NOT_BUILT = 'apps are not built: run `npm run build`\n';
const LONG_CACHE = 'public, max-age=31536000, immutable';

export type StaticTarget =
  | { ok: true; urlPath: string; file: string }
  | { ok: false; status: 400 | 404; reason: string };

/**
 * Maps a request path (no query string) to a file under `root`, or says why not.
 * Pure: does not touch the file system.
 */
export function resolveStaticPath(root: string, requestPath: string): StaticTarget {
  if (!requestPath.startsWith('/')) return { ok: false, status: 400, reason: 'path must start with /' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    return { ok: false, status: 400, reason: 'malformed percent-encoding' };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { ok: false, status: 400, reason: 'forbidden character in path' };
  const segments = decoded.split('/');
  if (segments.includes('..')) return { ok: false, status: 400, reason: 'path escapes the static directory' };
  if (decoded === '/') decoded = '/coordinator.html';
  if (decoded.endsWith('/')) return { ok: false, status: 404, reason: 'no directory listings' };
  if (segments.some((segment) => segment.startsWith('.') && segment !== '.')) return { ok: false, status: 404, reason: 'hidden file' };
  const base = path.resolve(root);
  const file = path.resolve(base, `.${decoded}`);
  if (!file.startsWith(base + path.sep)) return { ok: false, status: 400, reason: 'path escapes the static directory' };
  return { ok: true, urlPath: decoded, file };
}

export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Serves `requestPath` from `root` on `res` (GET or HEAD). Rejects only on I/O trouble mid-stream. */
export async function serveStatic(root: string, requestPath: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = resolveStaticPath(root, requestPath);
  if (!target.ok) return sendText(res, target.status, target.status === 400 ? 'bad request\n' : 'not found\n');
  const file = await existingFileInside(root, target.file);
  if (!file) {
    const page = target.urlPath;
    if (APP_PAGES.has(page) && !(await existingFileInside(root, path.join(root, 'coordinator.html')))) {
      return sendText(res, 503, NOT_BUILT);
    }
    return sendText(res, 404, 'not found\n');
  }
  const etag = `W/"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`;
  const headers: Record<string, string | number> = {
    'Content-Type': contentTypeFor(file.path),
    'Cache-Control': target.urlPath.startsWith('/assets/') ? LONG_CACHE : 'no-cache',
    ETag: etag,
    'X-Content-Type-Options': 'nosniff',
    // Page links carry join tokens in their query string; never pass them on as a Referer.
    'Referrer-Policy': 'no-referrer',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': file.size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(createReadStream(file.path), res);
}

interface FoundFile {
  path: string;
  size: number;
  mtimeMs: number;
}

/** The file's real path and stats, if it is a regular file that really lies inside `root`. */
async function existingFileInside(root: string, file: string): Promise<FoundFile | null> {
  try {
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file)]);
    if (!realFile.startsWith(realRoot + path.sep)) return null;
    const info = await stat(realFile);
    return info.isFile() ? { path: realFile, size: info.size, mtimeMs: info.mtimeMs } : null;
  } catch {
    return null;
  }
}

export function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
