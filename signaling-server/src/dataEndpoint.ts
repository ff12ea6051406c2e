/**
 * `/data/*`: the `--data` folder, read-only to anyone holding a read grant,
 * writable under one directory with a write grant. Grants (dataGrants.ts) come
 * from `POST /data/grant` with a join token of the room.
 *
 *   POST /data/grant              Authorization: Bearer <join token>   (or {"token": …} in the body)
 *        {"read": true}                                        → {"room", "expiresAt", "read": "shoalg1.…"}
 *        {"write": {"dir": "out/x", "mode": "overwrite"}}      → {"room", "expiresAt", "write": "shoalg1.…", "dir": "out/x"}
 *   GET  /data/list?glob=events/*.parquet&grant=R            → [{"path","size","mtime"}…] sorted by path
 *   GET  /data/files/<path>?grant=R   (HEAD, Range: one range → 206)
 *   PUT  /data/files/<path>?grant=W   body: the file's bytes → 201 {"path","size"} (200 when it replaced one)
 *   OPTIONS /data/…                   CORS preflight
 *
 * Any join token of the room gets a read grant; only its coordinator token a
 * write grant. `mode` (Spark's SaveMode): `errorIfExists` (the default) answers
 * 409 ERR_PATH_EXISTS when the directory holds anything, `overwrite` empties
 * it now, `append` keeps what is there. Grants may also travel as
 * `Authorization: Bearer shoalg1.…`. Errors are `{"error": {code, message}}`.
 * Answers carry CORS headers for the server's own pages and `allowOrigins`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROOM_PATTERN, isErrorCode, type Role } from '@shoal/protocol';
import { originAllowed } from './admission.ts';
import { sendDataFile, putDataFile } from './dataFiles.ts';
import { OutsideError, checkDataPath, type DataFolder } from './dataFolder.ts';
import { compileGlob, listGlob } from './dataGlob.ts';
import { DEFAULT_GRANT_TTL_SECONDS, underDirectory, type GrantSigner } from './dataGrants.ts';
import type { LogSink } from './log.ts';
import { readBody, sendJson } from './roomsEndpoint.ts';
import type { TokenCheck } from './tokens.ts';

export type WriteMode = 'errorIfExists' | 'overwrite' | 'append';
export const WRITE_MODES: readonly WriteMode[] = ['errorIfExists', 'overwrite', 'append'];

export interface DataContext {
  folder: DataFolder;
  grants: GrantSigner;
  /** Largest PUT body in bytes. */
  maxUploadBytes: number;
  /** Longest grant lifetime (the server's token lifetime). */
  maxTtlSeconds: number;
  allowOrigins: readonly string[];
  /** Open mode: a grant request without a token names its room and is treated as the coordinator's. */
  open: boolean;
  /** Checks a join token for `room` and `role`, revocations included. */
  verifyToken(token: string | undefined, room: string, role: Role): TokenCheck;
  log: LogSink;
}

export const DATA_PATH = '/data';
const FILES_PREFIX = '/data/files/';
const MAX_GRANT_BODY_BYTES = 4096;
/** Files one listing may walk. */
export const MAX_LISTED_FILES = 100_000;

export function isDataRequest(requestPath: string): boolean {
  return requestPath === DATA_PATH || requestPath.startsWith(`${DATA_PATH}/`);
}

