/**
 * One data file over HTTP: GET/HEAD with single byte ranges (what DuckDB-WASM
 * and hyparquet ask for), and PUT, streamed to a hidden temp file beside the
 * target and renamed into place, so readers never see half a file.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataFolder, tempName, type FoundFile } from './dataFolder.ts';

export const DATA_CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.parquet': 'application/vnd.apache.parquet',
  '.csv': 'text/csv; charset=utf-8',
  '.tsv': 'text/tab-separated-values; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.ndjson': 'application/x-ndjson; charset=utf-8',
  '.arrow': 'application/vnd.apache.arrow.file',
  '.txt': 'text/plain; charset=utf-8',
};

export type ByteRange = { start: number; end: number };

/**
 * A `Range` header against a file of `size` bytes: one range (inclusive
 * `end`), `'unsatisfiable'` (416), or null to answer with the whole file (no
 * header, another unit, several ranges, or nonsense: RFC 9110 lets a server
 * ignore those).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const match = /^bytes=\s*(\d*)-(\d*)\s*$/.exec(header);
  if (!match) return null;
  const [, first, last] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/** GET or HEAD of a found file, honouring Range and If-None-Match. `headers` (CORS) go on every answer. */
export async function sendDataFile(found: FoundFile, req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): Promise<void> {
  const etag = `"${found.size.toString(16)}-${found.mtime.toString(16)}"`;
  const base: Record<string, string | number> = {
    ...headers,
    'Content-Type': DATA_CONTENT_TYPES[path.extname(found.path).toLowerCase()] ?? 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    ETag: etag,
    'Last-Modified': new Date(found.mtime).toUTCString(),
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, base).end();
    return;
  }
  const ifRange = req.headers['if-range'];
  const range = ifRange !== undefined && ifRange !== etag ? null : parseRange(req.headers.range, found.size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...base, 'Content-Range': `bytes */${found.size}`, 'Content-Length': 0 }).end();
    return;
  }
  if (range === null) {
    res.writeHead(200, { ...base, 'Content-Length': found.size });
  } else {
    res.writeHead(206, { ...base, 'Content-Range': `bytes ${range.start}-${range.end}/${found.size}`, 'Content-Length': range.end - range.start + 1 });
  }
  if (req.method === 'HEAD' || found.size === 0) {
    res.end();
    return;
  }
  await pipeline(createReadStream(found.file, range === null ? {} : { start: range.start, end: range.end }), res);
}

export type PutResult = { ok: true; replaced: boolean; size: number } | { ok: false; status: 409 | 413; message: string };

/**
 * Streams a request body to `dataPath` (checked, inside a write grant's
 * directory): parents are created inside the folder, the bytes go to a hidden
 * temp file, which is renamed over the target once complete. More than
 * `maxBytes` stops the upload (413) and leaves nothing behind.
 */
export async function putDataFile(folder: DataFolder, dataPath: string, req: IncomingMessage, maxBytes: number): Promise<PutResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return tooLarge(maxBytes);
  const parent = dataPath.includes('/') ? dataPath.slice(0, dataPath.lastIndexOf('/')) : '';
  let realParent: string;
  try {
    realParent = await folder.ensureDirectory(parent);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
      return { ok: false, status: 409, message: `ERR_PATH_EXISTS: a file stands where ${JSON.stringify(parent)} should be a directory` };
    }
    throw error;
  }
  const target = path.join(realParent, path.basename(folder.absolute(dataPath)));
  const existing = await stat(target).catch(() => null);
  if (existing?.isDirectory()) return { ok: false, status: 409, message: `ERR_PATH_EXISTS: ${JSON.stringify(dataPath)} is a directory` };
  const temp = path.join(realParent, tempName());
  let size = 0;
  let over = false;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) {
        over = true;
        callback(new RangeError('too large'));
        return;
      }
      callback(null, chunk);
    },
  });
  try {
    await pipeline(req, counter, createWriteStream(temp, { flags: 'wx' }));
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    if (over) return tooLarge(maxBytes);
    throw error;
  }
  return { ok: true, replaced: existing !== null, size };
}

function tooLarge(maxBytes: number): PutResult {
  return { ok: false, status: 413, message: `ERR_MESSAGE_TOO_LARGE: an upload may be at most ${maxBytes} bytes (the server's maxUploadBytes)` };
}
