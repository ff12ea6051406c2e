/**
 * ICE servers (STUN/TURN) for the pages. The server hands them to every peer
 * in its `welcome`, so the shipped pages use them without a rebuild, and only
 * tabs holding a valid join token ever see TURN credentials.
 *
 * Two kinds:
 *   - static entries, given as they are: `{urls: 'stun:stun.example.com:3478'}`,
 *     or a TURN entry with a fixed `username` and `credential`;
 *   - minted TURN credentials (coturn's `use-auth-secret`, the "TURN REST API"
 *     scheme), fresh for each join:
 *
 *       username   = "<unix expiry seconds>:<name>"          e.g. "1767225600:shoal-k3x9qf2mwa"
 *       credential = base64(HMAC-SHA1(secret, username))
 *
 * Default: none at all, so tabs offer host candidates only (enough on one
 * machine or one LAN, and nothing is contacted outside it).
 *
 * Sources, merged in this order: `ServerOptions.ice`, the command line
 * (`--ice`, `--turn`, `--turn-user/--turn-credential`, `--turn-secret`,
 * `--ice-config FILE`; `SHOAL_TURN_SECRET` stands in for `--turn-secret`),
 * and the environment variable `SHOAL_ICE_SERVERS` (JSON).
 */
import { createHmac } from 'node:crypto';
import type { IceServer } from '@shoal/protocol';

export type { IceServer };

/** TURN URLs whose credentials are minted per join from a shared secret. */
export interface TurnSecretOptions {
  /** `turn:` / `turns:` URLs (at least one). */
  urls: string[];
  /** coturn's `static-auth-secret`. */
  secret: string;
  /** Lifetime of each minted credential. Default 86 400 (a day). */
  ttlSeconds?: number;
}

export interface IceOptions {
  /** Given to every peer as they are. */
  servers?: IceServer[];
  /** Minted per join; see the top of this file. */
  turnSecret?: TurnSecretOptions;
}

export interface ResolvedIce {
  servers: IceServer[];
  turnSecret: Required<TurnSecretOptions> | undefined;
}

export const DEFAULT_TURN_TTL_SECONDS = 24 * 60 * 60;
/** A TURN secret shorter than this is guessable; coturn's own docs use 32 hex characters or more. */
export const MIN_TURN_SECRET_LENGTH = 16;
const SCHEMES = /^(stun|stuns|turn|turns):[^\s]+$/;
const MAX_SERVERS = 16;
const MAX_URL_LENGTH = 512;
const ICE_SERVER_KEYS = ['urls', 'username', 'credential'];

/** Checks one entry (from a file, the environment or code); throws a RangeError that says what is wrong. */
export function validateIceServer(value: unknown, where: string): IceServer {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RangeError(`${where}: an ICE server must be an object like {"urls":"stun:host:3478"}`);
  const unknown = Object.keys(value).filter((key) => !ICE_SERVER_KEYS.includes(key));
  if (unknown.length > 0) throw new RangeError(`${where}: unknown field ${JSON.stringify(unknown[0])}; valid ones are: ${ICE_SERVER_KEYS.join(', ')}`);
  const { urls, username, credential } = value as Record<string, unknown>;
  const list = typeof urls === 'string' ? [urls] : urls;
  if (!Array.isArray(list) || list.length === 0 || !list.every((url) => typeof url === 'string')) {
    throw new RangeError(`${where}: urls must be a URL or a non-empty array of URLs`);
  }
  for (const url of list as string[]) checkUrl(url, where);
  if (username !== undefined && typeof username !== 'string') throw new RangeError(`${where}: username must be a string`);
  if (credential !== undefined && typeof credential !== 'string') throw new RangeError(`${where}: credential must be a string`);
  const isTurn = (list as string[]).some((url) => url.startsWith('turn'));
  if (isTurn && (username === undefined || credential === undefined)) {
    throw new RangeError(`${where}: a turn: URL needs a username and a credential (or use --turn-secret to mint them)`);
  }
  return { urls: typeof urls === 'string' ? urls : [...(list as string[])], ...(username === undefined ? {} : { username }), ...(credential === undefined ? {} : { credential }) };
}