export async function dataHandler(ctx: DataContext, requestPath: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const cors = corsHeaders(ctx, req);
  const method = req.method ?? 'GET';
  if (method === 'OPTIONS') return preflight(cors, req, res);
  const query = new URL(req.url ?? '/', 'http://data.invalid').searchParams;
  try {
    if (requestPath === '/data/grant') {
      if (method !== 'POST') return fail(res, 405, 'ERR_BAD_MESSAGE: POST /data/grant asks for a grant', { ...cors, Allow: 'POST, OPTIONS' });
      return await grantHandler(ctx, req, res, cors);
    }
    if (requestPath === '/data/list') {
      if (method !== 'GET' && method !== 'HEAD') return fail(res, 405, 'ERR_BAD_MESSAGE: GET /data/list?glob=…&grant=… lists files', { ...cors, Allow: 'GET, HEAD, OPTIONS' });
      return await listHandler(ctx, query, req, res, cors);
    }
    if (requestPath.startsWith(FILES_PREFIX)) {
      let raw: string;
      try {
        raw = decodeURIComponent(requestPath.slice(FILES_PREFIX.length));
      } catch {
        return fail(res, 400, 'ERR_BAD_PATH: malformed percent-encoding in the path', cors);
      }
      const check = checkDataPath(raw);
      if (!check.ok) return fail(res, check.status, check.message, cors);
      if (check.path === '') return fail(res, 400, 'ERR_BAD_PATH: name a file: /data/files/<path>', cors);
      if (method === 'GET' || method === 'HEAD') return await readHandler(ctx, check.path, query, req, res, cors);
      if (method === 'PUT') return await writeHandler(ctx, check.path, query, req, res, cors);
      return fail(res, 405, `ERR_BAD_MESSAGE: ${method} is not allowed on data files`, { ...cors, Allow: 'GET, HEAD, PUT, OPTIONS' });
    }
    return fail(res, 404, 'ERR_BAD_PATH: the data endpoints are /data/grant, /data/list and /data/files/<path>', cors);
  } catch (error) {
    if (error instanceof OutsideError) return fail(res, 403, error.message, cors);
    throw error;
  }
}

/** The grant from `?grant=` or `Authorization: Bearer shoalg1.…`. */
function grantOf(query: URLSearchParams, req: IncomingMessage): string | undefined {
  const fromQuery = query.get('grant');
  if (fromQuery !== null) return fromQuery;
  const bearer = /^Bearer\s+(shoalg1\.\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  return bearer;
}

async function readHandler(ctx: DataContext, dataPath: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
  const check = ctx.grants.verify(grantOf(query, req), 'read');
  if (!check.ok) return fail(res, check.status, check.message, cors);
  const what = await ctx.folder.stat(dataPath);
  if (what.kind === 'directory') return fail(res, 404, `ERR_READ_FAILED: ${dataPath} is a directory; list it with GET /data/list?glob=${dataPath}`, cors);
  if (what.kind === 'missing') return fail(res, 404, `ERR_READ_FAILED: no file ${dataPath} in the data folder`, cors);
  await sendDataFile(what.found, req, res, cors);
}

async function listHandler(ctx: DataContext, query: URLSearchParams, req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
  const check = ctx.grants.verify(grantOf(query, req), 'read');
  if (!check.ok) return fail(res, check.status, check.message, cors);
  const compiled = compileGlob(query.get('glob') ?? '');
  if (!compiled.ok) return fail(res, compiled.status, compiled.message, cors);
  let files;
  try {
    files = await listGlob(ctx.folder, compiled.glob, MAX_LISTED_FILES);
  } catch (error) {
    if (error instanceof RangeError) return fail(res, 400, `ERR_BAD_OPTION: ${error.message}`, cors);
    throw error;
  }
  sendJson(res, 200, files, cors);
}

async function writeHandler(ctx: DataContext, dataPath: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
  const check = ctx.grants.verify(grantOf(query, req), 'write');
  if (!check.ok) return fail(res, check.status, check.message, cors);
  const { dir, room } = check.claims;
  if (!underDirectory(dataPath, dir)) return fail(res, 403, `ERR_UNAUTHORIZED: this write grant covers files under ${dir}/ only, not ${dataPath}`, cors);
  const result = await putDataFile(ctx.folder, dataPath, req, ctx.maxUploadBytes);
  if (!result.ok) return fail(res, result.status, result.message, result.status === 413 ? { ...cors, Connection: 'close' } : cors);
  ctx.log({ event: 'dataWrite', room, path: dataPath, size: result.size });
  sendJson(res, result.replaced ? 200 : 201, { path: dataPath, size: result.size }, cors);
}

interface GrantRequest {
  token: string | undefined;
  room: string | undefined;
  read: boolean;
  write: { dir: string; mode: WriteMode } | undefined;
  ttlSeconds: number | undefined;
}

async function grantHandler(ctx: DataContext, req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
  const body = await readBody(req, MAX_GRANT_BODY_BYTES);
  if (body === null) return fail(res, 413, `ERR_MESSAGE_TOO_LARGE: the body must be at most ${MAX_GRANT_BODY_BYTES} bytes`, cors);
  const request = parseGrantRequest(body, ctx.maxTtlSeconds);
  if (typeof request === 'string') return fail(res, 400, `ERR_BAD_MESSAGE: ${request}`, cors);
  const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1] ?? request.token;
  const now = Date.now();
  let room: string;
  let role: Role;
  let tokenExpiresAt: number;
  if (token === undefined && ctx.open) {
    if (request.room === undefined) return fail(res, 400, 'ERR_BAD_MESSAGE: without a token (open mode), name the room: {"room": …}', cors);
    [room, role, tokenExpiresAt] = [request.room, 'coordinator', Infinity];
  } else {
    const [, claimedRoom = '', claimedRole = ''] = (token ?? '').split('.');
    const tokenRole: Role = claimedRole === 'coordinator' ? 'coordinator' : 'worker';
    const auth = ctx.verifyToken(token, claimedRoom, tokenRole);
    if (!auth.ok) {
      const message = token === undefined ? 'a data grant needs a join token of the room: Authorization: Bearer <token>' : auth.message;
      return fail(res, 401, `${auth.code}: ${message}`, { ...cors, 'WWW-Authenticate': 'Bearer' });
    }
    [room, role, tokenExpiresAt] = [auth.claims.room, auth.claims.role, auth.claims.expiresAt];
  }
  const expiresAt = Math.min(now + (request.ttlSeconds ?? Math.min(DEFAULT_GRANT_TTL_SECONDS, ctx.maxTtlSeconds)) * 1000, tokenExpiresAt);
  const answer: Record<string, unknown> = { room, expiresAt: new Date(Math.floor(expiresAt / 1000) * 1000).toISOString() };
  if (request.write !== undefined) {
    if (role !== 'coordinator') return fail(res, 403, 'ERR_UNAUTHORIZED: only the coordinator token may get a write grant', cors);
    const check = checkDataPath(request.write.dir);
    if (!check.ok) return fail(res, check.status, check.message, cors);
    if (check.path === '') return fail(res, 400, 'ERR_BAD_PATH: a write grant names a directory under the data folder, not the folder itself', cors);
    const dir = check.path;
    const { mode } = request.write;
    if (mode === 'errorIfExists' && (await ctx.folder.nonEmpty(dir))) {
      return fail(res, 409, `ERR_PATH_EXISTS: ${dir} already exists in the data folder (mode errorIfExists; use overwrite or append)`, cors);
    }
    if (mode === 'overwrite') await ctx.folder.empty(dir);
    try {
      await ctx.folder.ensureDirectory(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
        return fail(res, 409, `ERR_PATH_EXISTS: a file stands at ${dir} or above it, where a directory should be`, cors);
      }
      throw error;
    }
    answer['write'] = ctx.grants.sign({ room, kind: 'write', expiresAt, dir });
    answer['dir'] = dir;
    ctx.log({ event: 'dataGrant', room, kind: 'write', dir, mode });
  }
  if (request.read) answer['read'] = ctx.grants.sign({ room, kind: 'read', expiresAt, dir: '' });
  sendJson(res, 200, answer, cors);
}

