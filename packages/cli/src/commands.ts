/**
 * The table of `shoal` commands: their flags and help. Kept apart from the
 * implementations so `--help` and usage errors load nothing heavy.
 */
import type { FlagSpecs } from './args.ts';

export interface CommandInfo {
  name: string;
  usage: string;
  summary: string;
  /** Lines after the flag list: details and examples. */
  details: readonly string[];
  flags: FlagSpecs;
  maxPositionals: number;
}

export const RUN_FLAGS = {
  workers: { type: 'number', min: 1, value: 'N', description: 'worker tabs to start (default 2); startup waits 30 s plus 0.5 s per tab for them' },
  browsers: { type: 'number', min: 1, value: 'B', description: 'Chromium processes to spread the worker tabs over (default 1; 2 from 32 tabs)' },
  'tabs-per-process': { type: 'number', min: 1, value: 'K', description: 'worker tabs sharing one renderer process (default: one process per tab; 8 from 16 tabs, which then open with nothing attached); about half the CPU per tab, see docs/scale.md' },
  slots: { type: 'number', min: 1, value: 'N', description: 'task slots per worker tab (default: cores / workers, at least 1)' },
  port: { type: 'number', min: 0, value: 'N', description: 'signaling server port (default: a free one)' },
  timeout: { type: 'number', min: 1, value: 'S', description: 'give up after S seconds with ERR_TIMEOUT (default 300)' },
  json: { type: 'boolean', description: 'print one JSON line {"ok":...} as the last line of stdout' },
  verbose: { type: 'boolean', description: "forward the pages' console output to stderr" },
  progress: { type: 'boolean', description: 'live progress bars per task name on stderr even when it is no terminal or with --json (default: on a terminal without --json)' },
  'no-progress': { type: 'boolean', description: 'no progress bars' },
  record: { type: 'string', value: 'FILE', description: "write the job's history (task events, timings, logs, outcome) to FILE, the same JSON file the dashboard exports and imports" },
  chaos: { type: 'string', value: 'PLAN', description: 'fault injection: kill-worker@S[,S...] closes one random worker tab S seconds after the job starts' },
  data: { type: 'string', value: 'DIR', description: "the data folder the job reads and writes (cluster.dataClient, DataFrames; default ./data): see docs/data.md" },
} as const satisfies FlagSpecs;

export const START_FLAGS = {
  port: { type: 'number', min: 0, value: 'N', description: 'port to listen on (default $PORT or 8080; 0 picks a free one)' },
  host: { type: 'string', value: 'H', description: "interface to listen on (default: the server's default)" },
  cert: { type: 'string', value: 'FILE', description: 'PEM certificate: serve HTTPS and WSS (with --key)' },
  key: { type: 'string', value: 'FILE', description: 'PEM private key for --cert' },
  'token-ttl': { type: 'number', min: 1, value: 'S', description: 'how long the printed links can be used to join, in seconds (default 86400)' },
  'allow-origin': { type: 'string', value: 'O', description: 'also accept pages served from origin O (comma-separated; * for any)' },
  open: { type: 'boolean', description: 'let tabs join without a token (roles self-declared): trusted networks only' },
  ice: { type: 'string', value: 'URLS', description: 'STUN servers for the pages, comma-separated, e.g. stun:stun.example.com:3478 (default: none, host candidates only)' },
  turn: { type: 'string', value: 'URLS', description: 'TURN servers, comma-separated, e.g. turn:turn.example.com:3478; with --turn-secret or --turn-user/--turn-credential' },
  'turn-secret': { type: 'string', value: 'S', description: "coturn's static-auth-secret: mint TURN credentials per page load (default $SHOAL_TURN_SECRET)" },
  'turn-ttl': { type: 'number', min: 60, value: 'S', description: 'lifetime of minted TURN credentials in seconds (default 86400)' },
  'turn-user': { type: 'string', value: 'U', description: 'a fixed TURN username (with --turn-credential), given to every page' },
  'turn-credential': { type: 'string', value: 'C', description: 'the fixed TURN password for --turn-user' },
  'ice-config': { type: 'string', value: 'FILE', description: 'JSON: [RTCIceServer...] or {"iceServers":[...],"turnSecret":{"urls":[...],"secret":"..."}} (also $SHOAL_ICE_SERVERS)' },
  data: { type: 'string', value: 'DIR', description: "the data folder served to the room's tabs through grants (default ./data; created on the first write): see docs/data.md" },
} as const satisfies FlagSpecs;

