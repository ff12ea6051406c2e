/**
 * The data folder from a page: ask the server for grants with the page's join
 * token, list files by glob, build file URLs that any tab of the room (and
 * DuckDB-WASM) can fetch, read byte ranges and Parquet footers, and upload.
 *
 * ```js
 * const data = createDataClient({ baseUrl: location.origin, token });
 * const files = await data.list('events/*.parquet');          // [{path, size, mtime}]
 * const url = data.fileUrl(files[0].path, await data.readGrant());
 * const meta = await data.parquetMetadata(files[0].path);     // {numRows, columns, rowGroups}
 * const w = await data.grantWrite('out/x', 'overwrite');      // coordinator token only
 * await data.putFile('out/x/part-0.csv', bytes, w);           // or putDataFile(data.fileUrl(p, w), bytes) in a task
 * ```
 * Browser code: no Node imports.
 */
import { ShoalError } from '@shoal/protocol';
import type { AsyncBuffer } from 'hyparquet';
import { encodeDataPath, errorFromResponse, fetchOrFail } from './http.ts';
import { readParquetSummary, type ParquetSummary } from './parquetMetadata.ts';
import { putDataFile, type PutResult } from './putDataFile.ts';

/** Spark's save modes: fail if the directory holds anything, empty it first, or add to it. */
export type WriteMode = 'errorIfExists' | 'overwrite' | 'append';

export interface DataFileInfo {
  /** Relative to the data folder, `/`-separated. */
  path: string;
  size: number;
  /** Last modification, ms since the epoch. */
  mtime: number;
}

export interface DataClientOptions {
  /** The signaling server's base URL, e.g. `location.origin`. */
  baseUrl: string;
  /**
   * The base URL other tabs reach the server at, for `fileUrl` (default
   * `baseUrl`). A coordinator opened at localhost whose workers join over the
   * LAN passes the LAN address here (the page's `joinBase`).
   */
  publicUrl?: string | undefined;
  /** A join token of the room (the coordinator's, for write grants). */
  token?: string | undefined;
  /** Open-mode servers only: the room, when there is no token. */
  room?: string | undefined;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

export interface GrantOptions {
  /** Lifetime in seconds (default: the server's, an hour, never past the token's expiry). */
  ttlSeconds?: number;
}

export interface DataClient {
  /** The server's base URL, without a trailing slash. */
  readonly baseUrl: string;
  /** The base of `fileUrl`s (`publicUrl`, default `baseUrl`). */
  readonly publicUrl: string;
  /** A fresh read grant for the whole folder. */
  grantRead(options?: GrantOptions): Promise<string>;
  /** A read grant kept by this client, renewed a minute before it expires. */
  readGrant(): Promise<string>;
  /**
   * A write grant for files under `dir` (coordinator token only). `mode`
   * (default `errorIfExists`) acts now: `errorIfExists` rejects with
   * ERR_PATH_EXISTS when `dir` holds anything, `overwrite` empties it,
   * `append` keeps it.
   */
  grantWrite(dir: string, mode?: WriteMode, options?: GrantOptions): Promise<string>;
  /** Files matching a glob (`*`, `?`, `**`), a directory (every file under it) or a file; sorted by path. */
  list(glob: string): Promise<DataFileInfo[]>;
  /** The absolute URL of a data file carrying `grant`: fetchable from any tab of the room, by DuckDB-WASM too. */
  fileUrl(path: string, grant: string): string;
  /** A file's bytes, or the bytes from `start` up to `end` (exclusive) through a Range request. */
  readBytes(path: string, range?: { start: number; end?: number }): Promise<Uint8Array>;
  /** Uploads one file with a write grant (atomic: readers never see half of it). */
  putFile(path: string, bytes: BodyInit, writeGrant: string): Promise<PutResult>;
  /** A Parquet file's footer as plain JSON, read through Range requests (the footer only). */
  parquetMetadata(path: string): Promise<ParquetSummary>;
}

/** Renew a kept read grant this long before it expires. */
const RENEW_MARGIN_MS = 60_000;

export function createDataClient(options: DataClientOptions): DataClient {
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch (cause) {
    throw new ShoalError('ERR_BAD_OPTION', `baseUrl must be an absolute URL (e.g. location.origin), got ${JSON.stringify(options.baseUrl)}`, { cause });
  }
  const baseUrl = base.href.replace(/\/+$/, '');
  let publicUrl = baseUrl;
  if (options.publicUrl !== undefined) {
    try {
      publicUrl = new URL(options.publicUrl).href.replace(/\/+$/, '');
    } catch (cause) {
      throw new ShoalError('ERR_BAD_OPTION', `publicUrl must be an absolute URL, got ${JSON.stringify(options.publicUrl)}`, { cause });
    }
  }
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  let kept: Promise<string> | null = null;

  const requestGrant = async (body: Record<string, unknown>, what: string): Promise<Record<string, string>> => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
    const payload = options.token || options.room === undefined ? body : { ...body, room: options.room };
    const response = await fetchOrFail(fetchFn, `${baseUrl}/data/grant`, { method: 'POST', headers, body: JSON.stringify(payload) }, what, 'ERR_READ_FAILED');
    if (!response.ok) throw await errorFromResponse(response, what, 'ERR_UNAUTHORIZED');
    return (await response.json()) as Record<string, string>;
  };