/** The grant request, or a message saying what is wrong. */
export function parseGrantRequest(body: string, maxTtlSeconds: number): GrantRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(body === '' ? '{}' : body);
  } catch {
    return 'the body must be JSON, e.g. {"read": true} or {"write": {"dir": "out/x", "mode": "overwrite"}}';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the body must be a JSON object';
  const fields = ['token', 'room', 'read', 'write', 'ttlSeconds'];
  const unknown = Object.keys(value).find((key) => !fields.includes(key));
  if (unknown !== undefined) return `unknown field ${JSON.stringify(unknown)}; valid ones are: ${fields.join(', ')}`;
  const { token, room, read, write, ttlSeconds } = value as Record<string, unknown>;
  if (token !== undefined && (typeof token !== 'string' || token.length > 512)) return 'token must be a join token';
  if (room !== undefined && (typeof room !== 'string' || !ROOM_PATTERN.test(room))) return `room must match ${ROOM_PATTERN}`;
  if (read !== undefined && typeof read !== 'boolean') return 'read must be true or false';
  if (ttlSeconds !== undefined && (typeof ttlSeconds !== 'number' || !(ttlSeconds > 0) || ttlSeconds > maxTtlSeconds)) {
    return `ttlSeconds must be a number of seconds from 1 to ${maxTtlSeconds}`;
  }
  let parsedWrite: GrantRequest['write'];
  if (write !== undefined) {
    if (typeof write !== 'object' || write === null || Array.isArray(write)) return 'write must be {"dir": "out/x", "mode": "errorIfExists" | "overwrite" | "append"}';
    const extra = Object.keys(write).find((key) => key !== 'dir' && key !== 'mode');
    if (extra !== undefined) return `unknown field write.${extra}; valid ones are: dir, mode`;
    const { dir, mode } = write as Record<string, unknown>;
    if (typeof dir !== 'string' || dir.length > 1024) return 'write.dir must be a directory path under the data folder';
    if (mode !== undefined && !WRITE_MODES.includes(mode as WriteMode)) return `write.mode must be one of ${WRITE_MODES.join(', ')}, got ${JSON.stringify(mode)}`;
    parsedWrite = { dir, mode: (mode as WriteMode | undefined) ?? 'errorIfExists' };
  }
  if (read !== true && parsedWrite === undefined) return 'ask for something: {"read": true} and/or {"write": {"dir": …, "mode": …}}';
  return { token: token as string | undefined, room: room as string | undefined, read: read === true, write: parsedWrite, ttlSeconds: ttlSeconds as number | undefined };
}

