/** The server's options, their defaults, and their validation. */
import { fileURLToPath } from 'node:url';
import { defaultLogSink, quietLogSink, safeLog, type LogSink } from './log.ts';

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
  /** Structured log sink. Default: JSON lines to stderr, unless `quiet`. */
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
  log: LogSink;
}

export const DEFAULT_PORT = 8080;
/** signaling-server/src → <repo root>/dist */
export const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../../dist', import.meta.url));

export function resolveOptions(options: ServerOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  const port = options.port ?? portFromEnv(env.PORT) ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer from 0 to 65535, got ${port}`);
  const resolved: ResolvedOptions = {
    port,
    host: options.host ?? '0.0.0.0',
    staticDir: options.staticDir ?? DEFAULT_STATIC_DIR,
    heartbeatIntervalMs: positiveInteger('heartbeatIntervalMs', options.heartbeatIntervalMs ?? 10_000),
    maxPeersPerRoom: positiveInteger('maxPeersPerRoom', options.maxPeersPerRoom ?? 256),
    maxRooms: positiveInteger('maxRooms', options.maxRooms ?? 1024),
    log: safeLog(options.log ?? (options.quiet ? quietLogSink : defaultLogSink)),
  };
  return resolved;
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
