/**
 * The `shoal` command line: finds the command, parses its flags, and maps
 * errors to exit statuses (0 ok, 1 failure, 2 usage). Command modules load
 * lazily so `--help` and usage errors stay fast and need no browser.
 */
import { readFileSync } from 'node:fs';
import { isShoalError } from '@shoal/protocol';
import { UsageError, parseArgs, suggest } from './args.ts';
import { COMMANDS, commandHelp, findCommand, mainHelp, RUN_FLAGS, START_FLAGS, WORKER_FLAGS } from './commands.ts';
import { processIo, type Io } from './io.ts';

/** Runs the CLI with `argv` (without `node` and the script); resolves with the exit status. */
export async function runCli(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      const topic = name === 'help' && rest[0] !== undefined ? findCommand(rest[0]) : undefined;
      io.stdout(`${topic === undefined ? mainHelp() : commandHelp(topic)}\n`);
      return name === undefined ? 2 : 0;
    }
    if (name === '-v' || name === '--version') {
      io.stdout(`${version()}\n`);
      return 0;
    }
    const command = findCommand(name);
    if (command === undefined) {
      const names = COMMANDS.map((c) => c.name);
      throw new UsageError(`unknown command ${JSON.stringify(name)}${suggest(name, names, '')} (commands: ${names.join(', ')})`);
    }
    const parsed = parseArgs(rest, command.flags, command.name, command.maxPositionals);
    if (parsed.help) {
      io.stdout(`${commandHelp(command)}\n`);
      return 0;
    }
    switch (command.name) {
      case 'run': {
        const { runCommand } = await import('./commands/run.ts');
        return await runCommand(parseArgs(rest, RUN_FLAGS, 'run', 1), io);
      }
      case 'start': {
        const { startCommand } = await import('./commands/start.ts');
        return await startCommand(parseArgs(rest, START_FLAGS, 'start'), io);
      }
      case 'worker': {
        const { workerCommand } = await import('./commands/worker.ts');
        return await workerCommand(parseArgs(rest, WORKER_FLAGS, 'worker'), io);
      }
      default:
        throw new Error(`command ${command.name} has no implementation`);
    }
  } catch (error) {
    return reportError(error, name, argv.includes('--json'), io);
  }
}

function reportError(error: unknown, name: string | undefined, json: boolean, io: Io): number {
  if (error instanceof UsageError) {
    const prefix = error.command === undefined ? 'shoal' : `shoal ${error.command}`;
    const hint = error.command === undefined ? 'shoal --help' : `shoal ${error.command} --help`;
    io.stderr(`${prefix}: ${error.message}\nRun \`${hint}\` for usage.\n`);
    if (json) io.stdout(`${JSON.stringify({ ok: false, error: { code: error.code, message: error.message } })}\n`);
    return 2;
  }
  const code = isShoalError(error) ? error.code : 'ERR_INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`shoal${name === undefined ? '' : ` ${name}`}: ${code}: ${message}\n`);
  if (!isShoalError(error) && error instanceof Error && error.stack !== undefined) io.stderr(`${error.stack}\n`);
  if (json) io.stdout(`${JSON.stringify({ ok: false, error: { code, message } })}\n`);
  return 1;
}

function version(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
