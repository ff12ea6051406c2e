/**
 * Join tokens: who may join which room, as what, until when. Stateless: the
 * server keeps no list of rooms or tokens, only a secret; a token proves
 * itself with an HMAC-SHA256 over its claims.
 *
 *   shoal1.<room>.<role>.<expires>.<mac>
 *
 *   room     the room id (ROOM_PATTERN: letters, digits, `_`, `-`; never a dot)
 *   role     `coordinator` or `worker`
 *   expires  Unix time in seconds, decimal
 *   mac      base64url(HMAC-SHA256(secret, "shoal1.<room>.<role>.<expires>")), 43 characters
 *
 * Example (room `k3x9qf2mwa`, a worker, until 2026-01-01):
 *   shoal1.k3x9qf2mwa.worker.1767225600.kq0Xj…43 chars…
 *
 * Readable claims make a refused link easy to diagnose; nothing in them is
 * secret (the room id is already in the link). A token grants exactly one
 * role: a worker token cannot join as coordinator, nor the reverse.
 * Verification checks the MAC first (in constant time), then room, role, and
 * expiry, so a forged token learns nothing about the others.
 */
import { Buffer } from 'node:buffer';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ROOM_PATTERN, randomId, type ErrorCode, type Role } from '@shoal/protocol';

export const TOKEN_VERSION = 'shoal1';
/** Secrets shorter than this are refused: a guessable secret lets anyone mint tokens. */
export const MIN_SECRET_BYTES = 16;
export const DEFAULT_TOKEN_TTL_SECONDS = 24 * 60 * 60;

export interface TokenClaims {
  room: string;
  role: Role;
  /** Milliseconds since the epoch; tokens carry whole seconds (rounded down). */
  expiresAt: number;
}

/** Why a join was refused; also the `reason` label in metrics. */
export type TokenRefusal = 'missing' | 'malformed' | 'signature' | 'room' | 'role' | 'expired' | 'revoked';

export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; code: Extract<ErrorCode, 'ERR_UNAUTHORIZED' | 'ERR_TOKEN_EXPIRED' | 'ERR_TOKEN_REVOKED'>; reason: TokenRefusal; message: string };

/** What creating a room hands out (`POST /rooms`, `RunningServer.createRoom`). */
export interface RoomGrant {
  room: string;
  coordinatorToken: string;
  workerToken: string;
  /** ISO 8601; both tokens expire then. */
  expiresAt: string;
}

const ROLES: readonly Role[] = ['coordinator', 'worker'];
const MAC_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const EXPIRES_PATTERN = /^[0-9]{1,12}$/;

/** The secret as bytes: the given one (at least 16 bytes), else 32 random bytes for this process. */
export function secretFrom(value: string | Uint8Array | undefined): Uint8Array {
  if (value === undefined) return new Uint8Array(randomBytes(32));
  const bytes = typeof value === 'string' ? new Uint8Array(Buffer.from(value, 'utf8')) : value;
  if (bytes.byteLength < MIN_SECRET_BYTES) {
    throw new RangeError(`the token secret must be at least ${MIN_SECRET_BYTES} bytes (try \`openssl rand -hex 32\`), got ${bytes.byteLength}`);
  }
  return bytes;
}

