/**
 * Data grants: short-lived, HMAC-signed strings that let their holder read the
 * data folder, or write under one directory of it. They ride in URLs
 * (`?grant=`) and task arguments, because DuckDB-WASM fetches files by URL and
 * cannot set headers. Stateless, like join tokens (tokens.ts):
 *
 *   shoalg1.<room>.<r|w>.<expires>.<dir>.<mac>
 *
 *   room     the room whose token asked for it (for the log; grants work on any page)
 *   r|w      read the whole folder, or write under <dir>
 *   expires  Unix time in seconds, decimal
 *   dir      base64url of the write directory (a checked data path); `-` for reads
 *   mac      base64url(HMAC-SHA256(key, "shoalg1.<room>.<r|w>.<expires>.<dir>")), 43 characters
 *
 * The key is derived from the server's secret (HMAC of a fixed label), so a
 * grant can never pass as a join token nor the reverse. Verification checks
 * the MAC first (in constant time), then the rest.
 */
import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ROOM_PATTERN } from '@shoal/protocol';

export const GRANT_VERSION = 'shoalg1';
/** Default lifetime of a grant: an hour (a job that runs longer asks again). */
export const DEFAULT_GRANT_TTL_SECONDS = 60 * 60;

export type GrantKind = 'read' | 'write';

export interface GrantClaims {
  room: string;
  kind: GrantKind;
  /** ms since the epoch (grants carry whole seconds, rounded down). */
  expiresAt: number;
  /** The directory a write grant may write under (a checked data path); `''` for reads. */
  dir: string;
}

export type GrantCheck = { ok: true; claims: GrantClaims } | { ok: false; status: 401 | 403; message: string };

const MAC_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const EXPIRES_PATTERN = /^[0-9]{1,12}$/;
const DIR_PATTERN = /^(?:-|[A-Za-z0-9_-]{1,2800})$/;

/** Signs and checks grants with a key derived from the server secret. */
export class GrantSigner {
  readonly #key: Buffer;

  constructor(secret: Uint8Array) {
    this.#key = createHmac('sha256', secret).update('shoal data grants v1', 'utf8').digest();
  }

  sign(claims: GrantClaims): string {
    if (!ROOM_PATTERN.test(claims.room)) throw new RangeError(`room must match ${ROOM_PATTERN}`);
    const dir = claims.kind === 'read' ? '-' : Buffer.from(claims.dir, 'utf8').toString('base64url');
    if (claims.kind === 'write' && claims.dir === '') throw new RangeError('a write grant needs a directory');
    const body = `${GRANT_VERSION}.${claims.room}.${claims.kind === 'read' ? 'r' : 'w'}.${Math.floor(claims.expiresAt / 1000)}.${dir}`;
    return `${body}.${this.#mac(body).toString('base64url')}`;
  }

  /**
   * Checks a grant for `use` at `now`. With `room`, it must be that room's.
   * Never throws. 401: missing, malformed, forged or expired; 403: a valid
   * grant of the wrong kind or room.
   */
  verify(grant: string | undefined | null, use: GrantKind, options: { room?: string; now?: number } = {}): GrantCheck {
    const what = use === 'read' ? 'reading the data folder needs a read grant' : 'writing to the data folder needs a write grant';
    if (grant === undefined || grant === null || grant === '') {
      return { ok: false, status: 401, message: `ERR_UNAUTHORIZED: ${what} (?grant=…, from POST /data/grant)` };
    }
    const parts = grant.split('.');
    const [version, room, kind, expires, dir, signature] = parts;
    if (
      parts.length !== 6 ||
      version !== GRANT_VERSION ||
      !ROOM_PATTERN.test(room!) ||
      (kind !== 'r' && kind !== 'w') ||
      !EXPIRES_PATTERN.test(expires!) ||
      !DIR_PATTERN.test(dir!) ||
      !MAC_PATTERN.test(signature!)
    ) {
      return { ok: false, status: 401, message: `ERR_UNAUTHORIZED: the grant is malformed (expected ${GRANT_VERSION}.<room>.<r|w>.<expires>.<dir>.<mac>)` };
    }
    if (!timingSafeEqual(this.#mac(parts.slice(0, 5).join('.')), Buffer.from(signature!, 'base64url'))) {
      return { ok: false, status: 401, message: 'ERR_UNAUTHORIZED: the grant was not issued by this server (bad signature)' };
    }
    const claims: GrantClaims = {
      room: room!,
      kind: kind === 'r' ? 'read' : 'write',
      expiresAt: Number(expires) * 1000,
      dir: dir === '-' ? '' : Buffer.from(dir!, 'base64url').toString('utf8'),
    };
    if ((options.now ?? Date.now()) >= claims.expiresAt) {
      return { ok: false, status: 401, message: `ERR_TOKEN_EXPIRED: the grant expired at ${new Date(claims.expiresAt).toISOString()}; ask for a fresh one` };
    }
    if (options.room !== undefined && claims.room !== options.room) {
      return { ok: false, status: 403, message: `ERR_UNAUTHORIZED: the grant is for room ${claims.room}, not ${options.room}` };
    }
    if (claims.kind !== use) {
      return { ok: false, status: 403, message: `ERR_UNAUTHORIZED: a ${claims.kind} grant cannot be used for ${use === 'read' ? 'reading' : 'writing'}; ${what}` };
    }
    return { ok: true, claims };
  }

  #mac(body: string): Buffer {
    return createHmac('sha256', this.#key).update(body, 'utf8').digest();
  }
}

/** Whether a data path lies strictly under a write grant's directory. */
export function underDirectory(dataPath: string, dir: string): boolean {
  return dataPath.startsWith(`${dir}/`) && dataPath.length > dir.length + 1;
}
