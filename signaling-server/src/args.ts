/**
 * The server's command-line flags, turned into `ServerOptions`. Kept apart
 * from main.ts so it can be tested without starting anything.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { iceFromFlags, mergeIce, parseIceJson, type IceOptions } from './ice.ts';
import { portFromEnv, type ServerOptions } from './options.ts';

export const USAGE = `usage: main.ts [flags]
  --port N                 port (default $PORT, else 8080; 0 picks a free one)
  --host H                 interface (default 0.0.0.0)
  --static-dir DIR         the built apps (default <repo>/dist)
  --open                   allow joins without a token (roles are then self-declared): trusted networks only
  --secret S               token secret, 16+ bytes (default $SHOAL_SECRET, else random per process)
  --token-ttl S            lifetime of room tokens in seconds (default 86400)
  --room-key K             POST /rooms needs "Authorization: Bearer K" (default $SHOAL_ROOM_KEY, else anyone may create rooms)
  --allow-origin O         also accept pages from origin O (repeatable, or comma-separated; * for any)
  --trust-proxy            take client addresses from X-Forwarded-For (behind a reverse proxy)
  --cert FILE --key FILE   serve HTTPS and WSS with this PEM certificate and key
  --ice URL                a STUN server for the pages, e.g. stun:stun.example.com:3478 (repeatable, or comma-separated)
  --turn URL               a TURN server, e.g. turn:turn.example.com:3478?transport=udp (repeatable); needs
                           --turn-secret S (coturn use-auth-secret: credentials minted per join; default $SHOAL_TURN_SECRET)
                           or --turn-user U --turn-credential C (fixed credentials, given to every peer)
  --turn-ttl S             lifetime of minted TURN credentials (default 86400)
  --ice-config FILE        JSON: [RTCIceServer...] or {"iceServers":[...],"turnSecret":{"urls":[...],"secret":"…","ttlSeconds":N}}
                           (also $SHOAL_ICE_SERVERS, JSON). Default: no STUN/TURN, host candidates only
  --max-rooms N            (default 1024)
  --max-peers N            peers per room (default 256)
  --max-connections N      open WebSockets in all (default 10000)
  --max-connections-per-ip N  (default 256)
  --rate N                 messages per second per connection (default 200)
  --burst N                messages at once per connection (default 2000)
  --data DIR               the data folder served under /data/* to holders of data grants (default ./data)
  --max-upload N           largest file one PUT /data/files/… may upload, in bytes (default 2 GiB)
  --no-metrics             do not serve GET /metrics
  --quiet                  no JSON log lines on stdout
  --help`;

export type ParsedServerArgs = { help: true } | { help: false; options: ServerOptions };

export function parseServerArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedServerArgs {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      'static-dir': { type: 'string' },
      open: { type: 'boolean' },
      secret: { type: 'string' },
      'token-ttl': { type: 'string' },
      'room-key': { type: 'string' },
      'allow-origin': { type: 'string', multiple: true },
      'trust-proxy': { type: 'boolean' },
      cert: { type: 'string' },
      key: { type: 'string' },
      ice: { type: 'string', multiple: true },
      turn: { type: 'string', multiple: true },
      'turn-user': { type: 'string' },
      'turn-credential': { type: 'string' },
      'turn-secret': { type: 'string' },
      'turn-ttl': { type: 'string' },
      'ice-config': { type: 'string' },
      'max-rooms': { type: 'string' },
      'max-peers': { type: 'string' },
      'max-connections': { type: 'string' },
      'max-connections-per-ip': { type: 'string' },
      rate: { type: 'string' },
      burst: { type: 'string' },
      data: { type: 'string' },
      'max-upload': { type: 'string' },
      'no-metrics': { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { help: true };
  if ((values.cert === undefined) !== (values.key === undefined)) throw new RangeError('--cert and --key go together');
  const port = portFromEnv(values.port ?? env['PORT']);
  const number = (flag: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || value <= 0) throw new RangeError(`--${flag} expects a positive number, got ${JSON.stringify(raw)}`);
    return value;
  };
  const origins = (values['allow-origin'] ?? []).flatMap((list) => list.split(',')).map((o) => o.trim()).filter(Boolean);
  const ice = iceOptions(values, env, number('turn-ttl', values['turn-ttl']));
  const rate = number('rate', values.rate);
  const burst = number('burst', values.burst);
  const options: ServerOptions = {
    ...(port === undefined ? {} : { port }),
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(values['static-dir'] === undefined ? {} : { staticDir: path.resolve(values['static-dir']) }),
    ...(values.open ? { open: true } : {}),
    ...(values.secret === undefined ? {} : { secret: values.secret }),
    ...optional('tokenTtlSeconds', number('token-ttl', values['token-ttl'])),
    ...(values['room-key'] === undefined ? {} : { roomCreationKey: values['room-key'] }),
    ...(origins.length === 0 ? {} : { allowOrigins: origins }),
    ...(values['trust-proxy'] ? { trustProxy: true } : {}),
    ...(values.cert === undefined || values.key === undefined ? {} : { tls: { cert: readFileSync(values.cert), key: readFileSync(values.key) } }),
    ...optional('maxRooms', number('max-rooms', values['max-rooms'])),
    ...optional('maxPeersPerRoom', number('max-peers', values['max-peers'])),
    ...optional('maxConnections', number('max-connections', values['max-connections'])),
    ...optional('maxConnectionsPerIp', number('max-connections-per-ip', values['max-connections-per-ip'])),
    ...(rate === undefined && burst === undefined ? {} : { rateLimit: { ...optional('messagesPerSecond', rate), ...optional('messageBurst', burst) } }),
    ...(ice === undefined ? {} : { ice }),
    ...(values.data === undefined ? {} : { dataDir: path.resolve(values.data) }),
    ...optional('maxUploadBytes', number('max-upload', values['max-upload'])),
    ...(values['no-metrics'] ? { metrics: false } : {}),
    quiet: values.quiet ?? false,
  };
  return { help: false, options };
}

/** The ICE flags and `--ice-config` as `IceOptions` (`SHOAL_ICE_SERVERS` is read by the server itself). */
function iceOptions(
  values: { ice?: string[] | undefined; turn?: string[] | undefined; 'turn-user'?: string | undefined; 'turn-credential'?: string | undefined; 'turn-secret'?: string | undefined; 'ice-config'?: string | undefined },
  env: NodeJS.ProcessEnv,
  turnTtlSeconds: number | undefined,
): IceOptions | undefined {
  const fixed = values['turn-user'] !== undefined || values['turn-credential'] !== undefined;
  const turnSecret = values['turn-secret'] ?? (fixed || !values.turn ? undefined : env['SHOAL_TURN_SECRET'] || undefined);
  const fromFlags = iceFromFlags({ ice: values.ice, turn: values.turn, turnUser: values['turn-user'], turnCredential: values['turn-credential'], turnSecret, turnTtlSeconds });
  const file = values['ice-config'];
  const fromFile = file === undefined ? undefined : parseIceJson(readFileSync(file, 'utf8'), `--ice-config ${file}`);
  return mergeIce(fromFile, fromFlags);
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

/** The banner an open server prints, so nobody runs one by accident. */
export const OPEN_MODE_WARNING = [
  '!!! OPEN MODE: joins need no token and roles are self-declared.',
  '!!! Anyone who can reach this server can join any room, as coordinator too,',
  '!!! send work to its workers and read their results. Use it only on a trusted network.',
].join('\n');