/** Parses JSON: an array of ICE servers, or `{"iceServers": [...], "turnSecret": {...}}` (the `--ice-config` file's shape). */
export function parseIceJson(text: string, where: string): IceOptions {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RangeError(`${where}: not JSON (${(error as Error).message})`);
  }
  if (Array.isArray(value)) return { servers: value.map((entry, i) => validateIceServer(entry, `${where}[${i}]`)) };
  if (typeof value !== 'object' || value === null) throw new RangeError(`${where}: expected an array of ICE servers or {"iceServers": [...], "turnSecret": {...}}`);
  const unknown = Object.keys(value).filter((key) => key !== 'iceServers' && key !== 'turnSecret');
  if (unknown.length > 0) throw new RangeError(`${where}: unknown field ${JSON.stringify(unknown[0])}; valid ones are: iceServers, turnSecret`);
  const { iceServers, turnSecret } = value as { iceServers?: unknown; turnSecret?: unknown };
  if (iceServers !== undefined && !Array.isArray(iceServers)) throw new RangeError(`${where}: iceServers must be an array`);
  return {
    ...(iceServers === undefined ? {} : { servers: (iceServers as unknown[]).map((entry, i) => validateIceServer(entry, `${where}.iceServers[${i}]`)) }),
    ...(turnSecret === undefined ? {} : { turnSecret: validateTurnSecret(turnSecret, `${where}.turnSecret`) }),
  };
}

/** The flags of `main.ts` / `shoal start` as `IceOptions`; undefined when none was given. */
export function iceFromFlags(flags: {
  ice?: readonly string[];
  turn?: readonly string[];
  turnUser?: string | undefined;
  turnCredential?: string | undefined;
  turnSecret?: string | undefined;
  turnTtlSeconds?: number | undefined;
}): IceOptions | undefined {
  const ice = split(flags.ice);
  const turn = split(flags.turn);
  const servers: IceServer[] = [];
  if (ice.length > 0) servers.push(validateIceServer({ urls: ice }, '--ice'));
  if ((flags.turnUser === undefined) !== (flags.turnCredential === undefined)) throw new RangeError('--turn-user and --turn-credential go together');
  if (flags.turnSecret !== undefined && flags.turnUser !== undefined) throw new RangeError('give either --turn-secret (minted credentials) or --turn-user/--turn-credential (fixed ones), not both');
  if (turn.length === 0 && (flags.turnUser !== undefined || flags.turnSecret !== undefined)) throw new RangeError('--turn-user, --turn-credential and --turn-secret need --turn URL');
  if (flags.turnTtlSeconds !== undefined && flags.turnSecret === undefined) throw new RangeError('--turn-ttl needs --turn-secret');
  let turnSecret: TurnSecretOptions | undefined;
  if (turn.length > 0) {
    if (flags.turnSecret !== undefined) {
      turnSecret = validateTurnSecret({ urls: turn, secret: flags.turnSecret, ...(flags.turnTtlSeconds === undefined ? {} : { ttlSeconds: flags.turnTtlSeconds }) }, '--turn-secret');
    } else {
      servers.push(validateIceServer({ urls: turn, username: flags.turnUser, credential: flags.turnCredential }, '--turn'));
    }
  }
  if (servers.length === 0 && turnSecret === undefined) return undefined;
  return { ...(servers.length === 0 ? {} : { servers }), ...(turnSecret === undefined ? {} : { turnSecret }) };
}

/** Combines several sources (later ones add servers; the last turnSecret wins). */
export function mergeIce(...sources: Array<IceOptions | undefined>): IceOptions | undefined {
  const present = sources.filter((source): source is IceOptions => source !== undefined);
  if (present.length === 0) return undefined;
  const servers = present.flatMap((source) => source.servers ?? []);
  const turnSecret = present.map((source) => source.turnSecret).filter((t) => t !== undefined).at(-1);
  return { ...(servers.length === 0 ? {} : { servers }), ...(turnSecret === undefined ? {} : { turnSecret }) };
}

