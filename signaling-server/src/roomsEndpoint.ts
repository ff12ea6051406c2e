/**
 * `POST /rooms`: creates a room and answers with its tokens.
 *
 *   curl -X POST http://localhost:8080/rooms -d '{"ttlSeconds":3600}'
 *   201 {"room":"k3x9qf2mwa","coordinatorToken":"shoal1.k3x9qf2mwa.coordinator.…","workerToken":"shoal1.k3x9qf2mwa.worker.…",
 *        "expiresAt":"2026-…Z","coordinatorPath":"/coordinator.html?room=…&token=…&workerToken=…","workerPath":"/worker.html?room=…&token=…"}
 *
 * The body is optional; `ttlSeconds` may shorten the tokens' life, never
 * lengthen it past the server's `tokenTtlSeconds`. A room is only a fresh
 * random id and two tokens: nothing is stored, and it gives access to
 * nothing but itself. With a `roomCreationKey` the request must carry
 * `Authorization: Bearer <key>`; without one, anyone who can reach the server
 * may create rooms (and so use it to introduce their own peers).
 */
import { Buffer } from 'node:buffer';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '@shoal/protocol';
import type { RoomGrant } from './tokens.ts';

export interface RoomCreation {
  /** When set, the bearer key a request must carry. */
  key: string | undefined;
  maxTtlSeconds: number;
  create(ttlSeconds: number): RoomGrant;
}

const MAX_BODY_BYTES = 1024;

export async function createRoomHandler(ctx: RoomCreation, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (ctx.key !== undefined && !bearerMatches(req.headers.authorization, ctx.key)) {
    return sendJson(res, 401, errorBody('ERR_UNAUTHORIZED', 'creating rooms needs Authorization: Bearer <room creation key>'), { 'WWW-Authenticate': 'Bearer' });
  }
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body === null) return sendJson(res, 413, errorBody('ERR_MESSAGE_TOO_LARGE', `the body must be at most ${MAX_BODY_BYTES} bytes`));
  const ttl = parseTtl(body, ctx.maxTtlSeconds);
  if (typeof ttl === 'string') return sendJson(res, 400, errorBody('ERR_BAD_MESSAGE', ttl));
  const grant = ctx.create(ttl);
  const room = encodeURIComponent(grant.room);
  const worker = encodeURIComponent(grant.workerToken);
  sendJson(res, 201, {
    ...grant,
    coordinatorPath: `/coordinator.html?room=${room}&token=${encodeURIComponent(grant.coordinatorToken)}&workerToken=${worker}`,
    workerPath: `/worker.html?room=${room}&token=${worker}`,
  });
}

/** The requested lifetime in seconds, or a message saying what is wrong. */
export function parseTtl(body: string, maxTtlSeconds: number): number | string {
  if (body.trim() === '') return maxTtlSeconds;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return 'the body must be JSON, e.g. {"ttlSeconds":3600}';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the body must be a JSON object';
  const unknown = Object.keys(value).filter((key) => key !== 'ttlSeconds');
  if (unknown.length > 0) return `unknown field ${JSON.stringify(unknown[0])}; valid ones are: ttlSeconds`;
  const ttl = (value as { ttlSeconds?: unknown }).ttlSeconds;
  if (ttl === undefined) return maxTtlSeconds;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0 || ttl > maxTtlSeconds) {
    return `ttlSeconds must be a number of seconds from 1 to ${maxTtlSeconds}`;
  }
  return ttl;
}

/** Compares in constant time (both sides hashed first, so lengths leak nothing either). */
export function bearerMatches(header: string | undefined, key: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!match) return false;
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(match[1]!.trim()), digest(key));
}

/** The body as text, or null past `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function errorBody(code: ErrorCode, message: string): { error: { code: ErrorCode; message: string } } {
  return { error: { code, message } };
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
