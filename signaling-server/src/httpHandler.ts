/**
 * Plain HTTP: `/healthz`, and the built apps as static files. WebSocket
 * upgrades are handled separately (see server.ts).
 */
import { Buffer } from 'node:buffer';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { describeError, type LogSink } from './log.ts';
import { sendText, serveStatic } from './staticFiles.ts';

export interface HttpContext {
  staticDir: string;
  health(): { rooms: number; peers: number };
  log: LogSink;
}

export const WS_PATH = '/ws';

export function createRequestHandler(ctx: HttpContext): RequestListener {
  return (req, res) => {
    handle(ctx, req, res).catch((error: unknown) => {
      ctx.log({ event: 'httpError', method: req.method, url: req.url, error: describeError(error) });
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    });
  };
}

async function handle(ctx: HttpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
  const requestPath = pathOf(req.url);
  if (requestPath === '/healthz') {
    const body = JSON.stringify({ ok: true, ...ctx.health() });
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
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
