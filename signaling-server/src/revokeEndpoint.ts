/**
 * `POST /rooms/<room>/revoke`: the room's coordinator revokes a worker join
 * token (a leaked worker link), disconnects the peers that joined with it, and
 * gets a replacement token for a new link.
 *
 *   curl -X POST http://localhost:8080/rooms/k3x9qf2mwa/revoke \
 *        -H "Authorization: Bearer <the room's coordinator token>" \
 *        -d '{"token":"shoal1.k3x9qf2mwa.worker.…"}'
 *   200 {"room":"k3x9qf2mwa","revoked":true,"disconnected":2,"workerToken":"shoal1.…","expiresAt":"…Z","workerPath":"/worker.html?room=…&token=…"}
 *
 * Body: `{"token": T, "disconnect"?: boolean}`; `disconnect` (default true)
 * closes the sockets of peers in the room that joined with T (they get
 * `ERR_TOKEN_REVOKED`; the room gets `peerLeft`). Later joins with T are
 * refused with ERR_TOKEN_REVOKED. Answers: 401 without a valid coordinator
 * token for this room (a revoked or expired one included), 400 for a body that
 * is not JSON of that shape or a `token` that is not a worker token of this
 * room from this server, 413 over 1 KiB, 503 when the deny-list is full.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROOM_PATTERN, type ErrorCode } from '@shoal/protocol';
import { readBody, sendJson } from './roomsEndpoint.ts';
import type { TokenCheck } from './tokens.ts';

export type RevokeResult =
  | { ok: true; room: string; revoked: boolean; disconnected: number; workerToken: string; expiresAt: string }
  | { ok: false; status: 400 | 503; code: ErrorCode; message: string };

export interface RevokeContext {
  /** Checks a bearer token as a coordinator token for `room` (revocation included). */
  authorizeCoordinator(room: string, token: string | undefined): TokenCheck;
  revoke(room: string, token: string, options: { disconnect: boolean }): RevokeResult;
}

const MAX_BODY_BYTES = 1024;
const REVOKE_PATH = /^\/rooms\/([^/]+)\/revoke$/;

/** The room a request path names, when it is `/rooms/<room>/revoke` (room not validated). */
export function revokePathRoom(requestPath: string): string | null {
  const match = REVOKE_PATH.exec(requestPath);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return '';
  }
}

export async function revokeHandler(ctx: RevokeContext, room: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!ROOM_PATTERN.test(room)) return sendError(res, 400, 'ERR_BAD_MESSAGE', `room must match ${ROOM_PATTERN}`);
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  const auth = ctx.authorizeCoordinator(room, bearer);
  if (!auth.ok) {
    const message = bearer === undefined ? `revoking needs Authorization: Bearer <the coordinator token of room ${room}>` : `${auth.code}: ${auth.message}`;
    return sendJson(res, 401, { error: { code: auth.code, message } }, { 'WWW-Authenticate': 'Bearer' });
  }
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body === null) return sendError(res, 413, 'ERR_MESSAGE_TOO_LARGE', `the body must be at most ${MAX_BODY_BYTES} bytes`);
  const request = parseRevokeBody(body);
  if (typeof request === 'string') return sendError(res, 400, 'ERR_BAD_MESSAGE', request);
  const result = ctx.revoke(room, request.token, { disconnect: request.disconnect });
  if (!result.ok) return sendError(res, result.status, result.code, result.message);
  const { ok: _ok, ...answer } = result;
  sendJson(res, 200, { ...answer, workerPath: `/worker.html?room=${encodeURIComponent(room)}&token=${encodeURIComponent(result.workerToken)}` });
}

/** `{token, disconnect?}`, or a message saying what is wrong. */
export function parseRevokeBody(body: string): { token: string; disconnect: boolean } | string {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return 'the body must be JSON, e.g. {"token":"shoal1.<room>.worker.…"}';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the body must be a JSON object';
  const unknown = Object.keys(value).filter((key) => key !== 'token' && key !== 'disconnect');
  if (unknown.length > 0) return `unknown field ${JSON.stringify(unknown[0])}; valid ones are: token, disconnect`;
  const { token, disconnect } = value as { token?: unknown; disconnect?: unknown };
  if (typeof token !== 'string' || token === '' || token.length > 512) return 'token must be the worker token to revoke';
  if (disconnect !== undefined && typeof disconnect !== 'boolean') return 'disconnect must be true or false';
  return { token, disconnect: disconnect ?? true };
}

function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string): void {
  sendJson(res, status, { error: { code, message } });
}
