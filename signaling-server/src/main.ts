/**
 * Runs the signaling server from a terminal:
 *
 *   tsx signaling-server/src/main.ts [--port 9000] [--host 0.0.0.0] [--static-dir dist] [--quiet]
 *
 * The port comes from --port, else the PORT environment variable, else 8080.
 * SIGINT/SIGTERM shut it down gracefully; a second signal exits at once.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { portFromEnv } from './options.ts';
import { startSignalingServer } from './server.ts';

const USAGE = 'usage: main.ts [--port N] [--host HOST] [--static-dir DIR] [--quiet]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      'static-dir': { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = portFromEnv(values.port ?? process.env.PORT);
  const staticDir = values['static-dir'];
  const server = await startSignalingServer({
    ...(port === undefined ? {} : { port }),
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(staticDir === undefined ? {} : { staticDir: path.resolve(staticDir) }),
    quiet: values.quiet ?? false,
  });
  console.log(`Shoal signaling server listening on ${server.url}`);
  console.log(`  coordinator: ${server.url}/coordinator.html`);
  console.log(`  worker:      ${server.url}/worker.html`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`\n${signal}: shutting down`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`signaling server failed to start: ${error instanceof Error ? error.message : String(error)}`);
  console.error(USAGE);
  process.exit(1);
});