function corsHeaders(ctx: DataContext, req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  if (origin === undefined || !(originAllowed(origin, req.headers.host, ctx.allowOrigins) || loopbackOfSameServer(origin, req.headers.host))) return { Vary: 'Origin' };
  return {
    'Access-Control-Allow-Origin': origin,
    Vary: 'Origin',
    'Access-Control-Expose-Headers': 'Content-Range, Content-Length, Accept-Ranges, ETag, Last-Modified, Content-Type',
  };
}

/**
 * A page of this same server opened through a loopback name (localhost,
 * 127.0.0.1, [::1]) on the same port: a coordinator at localhost reading the
 * file URLs it built for workers with the LAN address.
 */
function loopbackOfSameServer(origin: string, host: string | undefined): boolean {
  try {
    const page = new URL(origin);
    const server = new URL(`http://${host ?? ''}`);
    const port = (url: URL, fallback: string) => url.port || fallback;
    const loopback = page.hostname === 'localhost' || page.hostname === '127.0.0.1' || page.hostname === '[::1]';
    return loopback && port(page, page.protocol === 'https:' ? '443' : '80') === port(server, page.protocol === 'https:' ? '443' : '80');
  } catch {
    return false;
  }
}

function preflight(cors: Record<string, string>, req: IncomingMessage, res: ServerResponse): void {
  if (cors['Access-Control-Allow-Origin'] === undefined) {
    return fail(res, 403, `ERR_UNAUTHORIZED: origin ${req.headers.origin ?? '(none)'} may not use the data folder (see --allow-origin)`, cors);
  }
  res.writeHead(204, {
    ...cors,
    'Access-Control-Allow-Methods': 'GET, HEAD, PUT, POST, OPTIONS',
    // DuckDB-WASM's XHRs add headers of their own (X-user-agent…): allow what the browser asks for, Range among them.
    'Access-Control-Allow-Headers': allowedHeaders(req.headers['access-control-request-headers']),
    'Access-Control-Max-Age': '600',
    'Content-Length': '0',
  });
  res.end();
}

const BASE_ALLOWED_HEADERS = ['Range', 'If-None-Match', 'If-Range', 'Content-Type', 'Authorization'];

/** The base list plus the header names the preflight asks for (tokens only). */
function allowedHeaders(requested: string | undefined): string {
  const asked = (requested ?? '').split(',').map((name) => name.trim()).filter((name) => /^[A-Za-z0-9-]{1,64}$/.test(name));
  const names = new Map<string, string>();
  for (const name of [...BASE_ALLOWED_HEADERS, ...asked]) if (!names.has(name.toLowerCase())) names.set(name.toLowerCase(), name);
  return [...names.values()].join(', ');
}

/** Answers `{error: {code, message}}`; the code is the message's `ERR_…:` prefix. */
function fail(res: ServerResponse, status: number, message: string, headers: Record<string, string>): void {
  const prefix = /^(ERR_[A-Z_]+): /.exec(message)?.[1];
  const code = isErrorCode(prefix) ? prefix : 'ERR_BAD_MESSAGE';
  sendJson(res, status, { error: { code, message } }, headers);
}
