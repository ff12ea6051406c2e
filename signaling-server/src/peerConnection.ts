/**
 * One browser's socket, from connect to close. It rate-limits and validates
 * what the browser sends, checks its join token, answers with typed errors,
 * and relays signals inside its room.
 *
 * Lifecycle (one state union, no scattered flags):
 *
 *   lobby ──join (token ok)──▶ joined ──leave──▶ lobby
 *     │                          │
 *     └── close / bad token / join timeout / heartbeat miss / backpressure /
 *         token revoked (evict) /
 *         too many bad or rate-limited messages / shutdown ──▶ gone
 *
 * Only pairs with a coordinator in them are announced to each other
 * (`announces`): a worker hears of the coordinator, the coordinator of every
 * worker, so a join costs O(1) messages.
 *
 * The role a peer is announced with (welcome, peerJoined) is the one its token
 * grants; with `open` and no token it is the one it asked for.
 *
 * Nothing a client sends can throw out of `onFrame`: every failure becomes an
 * `error` reply, a close, or a log line.
 */
import { Buffer } from 'node:buffer';
import {
  MAX_SIGNALING_MESSAGE,
  parseSignalingClientMessage,
  type ErrorCode,
  type IceServer,
  type PeerInfo,
  type Role,
  type SignalingClientMessage,
  type SignalingServerMessage,
} from '@shoal/protocol';
import { describeError, type LogSink } from './log.ts';
import { Metrics } from './metrics.ts';
import { RateLimiter, type ResolvedRateLimit } from './rateLimit.ts';
import type { Rooms } from './rooms.ts';
import type { TokenCheck } from './tokens.ts';

/** The part of a `ws` WebSocket this file uses (tests pass a fake). */
export interface PeerSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  ping(): void;
  close(code: number, reason: string): void;
  terminate(): void;
}

export interface PeerContext {
  rooms: Rooms<PeerConnection>;
  metrics: Metrics;
  log: LogSink;
  /** Checks a join's token; null when the server is open and the join has none (the role is then taken as asked). */
  authorize(room: string, role: Role, token: string | undefined): TokenCheck | null;
  /** The STUN/TURN servers for a peer that just joined (TURN credentials minted for it); empty: none configured. */
  iceServers(peerId: string): IceServer[];
  rateLimit: ResolvedRateLimit;
  /** Drop a socket (close 1013) rather than queue past this many bytes. */
  maxBufferedBytes: number;
  /** Close (1008) a socket after more than this many bad messages. */
  maxBadMessages: number;
  /** Close (1008) a socket still in the lobby this long after connecting or leaving. */
  joinTimeoutMs: number;
  /** Called once, when the connection reaches `gone`. */
  onGone(connection: PeerConnection): void;
}

export type PeerState =
  | { phase: 'lobby' }
  | { phase: 'joined'; room: string; peer: PeerInfo; token: string | undefined }
  | { phase: 'gone'; reason: string };

/** WebSocket close codes this file sends. */
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_TRY_AGAIN_LATER = 1013;

export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_BAD_MESSAGES = 20;

const OPEN = 1;
const TERMINATE_AFTER_MS = 1000;
/** Rejections logged per connection; past this they are only counted (a flood must not flood the log). */
const LOGGED_REJECTIONS = 10;
/** Rejections that mean the client is broken, not merely racing a departure. */
const COUNTS_AS_BAD: ReadonlySet<ErrorCode> = new Set(['ERR_BAD_MESSAGE', 'ERR_MESSAGE_TOO_LARGE', 'ERR_NOT_JOINED']);

export class PeerConnection {
  #state: PeerState = { phase: 'lobby' };
  #alive = true;
  #badMessages = 0;
  #rejections = 0;
  /** When the socket last entered the lobby (connect or leave), for the join timeout. */
  #lobbySince = Date.now();
  readonly #limiter: RateLimiter;
  readonly #socket: PeerSocket;
  readonly #ctx: PeerContext;
  readonly #remote: string;

