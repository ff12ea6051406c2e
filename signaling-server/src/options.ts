/** The server's options, their defaults, and their validation. The table in README.md lists them. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizeOrigin } from './admission.ts';
import { resolveIce, type IceOptions, type ResolvedIce } from './ice.ts';
import { defaultLogSink, quietLogSink, safeLog, type LogSink } from './log.ts';
import { resolveRateLimit, type RateLimitOptions, type ResolvedRateLimit } from './rateLimit.ts';
import { DEFAULT_TOKEN_TTL_SECONDS, secretFrom } from './tokens.ts';

export interface ServerOptions {
  /** 0 = a random free port. Default: the PORT environment variable, else 8080. */
  port?: number;
  /** Default '0.0.0.0'. */
  host?: string;
  /** Directory of the built apps (vite output). Default: `<repo root>/dist`. */
  staticDir?: string;
  /** Default 10 000. A socket that misses a ping/pong round is terminated. */
  heartbeatIntervalMs?: number;
  /** Default 256. */
  maxPeersPerRoom?: number;
  /** Default 1024. */
  maxRooms?: number;
  /** Open WebSockets in all. Default 10 000. */
  maxConnections?: number;
  /** Open WebSockets from one address. Default 256. */
  maxConnectionsPerIp?: number;
  /** Per-connection token buckets; see rateLimit.ts. */
  rateLimit?: RateLimitOptions;
  /** Drop a socket (close 1013) rather than queue more than this for it. Default 4 MiB. */
  maxBufferedBytes?: number;
  /** Close a socket (1008) after more than this many malformed messages. Default 20. */
  maxBadMessages?: number;
  /** Close a socket (1008) that has not joined a room this long after connecting or leaving. Default 30 000. */
  joinTimeoutMs?: number;
  /**
   * HMAC secret for join tokens (at least 16 bytes). Default: the SHOAL_SECRET
   * environment variable, else 32 random bytes, so tokens die with the process.
   */
  secret?: string | Uint8Array;
  /** Lifetime of tokens from `POST /rooms` and `createRoom()`, and the most `POST /rooms` may ask for. Default 86 400 (a day). */
  tokenTtlSeconds?: number;
  /** Allow joins without a token (roles are then self-declared). Default false. For trusted networks and tests only. */
  open?: boolean;
  /** When set, `POST /rooms` needs `Authorization: Bearer <key>`. Default: the SHOAL_ROOM_KEY environment variable, else anyone may create rooms. */
  roomCreationKey?: string;
  /** Page origins, besides this server's own, that may open WebSockets (`*` for any). Default none. */
  allowOrigins?: readonly string[];
  /** Read the client address from X-Forwarded-For (behind a reverse proxy). Default false. */
  trustProxy?: boolean;
  /** PEM certificate and key: serve HTTPS and WSS. Default: plain HTTP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * STUN/TURN servers handed to every peer in its `welcome` (TURN credentials
   * minted per join with `turnSecret`); see ice.ts. Default none (host
   * candidates only); the SHOAL_ICE_SERVERS (JSON) and SHOAL_TURN_SECRET
   * environment variables add to it.
   */
  ice?: IceOptions;
  /** Revoked tokens remembered at once (each until it expires). Default 100 000. */
  maxRevocations?: number;
  /** Serve `GET /metrics`. Default true. */
  metrics?: boolean;
  /**
   * The data folder served under `/data/*` to holders of data grants
   * (dataEndpoint.ts). Default `./data` in the working directory; it need not
   * exist (reads then find nothing; the first write creates it).
   */
  dataDir?: string;
  /** Largest file one `PUT /data/files/…` may upload, in bytes. Default 2 GiB. */
  maxUploadBytes?: number;
  /** Structured log sink. Default: JSON lines to stdout, unless `quiet`. */
  log?: (event: Record<string, unknown>) => void;
  /** Silences the default log sink (a `log` you pass is always used). */
  quiet?: boolean;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  staticDir: string;
  heartbeatIntervalMs: number;
  maxPeersPerRoom: number;
  maxRooms: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  rateLimit: ResolvedRateLimit;
  maxBufferedBytes: number;
  maxBadMessages: number;
  joinTimeoutMs: number;
  secret: Uint8Array;
  tokenTtlSeconds: number;
  open: boolean;
  roomCreationKey: string | undefined;
  allowOrigins: string[];
  trustProxy: boolean;
  tls: { cert: string | Buffer; key: string | Buffer } | undefined;
  ice: ResolvedIce;
  maxRevocations: number;
  metrics: boolean;
  dataDir: string;
  maxUploadBytes: number;
  log: LogSink;
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_DATA_DIR = 'data';
export const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 ** 3;
/** signaling-server/src → <repo root>/dist */
export const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../../dist', import.meta.url));

