/**
 * The signaling server: one HTTP(S) server for `/healthz`, `/metrics`,
 * `POST /rooms`, `POST /rooms/<room>/revoke` and the built apps, and a `ws` endpoint at `/ws` on the same
 * port for rooms and SDP/ICE relay. No task data passes through here.
 *
 * A join needs a token for its room and role (tokens.ts) unless the server is
 * `open`. Processes that run the server in-process (`shoal start`, the
 * launcher) mint tokens with `createRoom()` / `mintToken()`; others ask
 * `POST /rooms`.
 */
import { Buffer } from 'node:buffer';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { MAX_SIGNALING_MESSAGE, type Role } from '@shoal/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { ConnectionCounter } from './admission.ts';
import { DataFolder } from './dataFolder.ts';
import { GrantSigner } from './dataGrants.ts';
import { createRequestHandler, pathOf, WS_PATH } from './httpHandler.ts';
import { describeError, type LogSink } from './log.ts';
import { Metrics } from './metrics.ts';
import { resolveOptions, type ServerOptions } from './options.ts';
import { PeerConnection, type PeerContext } from './peerConnection.ts';
import { Rooms } from './rooms.ts';
import { describeIce, iceServersFor } from './ice.ts';
import { Revocations } from './revocations.ts';
import type { RevokeResult } from './revokeEndpoint.ts';
import { TokenIssuer, type RoomGrant, type TokenCheck } from './tokens.ts';

type Server = HttpServer | HttpsServer;

export interface ServerStats {
  /** Rooms with at least one peer. */
  rooms: number;
  /** Peers joined to a room. */
  peers: number;
  /** Open WebSocket connections (joined or not). */
  connections: number;
  /** Client messages that parsed and were handled. */
  messages: number;
  /** Client messages answered with an `error` reply. */
  rejected: number;
  /** Frames received, and messages sent. */
  messagesIn: number;
  messagesOut: number;
  /** Rejections by error code. */
  rejections: Record<string, number>;
  /** Sockets the server closed, by reason (`unauthorized`, `rate limit`, `bad messages`, `backpressure`, `heartbeat`, `join timeout`, `shutdown`). */
  drops: Record<string, number>;
  /** Messages whose handling threw inside the server (answered ERR_INTERNAL); anything but 0 is a bug. */
  internalErrors: number;
}

export interface RunningServer {
  port: number;
  /** `http://localhost:<port>`, or `https://` with TLS. */
  url: string;
  /** Whether joins without a token are allowed. */
  readonly open: boolean;
  /** The data folder served under `/data/*` (absolute; it may not exist yet). */
  readonly dataDir: string;
  /** Sends `shutdown` to every peer, closes every socket and the HTTP server. Resolves within about a second. */
  close(): Promise<void>;
  stats(): ServerStats;
  /** The `/metrics` page (Prometheus text). */
  metrics(): string;
  /** A new room (random id unless given) and its coordinator and worker tokens. */
  createRoom(options?: { room?: string; ttlSeconds?: number }): RoomGrant;
  /** One token for `room` and `role`; `expiresAt` (ms) overrides `ttlSeconds` (tests mint expired ones this way). */
  mintToken(room: string, role: Role, options?: { ttlSeconds?: number; expiresAt?: number }): string;
  /**
   * Revokes a worker token of `room` (what `POST /rooms/<room>/revoke` does
   * once the coordinator token checks out): later joins with it get
   * ERR_TOKEN_REVOKED, and with `disconnect` (default true) peers joined with
   * it are closed. Answers with a replacement worker token.
   */
  revokeToken(room: string, token: string, options?: { disconnect?: boolean }): RevokeResult;
}

/** How long close() lets sockets finish their close handshake before terminating them. */
const CLOSE_GRACE_MS = 250;
/** How long close() waits for the HTTP server before giving up on it. */
const HTTP_CLOSE_LIMIT_MS = 500;

