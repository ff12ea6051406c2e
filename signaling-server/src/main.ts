/**
 * Runs the signaling server from a terminal:
 *
 *   tsx signaling-server/src/main.ts [--port 9000] [--cert c.pem --key k.pem] [--allow-origin https://app.example] ...
 *
 * Flags are listed in args.ts (`--help`). JSON log lines go to stdout; the
 * human banner goes to stderr. Joins need a token: create a room with
 * `POST /rooms` (the banner shows the curl line). SIGINT/SIGTERM shut it down
 * gracefully (peers get `shutdown`); a second signal exits at once.
 */
import { OPEN_MODE_WARNING, USAGE, parseServerArgs } from './args.ts';
import { startSignalingServer } from './server.ts';

async function main(): Promise<void> {
  const parsed = parseServerArgs(process.argv.slice(2));
  if (parsed.help) {
    console.log(USAGE);
    return;
  }
  const server = await startSignalingServer(parsed.options);
  const insecure = server.url.startsWith('https:') ? '' : ' (plain HTTP: put it behind TLS, or pass --cert/--key, before exposing it)';
  console.error(`Shoal signaling server listening on ${server.url}${insecure}`);
  if (server.open) {
    console.error(OPEN_MODE_WARNING);
    console.error(`  coordinator: ${server.url}/coordinator.html?room=<room>`);
    console.error(`  worker:      ${server.url}/worker.html?room=<room>`);
  } else {
    console.error(`  create a room: curl -X POST ${server.url}/rooms   (answers with its coordinator and worker links)`);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    console.error(`\n${signal}: shutting down`);
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