export function signToken(secret: Uint8Array, claims: TokenClaims): string {
  if (!ROOM_PATTERN.test(claims.room)) throw new RangeError(`room must match ${ROOM_PATTERN}, got ${JSON.stringify(claims.room)}`);
  if (!ROLES.includes(claims.role)) throw new RangeError(`role must be coordinator or worker, got ${JSON.stringify(claims.role)}`);
  if (!Number.isFinite(claims.expiresAt) || claims.expiresAt < 0) throw new RangeError(`expiresAt must be a time in ms, got ${claims.expiresAt}`);
  const body = `${TOKEN_VERSION}.${claims.room}.${claims.role}.${Math.floor(claims.expiresAt / 1000)}`;
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

/** Checks `token` for a join to `room` as `role` at time `now` (ms). Never throws. */
export function verifyToken(secret: Uint8Array, token: string | undefined, room: string, role: Role, now = Date.now()): TokenCheck {
  if (token === undefined || token === '') {
    return refuse('missing', 'this server needs a join token: open the link the coordinator shares (it carries token=…)');
  }
  const parts = token.split('.');
  const [version, claimedRoom, claimedRole, expires, signature] = parts;
  if (
    parts.length !== 5 ||
    version !== TOKEN_VERSION ||
    !ROOM_PATTERN.test(claimedRoom!) ||
    !ROLES.includes(claimedRole as Role) ||
    !EXPIRES_PATTERN.test(expires!) ||
    !MAC_PATTERN.test(signature!)
  ) {
    return refuse('malformed', `the join token is malformed (expected ${TOKEN_VERSION}.<room>.<role>.<expires>.<mac>)`);
  }
  const body = parts.slice(0, 4).join('.');
  if (!timingSafeEqual(mac(secret, body), Buffer.from(signature!, 'base64url'))) {
    return refuse('signature', 'the join token was not issued by this server (bad signature: another server or secret, or altered)');
  }
  const claims: TokenClaims = { room: claimedRoom!, role: claimedRole as Role, expiresAt: Number(expires) * 1000 };
  if (claims.room !== room) return refuse('room', `the join token is for room ${claims.room}, not ${room}`);
  if (claims.role !== role) return refuse('role', `a ${claims.role} token cannot join as ${role}`);
  if (now >= claims.expiresAt) {
    return { ok: false, code: 'ERR_TOKEN_EXPIRED', reason: 'expired', message: `the join token expired at ${new Date(claims.expiresAt).toISOString()}; ask for a fresh link` };
  }
  return { ok: true, claims };
}

/** Mints tokens with one secret and default lifetime; what the server and the CLI hold. */
export class TokenIssuer {
  readonly #secret: Uint8Array;
  readonly ttlSeconds: number;

  constructor(secret: Uint8Array, ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS) {
    if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new RangeError(`tokenTtlSeconds must be a positive number, got ${ttlSeconds}`);
    this.#secret = secret;
    this.ttlSeconds = ttlSeconds;
  }

  /** A token for `room` and `role`, expiring after `ttlSeconds` (default: the issuer's) or at `expiresAt` (ms). */
  mint(room: string, role: Role, options: { ttlSeconds?: number; expiresAt?: number; now?: number } = {}): string {
    return signToken(this.#secret, { room, role, expiresAt: this.#expiry(options) });
  }

  /** A new room (a fresh random id unless given) with a coordinator and a worker token. */
  createRoom(options: { room?: string; ttlSeconds?: number; now?: number } = {}): RoomGrant {
    const room = options.room ?? randomId();
    const expiresAt = Math.floor(this.#expiry(options) / 1000) * 1000;
    return {
      room,
      coordinatorToken: signToken(this.#secret, { room, role: 'coordinator', expiresAt }),
      workerToken: signToken(this.#secret, { room, role: 'worker', expiresAt }),
      expiresAt: new Date(expiresAt).toISOString(),
    };
  }

  verify(token: string | undefined, room: string, role: Role, now = Date.now()): TokenCheck {
    return verifyToken(this.#secret, token, room, role, now);
  }

  #expiry(options: { ttlSeconds?: number; expiresAt?: number; now?: number }): number {
    if (options.expiresAt !== undefined) return options.expiresAt;
    const ttl = options.ttlSeconds ?? this.ttlSeconds;
    if (!Number.isFinite(ttl) || ttl <= 0) throw new RangeError(`ttlSeconds must be a positive number, got ${ttl}`);
    return (options.now ?? Date.now()) + ttl * 1000;
  }
}

function mac(secret: Uint8Array, body: string): Buffer {
  return createHmac('sha256', secret).update(body, 'utf8').digest();
}

function refuse(reason: Exclude<TokenRefusal, 'expired' | 'revoked'>, message: string): TokenCheck {
  return { ok: false, code: 'ERR_UNAUTHORIZED', reason, message };
}