  const urlOf = (root: string, path: string, grant: string): string => `${root}/data/files/${encodeDataPath(path)}?grant=${encodeURIComponent(grant)}`;
  /** For other tabs (and DuckDB-WASM there): the public address. */
  const fileUrl = (path: string, grant: string): string => urlOf(publicUrl, path, grant);
  /** For this client's own reads: the address this page reaches the server at. */
  const ownUrl = (path: string, grant: string): string => urlOf(baseUrl, path, grant);

  const client: DataClient = {
    baseUrl,
    publicUrl,
    async grantRead(grantOptions = {}) {
      return (await requestGrant({ read: true, ...grantOptions }, 'asking for a read grant'))['read']!;
    },
    readGrant() {
      const current = kept;
      if (current !== null) {
        return current.then((grant) => (grantExpiresAt(grant) - Date.now() > RENEW_MARGIN_MS ? grant : renew()));
      }
      return renew();
    },
    async grantWrite(dir, mode = 'errorIfExists', grantOptions = {}) {
      return (await requestGrant({ write: { dir, mode }, ...grantOptions }, `asking for a write grant on ${dir} (${mode})`))['write']!;
    },
    async list(glob) {
      const what = `listing ${glob === '' ? 'the data folder' : glob}`;
      const url = `${baseUrl}/data/list?glob=${encodeURIComponent(glob)}&grant=${encodeURIComponent(await client.readGrant())}`;
      const response = await fetchOrFail(fetchFn, url, {}, what, 'ERR_READ_FAILED');
      if (!response.ok) throw await errorFromResponse(response, what, 'ERR_READ_FAILED');
      return (await response.json()) as DataFileInfo[];
    },
    fileUrl,
    async readBytes(path, range) {
      const url = ownUrl(path, await client.readGrant());
      return readRange(fetchFn, url, path, range);
    },
    putFile(path, bytes, writeGrant) {
      return putDataFile(ownUrl(path, writeGrant), bytes, { fetch: fetchFn });
    },
    async parquetMetadata(path) {
      const url = ownUrl(path, await client.readGrant());
      const what = `reading the Parquet footer of ${path}`;
      const head = await fetchOrFail(fetchFn, url, { method: 'HEAD' }, what, 'ERR_READ_FAILED');
      if (!head.ok) throw await errorFromResponse(await fetchFn(url, { headers: { Range: 'bytes=0-0' } }), what, 'ERR_READ_FAILED');
      const byteLength = Number(head.headers.get('content-length'));
      if (!Number.isFinite(byteLength)) throw new ShoalError('ERR_READ_FAILED', `${what}: the server sent no Content-Length`);
      const buffer: AsyncBuffer = {
        byteLength,
        slice: async (start, end) => (await readRange(fetchFn, url, path, { start, end: end ?? byteLength })).slice().buffer,
      };
      try {
        return await readParquetSummary(buffer);
      } catch (cause) {
        if (cause instanceof ShoalError) throw cause;
        throw new ShoalError('ERR_READ_FAILED', `${what}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
      }
    },
  };

  const renew = (): Promise<string> => {
    const next = client.grantRead();
    kept = next;
    next.catch(() => {
      if (kept === next) kept = null;
    });
    return next;
  };

  return client;
}

/** When a grant expires (ms since the epoch), from its readable claims; 0 when it cannot be read. */
export function grantExpiresAt(grant: string): number {
  const seconds = Number(grant.split('.')[3]);
  return Number.isFinite(seconds) ? seconds * 1000 : 0;
}

async function readRange(fetchFn: typeof fetch, url: string, path: string, range: { start: number; end?: number } | undefined): Promise<Uint8Array> {
  const what = `reading ${path}`;
  if (range !== undefined && range.end !== undefined && range.end <= range.start) return new Uint8Array(0);
  const headers: Record<string, string> = range === undefined ? {} : { Range: `bytes=${range.start}-${range.end === undefined ? '' : range.end - 1}` };
  const response = await fetchOrFail(fetchFn, url, { headers }, what, 'ERR_READ_FAILED');
  if (!response.ok) throw await errorFromResponse(response, what, 'ERR_READ_FAILED');
  const bytes = new Uint8Array(await response.arrayBuffer());
  // A server that ignores Range answers 200 with the whole file.
  if (range !== undefined && response.status === 200) return bytes.subarray(range.start, range.end);
  return bytes;
}
