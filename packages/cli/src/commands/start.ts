/** `shoal start`: serve the apps and the signaling endpoint until Ctrl-C. */
import { randomId, ShoalError } from '@shoal/protocol';
import { ensureAppsBuilt } from '@shoal/launcher';
import { startSignalingServer } from '@shoal/signaling-server';
import { UsageError, type ParsedArgs } from '../args.ts';
import type { START_FLAGS } from '../commands.ts';
import { formatMs, type Io } from '../io.ts';
import { isLoopbackHost, lanAddress } from '../network.ts';
import { waitForStopSignal } from '../signals.ts';

const DEFAULT_PORT = 8080;

/** Runs `shoal start`; resolves with the exit status once stopped. */
export async function startCommand(args: ParsedArgs<typeof START_FLAGS>, io: Io): Promise<number> {
  const port = args.flags.port ?? portFromEnv() ?? DEFAULT_PORT;
  const host = args.flags.host;

  const apps = await ensureAppsBuilt();
  if (apps.built) io.stderr(`shoal: built the apps in ${formatMs(apps.ms)}\n`);

  let server;
  try {
    server = await startSignalingServer({ port, ...(host === undefined ? {} : { host }) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new ShoalError('ERR_BAD_OPTION', `port ${port} is already in use; pick another with --port N (0 picks a free one)`, { cause: error });
    }
    throw error;
  }

  const room = randomId();
  const lan = host !== undefined && isLoopbackHost(host) ? undefined : lanAddress();
  const joinHost = lan ?? 'localhost';
  // The coordinator page shows the join link and its QR code from joinBase, so
  // volunteers get this machine's LAN address rather than localhost.
  const joinBaseParam = lan ? `&joinBase=${encodeURIComponent(`http://${lan}:${server.port}`)}` : '';
  io.stdout(
    [
      `Shoal is running on port ${server.port} (room ${room})`,
      `  Coordinator:  http://localhost:${server.port}/coordinator.html?room=${room}${joinBaseParam}`,
      `  Worker link:  http://${joinHost}:${server.port}/worker.html?room=${room}`,
      '',
      'Note: WebGPU needs a secure context (HTTPS or localhost). Devices that join over',
      `plain http://${joinHost} run CPU tasks only; HTTPS support is planned.`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );

  const signal = await waitForStopSignal();
  io.stderr(`shoal: ${signal}: closing the server\n`);
  await server.close();
  return 0;
}

function portFromEnv(): number | undefined {
  const raw = process.env['PORT'];
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`PORT must be a port number, got ${JSON.stringify(raw)}`, 'start');
  return port;
}