export const WORKER_FLAGS = {
  join: { type: 'string', value: 'URL', description: 'a worker join link, e.g. http://192.168.1.5:8080/worker.html?room=abc&token=shoal1…' },
  tabs: { type: 'number', min: 1, value: 'N', description: 'worker tabs to open (default 1)' },
  browsers: { type: 'number', min: 1, value: 'B', description: 'Chromium processes to spread the tabs over, round robin (default 1)' },
  'tabs-per-process': { type: 'number', min: 1, value: 'K', description: 'tabs sharing one renderer process (default: one process per tab); about half the CPU per tab, see docs/scale.md' },
  slots: { type: 'number', min: 1, value: 'N', description: 'task slots per tab (default: the page decides)' },
  headed: { type: 'boolean', description: 'show the browser window' },
  verbose: { type: 'boolean', description: "print each tab's status every few seconds, and page console output" },
} as const satisfies FlagSpecs;

export const COMMANDS: readonly CommandInfo[] = [
  {
    name: 'start',
    usage: 'shoal start [--port N] [--host H] [--cert FILE --key FILE] [--token-ttl S] [--allow-origin O] [--open] [--ice URLS] [--turn URLS --turn-secret S] [--ice-config FILE] [--data DIR]',
    summary: 'start the signaling server and print the coordinator and worker links',
    details: [
      'Builds the apps first if dist/ is missing. Runs until Ctrl-C.',
      'The links carry join tokens for a new room: anyone with the worker link can join as a worker,',
      'and anyone with the coordinator link can run code on those workers, so share only the worker link.',
      'SHOAL_SECRET=<16+ bytes> keeps tokens valid across restarts (default: a random secret per run).',
      'The pages get the ICE servers (--ice, --turn, --ice-config) from the server when they join: see docs/deploy.md.',
    ],
    flags: START_FLAGS,
    maxPositionals: 0,
  },
  {
    name: 'run',
    usage: 'shoal run <job.js|job.mjs|job.ts> [--workers N] [--json] [--timeout S] [--slots N] [--port N] [--verbose] [--progress|--no-progress] [--chaos kill-worker@S,...] [--record out.json] [--data DIR]',
    summary: 'run a job on a local headless cluster and print its result',
    details: [
      'A job is an ES module whose default export is `async (cluster) => result`.',
      'It is bundled for the browser with esbuild; task functions ship to workers as source.',
      'Exit status: 0 when the job succeeds, 1 when it fails, 2 for usage errors.',
      '',
      'Example: shoal run examples/pi.js --workers 2 --json',
    ],
    flags: RUN_FLAGS,
    maxPositionals: 1,
  },
  {
    name: 'worker',
    usage: 'shoal worker --join <url> [--tabs N] [--browsers B] [--tabs-per-process K] [--slots N] [--headed] [--verbose]',
    summary: "add headless worker tabs to someone else's cluster",
    details: ['Opens N tabs at the join link (each gets a name=; its token= is kept) and runs until Ctrl-C.'],
    flags: WORKER_FLAGS,
    maxPositionals: 0,
  },
];

/** The command named `name`, if there is one. */
export function findCommand(name: string): CommandInfo | undefined {
  return COMMANDS.find((command) => command.name === name);
}

/** `shoal --help`. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'shoal: browser-native distributed compute',
    '',
    'Usage: shoal <command> [flags]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `shoal <command> --help` for its flags.',
    'Environment: SHOAL_CHROMIUM=/path/to/chrome picks the browser.',
  ].join('\n');
}

/** `shoal <command> --help`. */
export function commandHelp(command: CommandInfo): string {
  const entries = Object.entries(command.flags).map(([name, spec]) => [`--${name}${spec.type === 'boolean' ? '' : ` ${spec.value}`}`, spec.description]);
  entries.push(['-h, --help', 'show this help']);
  const width = Math.max(...entries.map(([left]) => left!.length));
  return [
    `Usage: ${command.usage}`,
    '',
    `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`,
    '',
    'Flags:',
    ...entries.map(([left, right]) => `  ${left!.padEnd(width)}  ${right}`),
    ...(command.details.length > 0 ? ['', ...command.details] : []),
  ].join('\n');
}