export async function startSignalingServer(options: ServerOptions = {}): Promise<RunningServer> {
  const config = resolveOptions(options);
  const log = config.log;
  const rooms = new Rooms<PeerConnection>(config);
  const metrics = new Metrics();
  const issuer = new TokenIssuer(config.secret, config.tokenTtlSeconds);
  const counter = new ConnectionCounter(config);
  const revocations = new Revocations(config.maxRevocations);
  /** A token check that also refuses revoked tokens (after the signature, room, role and expiry). */
  const verify = (token: string | undefined, room: string, role: Role): TokenCheck => {
    const check = issuer.verify(token, room, role);
    if (check.ok && revocations.has(token!)) {
      return { ok: false, code: 'ERR_TOKEN_REVOKED', reason: 'revoked', message: `this ${role} token was revoked by the room's coordinator; ask for a new link` };
    }
    return check;
  };
  const connections = new Set<PeerConnection>();
  const sockets = new Set<WebSocket>();
  let phase: 'running' | 'closing' = 'running';

  const peerContext: PeerContext = {
    rooms,
    metrics,
    log,
    authorize: (room, role, token) => (token === undefined && config.open ? null : verify(token, room, role)),
    iceServers: (peerId) => iceServersFor(config.ice, `shoal-${peerId}`),
    rateLimit: config.rateLimit,
    maxBufferedBytes: config.maxBufferedBytes,
    maxBadMessages: config.maxBadMessages,
    joinTimeoutMs: config.joinTimeoutMs,
    onGone: (connection) => connections.delete(connection),
  };

  const createRoom = (options: { room?: string; ttlSeconds?: number } = {}): RoomGrant => {
    const grant = issuer.createRoom(options);
    metrics.roomsCreated += 1;
    log({ event: 'roomCreated', room: grant.room, expiresAt: grant.expiresAt });
    return grant;
  };
  const revokeToken = (room: string, token: string, options: { disconnect?: boolean } = {}): RevokeResult => {
    const now = Date.now();
    const check = issuer.verify(token, room, 'worker', now);
    if (!check.ok && check.reason !== 'expired') {
      return { ok: false, status: 400, code: 'ERR_BAD_MESSAGE', message: `token is not a worker token of room ${room} from this server (${check.message})` };
    }
    let revoked = false;
    let disconnected = 0;
    if (check.ok) {
      if (!revocations.revoke(token, check.claims.expiresAt, now)) {
        return { ok: false, status: 503, code: 'ERR_ROOM_FULL', message: 'the server cannot remember more revoked tokens now; try again later' };
      }
      revoked = true;
      if (options.disconnect ?? true) {
        for (const member of rooms.members(room)) {
          if (member.handle.joinToken !== token) continue;
          member.handle.evict('the token this tab joined with was revoked by the room\'s coordinator');
          disconnected += 1;
        }
      }
    }
    // The replacement must differ from the revoked token: tokens are a function of (room, role, expiry second).
    let expiresAt = now + issuer.ttlSeconds * 1000;
    let workerToken = issuer.mint(room, 'worker', { expiresAt });
    if (revocations.has(workerToken)) {
      expiresAt -= 1000;
      workerToken = issuer.mint(room, 'worker', { expiresAt });
    }
    log({ event: 'revoked', room, role: 'worker', revoked, disconnected });
    return { ok: true, room, revoked, disconnected, workerToken, expiresAt: new Date(Math.floor(expiresAt / 1000) * 1000).toISOString() };
  };
  const renderMetrics = (): string => metrics.render({ connections: counter.total, rooms: rooms.roomCount, peers: rooms.peerCount });

  const handler = createRequestHandler({
    staticDir: config.staticDir,
    health: () => ({ rooms: rooms.roomCount, peers: rooms.peerCount }),
    metrics: config.metrics ? renderMetrics : null,
    rooms: { key: config.roomCreationKey, maxTtlSeconds: config.tokenTtlSeconds, create: (ttlSeconds) => createRoom({ ttlSeconds }) },
    revoke: { authorizeCoordinator: (room, token) => verify(token, room, 'coordinator'), revoke: revokeToken },
    data: {
      folder: new DataFolder(config.dataDir),
      grants: new GrantSigner(config.secret),
      maxUploadBytes: config.maxUploadBytes,
      maxTtlSeconds: config.tokenTtlSeconds,
      allowOrigins: config.allowOrigins,
      open: config.open,
      verifyToken: verify,
      log,
    },
    log,
  });
  const httpServer: Server = config.tls ? createHttpsServer({ cert: config.tls.cert, key: config.tls.key }, handler) : createServer(handler);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_SIGNALING_MESSAGE, perMessageDeflate: false, clientTracking: false });
  wss.on('error', (error) => log({ event: 'internalError', where: 'wss', error: describeError(error) }));

  const accept = (ws: WebSocket, req: IncomingMessage, address: string): void => {
    const remote = `${address}:${req.socket.remotePort ?? '?'}`;
    const connection = new PeerConnection(ws, peerContext, remote);
    sockets.add(ws);
    connections.add(connection);
    counter.add(address);
    metrics.connectionsTotal += 1;
    log({ event: 'connect', remote, origin: req.headers.origin });
    // Errors (oversized frame → 1009, bad UTF-8 → 1007, resets) are followed by 'close'.
    ws.on('error', (error) => log({ event: 'socketError', remote, error: describeError(error) }));
    ws.on('message', (data, isBinary) => connection.onFrame(data, isBinary));
    ws.on('pong', () => connection.onPong());
    ws.on('close', (code, reason) => {
      sockets.delete(ws);
      counter.remove(address);
      connection.onClose(code, reason.toString('utf8'));
    });
  };

  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (error) => log({ event: 'socketError', where: 'upgrade', error: describeError(error) }));
    const refuse = (status: number, text: string, reason: string, message?: string): void => {
      Metrics.count(metrics.upgradesRefused, reason);
      refuseUpgrade(socket, status, text, log, req, message);
    };
    try {
      if (pathOf(req.url) !== WS_PATH) return refuse(404, 'Not Found', 'path');
      if (phase !== 'running') return refuse(503, 'Service Unavailable', 'closing');
      const admission = counter.admit(req);
      if (!admission.ok) return refuse(admission.status, admission.status === 403 ? 'Forbidden' : 'Service Unavailable', admission.reason, admission.message);
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (phase !== 'running') return ws.terminate();
        accept(ws, req, admission.address);
      });
    } catch (error) {
      log({ event: 'internalError', where: 'upgrade', error: describeError(error) });
      socket.destroy();
    }
  });
  httpServer.on('error', (error) => log({ event: 'internalError', where: 'http', error: describeError(error) }));

  await listen(httpServer, config.port, config.host);
  const port = (httpServer.address() as AddressInfo).port;
  const url = `${config.tls ? 'https' : 'http'}://localhost:${port}`;

  const heartbeat = setInterval(() => {
    const now = Date.now();
    for (const connection of [...connections]) connection.heartbeat(now);
  }, config.heartbeatIntervalMs);
  heartbeat.unref();

  log({
    event: 'listening',
    url,
    host: config.host,
    port,
    staticDir: config.staticDir,
    dataDir: config.dataDir,
    tls: config.tls !== undefined,
    open: config.open,
    allowOrigins: config.allowOrigins,
    roomCreation: config.roomCreationKey === undefined ? 'anyone' : 'key',
    ice: describeIce(config.ice),
  });
  if (config.open) {
    log({ event: 'warning', message: 'OPEN MODE: joins need no token and roles are self-declared; anyone who can reach this server can join any room, as coordinator too' });
  }

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

  const stats = (): ServerStats => ({
    rooms: rooms.roomCount,
    peers: rooms.peerCount,
    connections: counter.total,
    messages: metrics.messagesHandled,
    rejected: metrics.rejected,
    messagesIn: metrics.messagesIn,
    messagesOut: metrics.messagesOut,
    rejections: Object.fromEntries(metrics.rejections),
    drops: Object.fromEntries(metrics.drops),
    internalErrors: metrics.internalErrors,
  });

  return {
    port,
    url,
    open: config.open,
    dataDir: config.dataDir,
    close,
    stats,
    metrics: renderMetrics,
    createRoom,
    mintToken: (room, role, mintOptions = {}) => issuer.mint(room, role, mintOptions),
    revokeToken,
  };
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

function refuseUpgrade(socket: Duplex, status: number, text: string, log: LogSink, req: IncomingMessage, message = ''): void {
  log({ event: 'upgradeRefused', path: pathOf(req.url), status, ...(message ? { message } : {}) });
  const body = message ? `${message}\n` : '';
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
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