  constructor(socket: PeerSocket, ctx: PeerContext, remote = 'unknown') {
    this.#socket = socket;
    this.#ctx = ctx;
    this.#remote = remote;
    this.#limiter = new RateLimiter(ctx.rateLimit);
  }

  get state(): PeerState {
    return this.#state;
  }

  /** A frame from the client. Never throws. */
  onFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    try {
      if (this.#state.phase === 'gone') return;
      const bytes = frameLength(data);
      const metrics = this.#ctx.metrics;
      metrics.messagesIn += 1;
      metrics.bytesIn += bytes;
      if (!this.#limiter.allow(bytes)) return this.#rateLimited();
      if (isBinary) return this.#reject('ERR_BAD_MESSAGE', 'binary frames are not accepted; send JSON text');
      const parsed = parseSignalingClientMessage(frameToText(data), MAX_SIGNALING_MESSAGE);
      if (!parsed.ok) return this.#reject(parsed.error.code, parsed.error.message);
      metrics.messagesHandled += 1;
      this.#handle(parsed.value);
    } catch (error) {
      this.#ctx.metrics.internalErrors += 1;
      this.#ctx.log({ event: 'internalError', where: 'onFrame', ...this.#who(), error: describeError(error) });
      this.send({ type: 'error', code: 'ERR_INTERNAL', message: 'the server failed to handle that message' });
    }
  }

  onPong(): void {
    this.#alive = true;
  }

  /** The socket closed (from either side). Never throws. */
  onClose(code: number, reason: string): void {
    try {
      if (this.#state.phase === 'gone') return;
      this.#ctx.log({ event: 'disconnect', ...this.#who(), code, reason });
      this.#becomeGone('close', true);
    } catch (error) {
      this.#ctx.log({ event: 'internalError', where: 'onClose', error: describeError(error) });
    }
  }

  /**
   * One heartbeat round: terminate if the last ping got no pong, else ping
   * again. A socket that has sat in the lobby past the join timeout is closed.
   */
  heartbeat(now = Date.now()): void {
    if (this.#state.phase === 'gone') return;
    if (this.#state.phase === 'lobby' && now - this.#lobbySince >= this.#ctx.joinTimeoutMs) {
      this.#ctx.log({ event: 'dropped', ...this.#who(), reason: 'join timeout' });
      this.#drop('join timeout', () => this.#socket.close(CLOSE_POLICY_VIOLATION, `no join within ${Math.round(this.#ctx.joinTimeoutMs / 1000)} s`));
      return;
    }
    if (!this.#alive) {
      this.#ctx.log({ event: 'timeout', ...this.#who() });
      this.#drop('heartbeat', () => this.#socket.terminate());
      return;
    }
    this.#alive = false;
    try {
      this.#socket.ping();
    } catch (error) {
      this.#ctx.log({ event: 'internalError', where: 'ping', ...this.#who(), error: describeError(error) });
    }
  }

  /** The token this peer joined with, while joined (revocation looks peers up by it). */
  get joinToken(): string | undefined {
    return this.#state.phase === 'joined' ? this.#state.token : undefined;
  }

  /** Its token was revoked: say so (ERR_TOKEN_REVOKED), tell the room it left, and close (1008). */
  evict(message: string): void {
    if (this.#state.phase !== 'joined') return;
    this.#ctx.log({ event: 'dropped', ...this.#who(), reason: 'revoked' });
    Metrics.count(this.#ctx.metrics.rejections, 'ERR_TOKEN_REVOKED');
    this.send({ type: 'error', code: 'ERR_TOKEN_REVOKED', message });
    this.#drop('revoked', () => this.#socket.close(CLOSE_POLICY_VIOLATION, closeReason(`ERR_TOKEN_REVOKED: ${message}`)));
  }

  /** Server shutdown: say so, then close. Does not tell the room (everyone is going). */
  shutdown(message: string): void {
    if (this.#state.phase === 'gone') return;
    this.send({ type: 'shutdown', message });
    this.#becomeGone('shutdown', false);
    this.#safely(() => this.#socket.close(CLOSE_GOING_AWAY, 'server shutting down'));
  }

  /**
   * Sends one message; false if it was not sent. A socket whose queue would
   * pass `maxBufferedBytes` is dropped instead of buffered without bound.
   */
  send(message: SignalingServerMessage): boolean {
    if (this.#socket.readyState !== OPEN) return false;
    const text = JSON.stringify(message);
    const bytes = Buffer.byteLength(text);
    if (this.#socket.bufferedAmount + bytes > this.#ctx.maxBufferedBytes) {
      this.#ctx.log({ event: 'backpressure', ...this.#who(), bufferedAmount: this.#socket.bufferedAmount });
      this.#drop('backpressure', () => {
        this.#socket.close(CLOSE_TRY_AGAIN_LATER, 'not reading fast enough');
        // The close frame waits behind the full queue; do not wait for ws's 30 s timeout.
        setTimeout(() => this.#safely(() => this.#socket.terminate()), TERMINATE_AFTER_MS).unref();
      });
      return false;
    }
    try {
      this.#socket.send(text);
      this.#ctx.metrics.messagesOut += 1;
      this.#ctx.metrics.bytesOut += bytes;
      return true;
    } catch (error) {
      this.#ctx.log({ event: 'internalError', where: 'send', ...this.#who(), error: describeError(error) });
      return false;
    }
  }

  #handle(message: SignalingClientMessage): void {
    switch (message.type) {
      case 'join':
        return this.#join(message.room, message.role, message.name, message.token);
      case 'signal':
        return this.#signal(message.to, message.data);
      case 'leave':
        if (this.#state.phase !== 'joined') return this.#reject('ERR_NOT_JOINED', 'cannot leave: not in a room');
        this.#leaveRoom('leave', true);
        this.#state = { phase: 'lobby' };
        this.#lobbySince = Date.now();
        return;
    }
  }

  #join(room: string, asked: Role, name: string | undefined, token: string | undefined): void {
    const state = this.#state;
    if (state.phase === 'joined') {
      return this.#reject('ERR_BAD_MESSAGE', `already joined room ${state.room} as ${state.peer.peerId}; send leave first`);
    }
    const check = this.#ctx.authorize(room, asked, token);
    if (check !== null && !check.ok) {
      // A refused token ends the connection: there is nothing else it may do.
      Metrics.count(this.#ctx.metrics.authFailures, check.reason);
      this.#reject(check.code, check.message, { room, reason: check.reason });
      this.#drop('unauthorized', () => this.#socket.close(CLOSE_POLICY_VIOLATION, closeReason(`${check.code}: ${check.message}`)));
      return;
    }
    // The role peers are told is the token's (they are equal here); self-declared only on an open server.
    const role = check === null ? asked : check.claims.role;
    const outcome = this.#ctx.rooms.join(room, role, name, this);
    if (!outcome.ok) return this.#reject('ERR_ROOM_FULL', outcome.message);
    const peer = outcome.self.info;
    this.#state = { phase: 'joined', room, peer, token };
    Metrics.count(this.#ctx.metrics.joins, role);
    this.#ctx.log({ event: 'join', room, peerId: peer.peerId, role, name, peers: outcome.others.length + 1, authenticated: check !== null });
    const iceServers = this.#ctx.iceServers(peer.peerId);
    const told = outcome.others.filter((other) => announces(peer, other.info));
    this.send({ type: 'welcome', peerId: peer.peerId, room, peers: told.map((m) => m.info), ...(iceServers.length === 0 ? {} : { iceServers }) });
    for (const other of told) other.handle.send({ type: 'peerJoined', peer });
  }

  #signal(to: string, data: Record<string, unknown>): void {
    const state = this.#state;
    if (state.phase !== 'joined') return this.#reject('ERR_NOT_JOINED', 'join a room before sending signals');
    if (to === state.peer.peerId) return this.#reject('ERR_BAD_MESSAGE', 'cannot signal yourself');
    const target = this.#ctx.rooms.find(state.room, to);
    if (!target) return this.#reject('ERR_UNKNOWN_PEER', `no peer ${to} in room ${state.room}`);
    target.handle.send({ type: 'signal', from: state.peer.peerId, data });
  }

  /** A frame over the rate limit: refused unread; past `closeAfter` refusals the socket is closed. */
  #rateLimited(): void {
    this.#reject('ERR_RATE_LIMITED', 'too many messages: slow down');
    if (!this.#limiter.exhausted || this.#state.phase === 'gone') return;
    this.#ctx.log({ event: 'dropped', ...this.#who(), reason: 'rate limit', refused: this.#limiter.refused });
    this.#drop('rate limit', () => this.#socket.close(CLOSE_POLICY_VIOLATION, `rate limit exceeded (${this.#limiter.refused} messages refused)`));
  }

  #reject(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): void {
    Metrics.count(this.#ctx.metrics.rejections, code);
    this.#rejections += 1;
    if (this.#rejections <= LOGGED_REJECTIONS) {
      this.#ctx.log({ event: 'rejected', ...this.#who(), code, message, ...extra, ...(this.#rejections === LOGGED_REJECTIONS ? { more: 'further rejections on this socket are counted, not logged' } : {}) });
    }
    this.send({ type: 'error', code, message });
    if (!COUNTS_AS_BAD.has(code)) return;
    this.#badMessages += 1;
    if (this.#badMessages > this.#ctx.maxBadMessages && this.#state.phase !== 'gone') {
      this.#ctx.log({ event: 'dropped', ...this.#who(), reason: 'too many bad messages' });
      this.#drop('bad messages', () => this.#socket.close(CLOSE_POLICY_VIOLATION, `more than ${this.#ctx.maxBadMessages} bad messages`));
    }
  }

  /** Leaves the room (telling the others), then closes the socket with `close`. */
  #drop(reason: string, close: () => void): void {
    if (this.#state.phase === 'gone') return;
    this.#becomeGone(reason, true);
    this.#safely(close);
  }

  #becomeGone(reason: string, tellRoom: boolean): void {
    this.#leaveRoom(reason, tellRoom);
    if (reason !== 'close') Metrics.count(this.#ctx.metrics.drops, reason);
    this.#state = { phase: 'gone', reason };
    this.#ctx.onGone(this);
  }

  #leaveRoom(reason: string, tellRoom: boolean): void {
    const state = this.#state;
    if (state.phase !== 'joined') return;
    // Leave the state machine first, so re-entrant drops (a neighbour over its
    // buffer limit while we tell it) cannot leave this peer twice.
    this.#state = { phase: 'lobby' };
    const others = this.#ctx.rooms.leave(state.room, state.peer.peerId);
    this.#ctx.log({ event: 'leave', room: state.room, peerId: state.peer.peerId, role: state.peer.role, reason });
    if (!tellRoom) return;
    for (const other of others) if (announces(state.peer, other.info)) other.handle.send({ type: 'peerLeft', peerId: state.peer.peerId });
  }

  #who(): Record<string, unknown> {
    const state = this.#state;
    return state.phase === 'joined' ? { room: state.room, peerId: state.peer.peerId, remote: this.#remote } : { remote: this.#remote };
  }

  #safely(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.#ctx.log({ event: 'internalError', where: 'close', ...this.#who(), error: describeError(error) });
    }
  }
}

/**
 * Whether two members of a room are told of each other (welcome, peerJoined,
 * peerLeft): when either is a coordinator. Workers are not told of other
 * workers, so one worker's join or leave costs O(1) messages, not one to
 * every member; workers link to each other on demand, signaling by the peer
 * id the coordinator gave them (see packages/transport/src/mesh.ts).
 */
export function announces(a: PeerInfo, b: PeerInfo): boolean {
  return a.role === 'coordinator' || b.role === 'coordinator';
}

function frameLength(data: Buffer | ArrayBuffer | Buffer[]): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return data.byteLength;
}

/** WebSocket close reasons are at most 123 bytes. */
function closeReason(text: string): string {
  return Buffer.byteLength(text) <= 123 ? text : `${Buffer.from(text).subarray(0, 119).toString('utf8').replace(/\uFFFD$/, '')}...`;
}

function frameToText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
