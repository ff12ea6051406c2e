/**
 * Plain HTTP: `/healthz`, `/metrics`, `POST /rooms`, `POST /rooms/<room>/revoke`,
 * the data folder (`/data/*`, dataEndpoint.ts), and the built apps as
 * static files. WebSocket upgrades are handled separately (see server.ts).
 * Logs carry request paths without their query strings: page links carry
 * join tokens there.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { dataHandler, isDataRequest, type DataContext } from './dataEndpoint.ts';
import { describeError, type LogSink } from './log.ts';
import { revokeHandler, revokePathRoom, type RevokeContext } from './revokeEndpoint.ts';
import { createRoomHandler, sendJson, type RoomCreation } from './roomsEndpoint.ts';
import { sendText, serveStatic } from './staticFiles.ts';

export interface HttpContext {
  staticDir: string;
  health(): { rooms: number; peers: number };
  /** The Prometheus page, or null when `/metrics` is turned off. */
  metrics: (() => string) | null;
  rooms: RoomCreation;
  revoke: RevokeContext;
  data: DataContext;
  log: LogSink;
}

export const WS_PATH = '/ws';
export const ROOMS_PATH = '/rooms';

export function createRequestHandler(ctx: HttpContext): RequestListener {
  return (req, res) => {
    handle(ctx, req, res).catch((error: unknown) => {
      ctx.log({ event: 'httpError', method: req.method, path: pathOf(req.url), error: describeError(error) });
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    });
  };
}

async function handle(ctx: HttpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestPath = pathOf(req.url);
  if (requestPath === ROOMS_PATH) {
    if (req.method !== 'POST') return sendText(res, 405, 'method not allowed: POST /rooms creates a room\n', { Allow: 'POST' });
    return createRoomHandler(ctx.rooms, req, res);
  }
  const revokeRoom = revokePathRoom(requestPath);
  if (revokeRoom !== null) {
    if (req.method !== 'POST') return sendText(res, 405, 'method not allowed: POST /rooms/<room>/revoke revokes a worker token\n', { Allow: 'POST' });
    return revokeHandler(ctx.revoke, revokeRoom, req, res);
  }
  if (isDataRequest(requestPath)) return dataHandler(ctx.data, requestPath, req, res);
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
  if (requestPath === '/healthz') return sendJson(res, 200, { ok: true, ...ctx.health() });
  if (requestPath === '/metrics' && ctx.metrics !== null) {
    return sendText(res, 200, ctx.metrics(), { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  }
  if (requestPath === WS_PATH) return sendText(res, 426, 'this endpoint speaks WebSocket\n', { Upgrade: 'websocket' });
  await serveStatic(ctx.staticDir, requestPath, req, res);
}

/** The path part of a request target, without the query string (not decoded). */
export function pathOf(url: string | undefined): string {
  const target = url ?? '/';
  const end = target.search(/[?#]/);
  return end === -1 ? target : target.slice(0, end);
}