/** Validates and fills defaults; `SHOAL_ICE_SERVERS` (JSON, either shape of `parseIceJson`) in `env` adds to `options`. */
export function resolveIce(options: IceOptions | undefined, env: NodeJS.ProcessEnv = {}): ResolvedIce {
  const fromEnv = env['SHOAL_ICE_SERVERS'] ? parseIceJson(env['SHOAL_ICE_SERVERS'], 'SHOAL_ICE_SERVERS') : undefined;
  const merged = mergeIce(options, fromEnv) ?? {};
  const servers = (merged.servers ?? []).map((server, i) => validateIceServer(server, `ice.servers[${i}]`));
  const turnSecret = merged.turnSecret === undefined ? undefined : validateTurnSecret(merged.turnSecret, 'ice.turnSecret');
  if (servers.length + (turnSecret ? 1 : 0) > MAX_SERVERS) throw new RangeError(`at most ${MAX_SERVERS} ICE server entries`);
  return { servers, turnSecret: turnSecret === undefined ? undefined : { ttlSeconds: DEFAULT_TURN_TTL_SECONDS, ...turnSecret } };
}

/** One TURN REST credential: `username = "<expiry>:<name>"`, `credential = base64(HMAC-SHA1(secret, username))`. */
export function mintTurnCredential(secret: string, name: string, ttlSeconds: number, now = Date.now()): { username: string; credential: string; expiresAt: number } {
  const expiry = Math.floor(now / 1000) + Math.max(1, Math.floor(ttlSeconds));
  const username = `${expiry}:${name}`;
  const credential = createHmac('sha1', secret).update(username, 'utf8').digest('base64');
  return { username, credential, expiresAt: expiry * 1000 };
}

/** What one joining peer is given: the static servers, plus freshly minted TURN credentials named after it. */
export function iceServersFor(ice: ResolvedIce, name: string, now = Date.now()): IceServer[] {
  if (ice.turnSecret === undefined) return ice.servers;
  const { username, credential } = mintTurnCredential(ice.turnSecret.secret, name, ice.turnSecret.ttlSeconds, now);
  return [...ice.servers, { urls: ice.turnSecret.urls, username, credential }];
}

/** For logs: the URLs only, never a credential. */
export function describeIce(ice: ResolvedIce): { urls: string[]; mintedTurn: string[] } {
  return { urls: ice.servers.flatMap((s) => [s.urls].flat()), mintedTurn: ice.turnSecret?.urls ?? [] };
}

function validateTurnSecret(value: unknown, where: string): TurnSecretOptions {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RangeError(`${where}: expected {"urls": [...], "secret": "...", "ttlSeconds"?: N}`);
  const unknown = Object.keys(value).filter((key) => !['urls', 'secret', 'ttlSeconds'].includes(key));
  if (unknown.length > 0) throw new RangeError(`${where}: unknown field ${JSON.stringify(unknown[0])}; valid ones are: urls, secret, ttlSeconds`);
  const { urls, secret, ttlSeconds } = value as Record<string, unknown>;
  const list = typeof urls === 'string' ? [urls] : urls;
  if (!Array.isArray(list) || list.length === 0 || !list.every((url) => typeof url === 'string')) throw new RangeError(`${where}: urls must be a non-empty array of turn: URLs`);
  for (const url of list as string[]) {
    checkUrl(url, where);
    if (!url.startsWith('turn')) throw new RangeError(`${where}: minted credentials are for turn:/turns: URLs, got ${url}`);
  }
  if (typeof secret !== 'string' || secret.length < MIN_TURN_SECRET_LENGTH) throw new RangeError(`${where}: the TURN secret must be at least ${MIN_TURN_SECRET_LENGTH} characters (coturn's static-auth-secret)`);
  if (ttlSeconds !== undefined && (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds < 60)) {
    throw new RangeError(`${where}: ttlSeconds must be a number of seconds, at least 60`);
  }
  return { urls: [...(list as string[])], secret, ...(ttlSeconds === undefined ? {} : { ttlSeconds: ttlSeconds as number }) };
}

function checkUrl(url: string, where: string): void {
  if (url.length > MAX_URL_LENGTH || !SCHEMES.test(url)) throw new RangeError(`${where}: ${JSON.stringify(url)} is not a stun:, stuns:, turn: or turns: URL (e.g. stun:stun.example.com:3478)`);
}

function split(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(',')).map((value) => value.trim()).filter(Boolean);
}
