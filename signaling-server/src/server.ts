/**
 * The signaling server: one HTTP server for `/healthz` and the built apps, and
 * a `ws` endpoint at `/ws` on the same port for rooms and SDP/ICE relay.
 * No task data passes through here.
 */
import type { Buffer } from 'node:buffer';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { MAX_SIGNALING_MESSAGE } from '@shoal/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { createRequestHandler, pathOf, WS_PATH } from './httpHandler.ts';
import { describeError, type LogSink } from './log.ts';
import { resolveOptions, type ServerOptions } from './options.ts';
import { DEFAULT_MAX_BAD_MESSAGES, DEFAULT_MAX_BUFFERED_BYTES, PeerConnection, type PeerContext } from './peerConnection.ts';
import { Rooms } from './rooms.ts';

export interface ServerStats {
  /** Rooms with at least one peer. */
  rooms: number;
  /** Peers joined to a room. */
  peers: number;
  /** Client messages that parsed and were handled. */
  messages: number;
  /** Client messages answered with an `error` reply. */
  rejected: number;
}

export interface RunningServer {
  port: number;
  /** `http://localhost:<port>` */
  url: string;
  /** Sends `shutdown` to every peer, closes every socket and the HTTP server. Resolves within about a second. */
  close(): Promise<void>;
  stats(): ServerStats;
}

/** How long close() lets sockets finish their close handshake before terminating them. */
const CLOSE_GRACE_MS = 250;
/** How long close() waits for the HTTP server before giving up on it. */
const HTTP_CLOSE_LIMIT_MS = 500;

export async function startSignalingServer(options: ServerOptions = {}): Promise<RunningServer> {
  const config = resolveOptions(options);
  const log = config.log;
  const rooms = new Rooms<PeerConnection>(config);
  const counters = { messages: 0, rejected: 0 };
  const connections = new Set<PeerConnection>();
  const sockets = new Set<WebSocket>();
  let phase: 'running' | 'closing' = 'running';

  const peerContext: PeerContext = {
    rooms,
    counters,
    log,
    maxBufferedBytes: DEFAULT_MAX_BUFFERED_BYTES,
    maxBadMessages: DEFAULT_MAX_BAD_MESSAGES,
    onGone: (connection) => connections.delete(connection),
  };

  const httpServer = createServer(
    createRequestHandler({ staticDir: config.staticDir, health: () => ({ rooms: rooms.roomCount, peers: rooms.peerCount }), log }),
  );
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_SIGNALING_MESSAGE, perMessageDeflate: false, clientTracking: false });
  wss.on('error', (error) => log({ event: 'internalError', where: 'wss', error: describeError(error) }));

  const accept = (ws: WebSocket, req: IncomingMessage): void => {
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const connection = new PeerConnection(ws, peerContext, remote);
    sockets.add(ws);
    connections.add(connection);
    log({ event: 'connect', remote });
    // Errors (oversized frame → 1009, bad UTF-8 → 1007, resets) are followed by 'close'.
    ws.on('error', (error) => log({ event: 'socketError', remote, error: describeError(error) }));
    ws.on('message', (data, isBinary) => connection.onFrame(data, isBinary));
    ws.on('pong', () => connection.onPong());
    ws.on('close', (code, reason) => {
      sockets.delete(ws);
      connection.onClose(code, reason.toString('utf8'));
    });
  };

  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (error) => log({ event: 'socketError', where: 'upgrade', error: describeError(error) }));
    try {
      if (pathOf(req.url) !== WS_PATH) return refuseUpgrade(socket, 404, 'Not Found', log, req);
      if (phase !== 'running') return refuseUpgrade(socket, 503, 'Service Unavailable', log, req);
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (phase !== 'running') return ws.terminate();
        accept(ws, req);
      });
    } catch (error) {
      log({ event: 'internalError', where: 'upgrade', error: describeError(error) });
      socket.destroy();
    }
  });
  httpServer.on('error', (error) => log({ event: 'internalError', where: 'http', error: describeError(error) }));

  await listen(httpServer, config.port, config.host);
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://localhost:${port}`;

  const heartbeat = setInterval(() => {
    for (const connection of [...connections]) connection.heartbeat();
  }, config.heartbeatIntervalMs);
  heartbeat.unref();

  log({ event: 'listening', url, host: config.host, port, staticDir: config.staticDir });

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      phase = 'closing';
      clearInterval(heartbeat);
      for (const connection of [...connections]) connection.shutdown('the signaling server is shutting down');
      connections.clear();
      rooms.clear();
      await waitForSockets(sockets, CLOSE_GRACE_MS);
      for (const ws of sockets) ws.terminate();
      wss.close();
      await closeHttp(httpServer, HTTP_CLOSE_LIMIT_MS);
      log({ event: 'closed', ...stats() });
    })();
    return closing;
  };

  const stats = (): ServerStats => ({ rooms: rooms.roomCount, peers: rooms.peerCount, messages: counters.messages, rejected: counters.rejected });

  return { port, url, close, stats };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function refuseUpgrade(socket: Duplex, status: number, text: string, log: LogSink, req: IncomingMessage): void {
  log({ event: 'upgradeRefused', url: req.url, status });
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Resolves when every socket has closed, or after `limitMs`. */
function waitForSockets(sockets: Set<WebSocket>, limitMs: number): Promise<void> {
  if (sockets.size === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(finish, limitMs);
    const pending = new Set(sockets);
    function finish(): void {
      clearTimeout(timer);
      resolve();
    }
    for (const ws of pending) {
      ws.once('close', () => {
        pending.delete(ws);
        if (pending.size === 0) finish();
      });
    }
  });
}

/** Closes the HTTP server, dropping idle keep-alive connections; gives up waiting after `limitMs`. */
function closeHttp(server: Server, limitMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, limitMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