export function resolveOptions(options: ServerOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  const port = options.port ?? portFromEnv(env.PORT) ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer from 0 to 65535, got ${port}`);
  const tokenTtlSeconds = options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (!Number.isFinite(tokenTtlSeconds) || tokenTtlSeconds <= 0) throw new RangeError(`tokenTtlSeconds must be a positive number, got ${tokenTtlSeconds}`);
  const roomCreationKey = options.roomCreationKey ?? nonEmpty(env.SHOAL_ROOM_KEY);
  if (roomCreationKey !== undefined && roomCreationKey.length < 16) throw new RangeError('roomCreationKey must be at least 16 characters');
  if (options.tls && (!options.tls.cert || !options.tls.key)) throw new RangeError('tls needs both cert and key (PEM)');
  return {
    port,
    host: options.host ?? '0.0.0.0',
    staticDir: options.staticDir ?? DEFAULT_STATIC_DIR,
    heartbeatIntervalMs: positiveInteger('heartbeatIntervalMs', options.heartbeatIntervalMs ?? 10_000),
    maxPeersPerRoom: positiveInteger('maxPeersPerRoom', options.maxPeersPerRoom ?? 256),
    maxRooms: positiveInteger('maxRooms', options.maxRooms ?? 1024),
    maxConnections: positiveInteger('maxConnections', options.maxConnections ?? 10_000),
    maxConnectionsPerIp: positiveInteger('maxConnectionsPerIp', options.maxConnectionsPerIp ?? 256),
    rateLimit: resolveRateLimit(options.rateLimit),
    maxBufferedBytes: positiveInteger('maxBufferedBytes', options.maxBufferedBytes ?? 4 * 1024 * 1024),
    maxBadMessages: positiveInteger('maxBadMessages', options.maxBadMessages ?? 20),
    joinTimeoutMs: positiveInteger('joinTimeoutMs', options.joinTimeoutMs ?? 30_000),
    secret: secretFrom(options.secret ?? nonEmpty(env.SHOAL_SECRET)),
    tokenTtlSeconds,
    open: options.open ?? false,
    roomCreationKey,
    allowOrigins: (options.allowOrigins ?? []).map((origin) => (origin === '*' ? origin : normalizeOrigin(origin))),
    trustProxy: options.trustProxy ?? false,
    tls: options.tls,
    ice: resolveIce(options.ice, env),
    maxRevocations: positiveInteger('maxRevocations', options.maxRevocations ?? 100_000),
    metrics: options.metrics ?? true,
    dataDir: path.resolve(options.dataDir ?? DEFAULT_DATA_DIR),
    maxUploadBytes: positiveInteger('maxUploadBytes', options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES),
    log: safeLog(options.log ?? (options.quiet ? quietLogSink : defaultLogSink)),
  };
}

/** Parses a PORT-style value; undefined when absent, an error when malformed. */
export function portFromEnv(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`PORT must be an integer from 0 to 65535, got '${value}'`);
  return port;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
