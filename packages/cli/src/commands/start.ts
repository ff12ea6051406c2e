/** `shoal start`: serve the apps and the signaling endpoint until Ctrl-C, and print tokenized links for a new room. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ShoalError } from '@shoal/protocol';
import { ensureAppsBuilt } from '@shoal/launcher';
import { iceFromFlags, jsonLinesTo, mergeIce, parseIceJson, startSignalingServer, type IceOptions, type RoomGrant, type ServerOptions } from '@shoal/signaling-server';
import { UsageError, type ParsedArgs } from '../args.ts';
import type { START_FLAGS } from '../commands.ts';
import { formatMs, type Io } from '../io.ts';
import { isLoopbackHost, lanAddress } from '../network.ts';
import { waitForStopSignal } from '../signals.ts';

const DEFAULT_PORT = 8080;

/** Runs `shoal start`; resolves with the exit status once stopped. */
export async function startCommand(args: ParsedArgs<typeof START_FLAGS>, io: Io): Promise<number> {
  const { flags } = args;
  const port = flags.port ?? portFromEnv() ?? DEFAULT_PORT;
  const host = flags.host;
  const options = serverOptions(args);

  const apps = await ensureAppsBuilt();
  if (apps.built) io.stderr(`shoal: built the apps in ${formatMs(apps.ms)}\n`);

  let server;
  try {
    // JSON log lines go to stderr: stdout is for the links.
    server = await startSignalingServer({ port, ...(host === undefined ? {} : { host }), ...options, log: jsonLinesTo(process.stderr) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new ShoalError('ERR_BAD_OPTION', `port ${port} is already in use; pick another with --port N (0 picks a free one)`, { cause: error });
    }
    throw error;
  }

  // The server runs in this process, so the room's tokens are minted here, not through POST /rooms.
  const grant = server.createRoom();
  const lan = host !== undefined && isLoopbackHost(host) ? undefined : lanAddress();
  const joinHost = lan ?? 'localhost';
  const scheme = options.tls ? 'https' : 'http';
  io.stdout(`${startBanner(grant, { port: server.port, scheme, joinHost, lan, open: server.open })}\n`);
  io.stderr(`shoal: data folder ${server.dataDir} (jobs read and write it through grants; --data DIR picks another)\n`);

  const signal = await waitForStopSignal();
  io.stderr(`shoal: ${signal}: closing the server\n`);
  await server.close();
  return 0;
}

/** What `shoal start` prints: the room, its two links, and what they allow. */
export function startBanner(grant: RoomGrant, where: { port: number; scheme: string; joinHost: string; lan: string | undefined; open: boolean }): string {
  const { port, scheme, joinHost, lan } = where;
  const room = encodeURIComponent(grant.room);
  const workerToken = encodeURIComponent(grant.workerToken);
  // The coordinator page shows the join link and its QR code from joinBase and
  // workerToken, so volunteers get this machine's LAN address rather than localhost.
  const joinBaseParam = lan ? `&joinBase=${encodeURIComponent(`${scheme}://${lan}:${port}`)}` : '';
  const lines = [
    `Shoal is running on port ${port} (room ${grant.room})`,
    `  Coordinator:  ${scheme}://localhost:${port}/coordinator.html?room=${room}&token=${encodeURIComponent(grant.coordinatorToken)}&workerToken=${workerToken}${joinBaseParam}`,
    `  Worker link:  ${scheme}://${joinHost}:${port}/worker.html?room=${room}&token=${workerToken}`,
    '',
    `The links can be used to join until ${grant.expiresAt} (--token-ttl S); tabs already in stay.`,
    'Share only the worker link: the coordinator link lets its holder run code on every worker.',
  ];
  if (where.open) {
    lines.push('', 'WARNING: --open: tabs may join without a token and say which role they play.', 'Anyone who can reach this port can join any room, as coordinator too. Trusted networks only.');
  }
  if (scheme === 'http') {
    lines.push('', 'Note: WebGPU needs a secure context (HTTPS or localhost). Devices that join over', `plain http://${joinHost} run CPU tasks only; --cert/--key serve HTTPS.`);
  }
  lines.push('Press Ctrl-C to stop.', '');
  return lines.join('\n');
}

function serverOptions(args: ParsedArgs<typeof START_FLAGS>): Pick<ServerOptions, 'tls' | 'tokenTtlSeconds' | 'allowOrigins' | 'open' | 'ice' | 'dataDir'> {
  const { flags } = args;
  if ((flags.cert === undefined) !== (flags.key === undefined)) throw new UsageError('--cert and --key go together', 'start');
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new UsageError(`--${flag}: cannot read ${file}: ${(error as Error).message}`, 'start');
    }
  };
  const origins = (flags['allow-origin'] ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  const ice = iceOptions(args);
  return {
    ...(flags.cert === undefined || flags.key === undefined ? {} : { tls: { cert: read('cert', flags.cert), key: read('key', flags.key) } }),
    ...(flags['token-ttl'] === undefined ? {} : { tokenTtlSeconds: flags['token-ttl'] }),
    ...(origins.length === 0 ? {} : { allowOrigins: origins }),
    ...(flags.open ? { open: true } : {}),
    ...(ice === undefined ? {} : { ice }),
    ...(flags.data === undefined ? {} : { dataDir: resolve(flags.data) }),
  };
}

/** `--ice`, `--turn` (+ `--turn-secret` or `--turn-user/--turn-credential`), `--ice-config`; the server adds $SHOAL_ICE_SERVERS. */
export function iceOptions(args: ParsedArgs<typeof START_FLAGS>, env: NodeJS.ProcessEnv = process.env): IceOptions | undefined {
  const { flags } = args;
  const fixed = flags['turn-user'] !== undefined || flags['turn-credential'] !== undefined;
  const turnSecret = flags['turn-secret'] ?? (fixed || flags.turn === undefined ? undefined : env['SHOAL_TURN_SECRET'] || undefined);
  try {
    const fromFlags = iceFromFlags({
      ice: flags.ice === undefined ? [] : [flags.ice],
      turn: flags.turn === undefined ? [] : [flags.turn],
      turnUser: flags['turn-user'],
      turnCredential: flags['turn-credential'],
      turnSecret,
      turnTtlSeconds: flags['turn-ttl'],
    });
    const file = flags['ice-config'];
    const fromFile = file === undefined ? undefined : parseIceJson(readFileSync(file, 'utf8'), `--ice-config ${file}`);
    return mergeIce(fromFile, fromFlags);
  } catch (error) {
    throw new UsageError((error as Error).message, 'start');
  }
}

function portFromEnv(): number | undefined {
  const raw = process.env['PORT'];
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`PORT must be a port number, got ${JSON.stringify(raw)}`, 'start');
  return port;
}
