/** `shoal run <job>`: bundle a job, start a local cluster, run it, print the result. */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { ShoalError, isShoalError, type ErrorCode, type JobOutcome, type RemoteError } from '@shoal/protocol';
import type { ClusterTimings, LocalCluster } from '@shoal/launcher';
import { UsageError, type ParsedArgs } from '../args.ts';
import { parseChaos, startChaos } from '../chaos.ts';
import { describeShape, runShape } from '../runShape.ts';
import type { RUN_FLAGS } from '../commands.ts';
import { formatMs, type Io } from '../io.ts';
import { progressMode, startProgress, type ProgressDisplay } from '../progress.ts';
import { onStopSignal, signalExitCode, type StopSignal } from '../signals.ts';

const JOB_EXTENSIONS = ['.js', '.mjs', '.ts', '.mts'];
const DEFAULT_TIMEOUT_S = 300;
/** setTimeout's ceiling (about 24.8 days); longer delays would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

type Failure = Extract<JobOutcome, { ok: false }>['error'];

/** Runs `shoal run`; resolves with the exit status. */
export async function runCommand(args: ParsedArgs<typeof RUN_FLAGS>, io: Io): Promise<number> {
  const { flags } = args;
  const jobArg = args.positionals[0];
  if (jobArg === undefined) throw new UsageError('missing the job file: shoal run <job.js|job.mjs|job.ts>', 'run');
  const jobPath = resolve(jobArg);
  if (!existsSync(jobPath) || !statSync(jobPath).isFile()) throw new UsageError(`job file not found: ${jobArg} (looked at ${jobPath})`, 'run', 'ERR_BAD_JOB');
  if (!JOB_EXTENSIONS.includes(extname(jobPath))) {
    throw new UsageError(`a job must be a ${JOB_EXTENSIONS.join(', ')} file, got ${jobArg}`, 'run', 'ERR_BAD_JOB');
  }

  if (flags.progress === true && flags['no-progress'] === true) throw new UsageError('--progress and --no-progress contradict each other: give one', 'run');

  const json = flags.json === true;
  const verbose = flags.verbose === true;
  const timeoutS = flags.timeout ?? DEFAULT_TIMEOUT_S;
  const workers = flags.workers ?? 2;
  const chaos = flags.chaos === undefined ? null : parseChaos(flags.chaos);
  let stopChaos = (): void => undefined;
  const started = performance.now();
  const controller = new AbortController();
  // Live bars per task name while the job runs (progress.ts); other stderr lines go above them.
  const terminal = io.stderrTerminal?.() ?? null;
  const barsMode = progressMode({ progress: flags.progress, noProgress: flags['no-progress'], json }, terminal !== null);
  let bars: ProgressDisplay | null = null;
  const stderr = (text: string): void => (bars === null ? io.stderr(text) : bars.log(text));
  const stopBars = async (): Promise<void> => {
    await bars?.stop();
    bars = null;
  };
  const progress = (line: string): void => {
    // After a timeout or a signal, the abandoned work's progress is noise.
    if ((!json || verbose) && !controller.signal.aborted) stderr(`shoal: ${line}\n`);
  };

  let stoppedBy: StopSignal | undefined;
  let cluster: LocalCluster | undefined;
  let timer: NodeJS.Timeout | undefined;

  let stopListening = (): void => undefined;
  const stopped = new Promise<never>((_, reject) => {
    const fail = (error: ShoalError): void => {
      controller.abort(error);
      reject(error);
    };
    timer = setTimeout(() => fail(new ShoalError('ERR_TIMEOUT', `the run did not finish within ${timeoutS} s (raise it with --timeout S)`)), Math.min(timeoutS * 1000, MAX_TIMER_MS));
    stopListening = onStopSignal((signal) => {
      stoppedBy = signal;
      progress(`${signal}: stopping`);
      fail(new ShoalError('ERR_CANCELLED', `interrupted by ${signal}`));
    });
  });
  stopped.catch(() => undefined); // Only ever read through the race below.

  const work = async (): Promise<JobOutcome> => {
    // Loaded here, after the signal handlers are in place: Playwright, esbuild
    // and the server take a moment to import, and usage errors need none of them.
    const [{ bundleJob }, { ensureAppsBuilt, repoRoot, startLocalCluster }] = await Promise.all([import('../bundle.ts'), import('@shoal/launcher')]);
    const bundle = await bundleJob(jobPath, { nodePaths: [join(repoRoot(), 'node_modules')] });
    for (const warning of bundle.warnings) progress(`warning: ${warning}`);
    progress(`bundled ${jobArg} (${(bundle.code.length / 1024).toFixed(1)} KiB${bundle.verbatim ? ", as written" : ""}) in ${formatMs(bundle.ms)}`);

    const apps = await ensureAppsBuilt();
    if (apps.built) progress(`built the apps in ${formatMs(apps.ms)}`);

    const shape = runShape(workers, { browsers: flags.browsers, tabsPerProcess: flags['tabs-per-process'], chaos: chaos !== null, verbose });
    progress(`starting a local cluster with ${workers} worker tab${workers === 1 ? '' : 's'}${describeShape(shape)}`);
    cluster = await startLocalCluster({
      workers,
      port: flags.port ?? 0,
      signal: controller.signal,
      handleSignals: false, // This command handles SIGINT/SIGTERM and always closes the cluster.
      ...(flags.slots === undefined ? {} : { slotsPerWorker: flags.slots }),
      ...shape,
      onWorkersReady: (ready: number, total: number) => {
        if (ready < total) progress(`workers ready: ${ready} of ${total}`);
      },
      ...(flags.data === undefined ? {} : { dataDir: resolve(flags.data) }),
      ...(verbose ? { onLog: (source: string, text: string) => stderr(`[${source}] ${text}\n`) } : {}),
    });
    progress(`cluster ready in ${formatMs(cluster.timings.totalMs)} (${describeTimings(cluster.timings)}; ${cluster.slotsPerWorker} slot${cluster.slotsPerWorker === 1 ? '' : 's'} per worker)`);
    progress('running the job');
    if (chaos) stopChaos = startChaos(cluster, chaos, progress);
    if (barsMode !== 'off') {
      const page = cluster.coordinator;
      const poll = (since: number) => page.evaluate((s) => window.shoalCoordinator?.taskProgress?.(s) ?? null, since);
      const pollDatasets = () => page.evaluate(() => window.shoalCoordinator?.datasetProgress?.() ?? null);
      bars = startProgress({ mode: barsMode, columns: terminal?.columns ?? 80, write: io.stderr, poll, pollDatasets });
    }
    const result = await cluster.runJob(bundle.code, basename(jobPath));
    await stopBars();
    if (flags.record !== undefined) await writeRecord(cluster, resolve(flags.record), progress);
    return result;
  };

  let outcome: JobOutcome;
  const running = work();
  running.catch(() => undefined); // If `stopped` wins the race, this rejection is expected.
  try {
    outcome = await Promise.race([running, stopped]);
  } catch (error) {
    outcome = { ok: false, error: toFailure(error), elapsedMs: performance.now() - started };
  } finally {
    clearTimeout(timer);
    stopChaos();
    stopListening();
    await stopBars();
    await cluster?.close();
    // An abort during startup makes startLocalCluster close what it started; wait for that too.
    if (controller.signal.aborted) await running.catch(() => undefined);
  }

  const totalMs = performance.now() - started;
  report(outcome, totalMs, json, io);
  if (outcome.ok) return 0;
  return stoppedBy === undefined ? 1 : signalExitCode(stoppedBy);
}

function describeTimings(t: ClusterTimings): string {
  return `server ${formatMs(t.serverMs)}, browser ${formatMs(t.browserMs)}, coordinator ${formatMs(t.coordinatorMs)}, worker tabs ${formatMs(t.workerTabsMs)}, workers ready ${formatMs(t.workersReadyMs)}`;
}

function toFailure(error: unknown): Failure {
  if (isShoalError(error)) return { code: error.code, message: error.message, ...(error.remote === undefined ? {} : { remote: error.remote }) };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'ERR_INTERNAL', message };
}

function report(outcome: JobOutcome, totalMs: number, json: boolean, io: Io): void {
  const elapsedMs = Math.round(outcome.elapsedMs);
  if (json) {
    io.stdout(`${jsonLine(outcome, elapsedMs)}\n`);
    return;
  }
  if (outcome.ok) {
    io.stderr(`shoal: job finished in ${formatMs(outcome.elapsedMs)} (total ${formatMs(totalMs)})\n`);
    io.stdout(`${pretty(outcome.result)}\n`);
    return;
  }
  io.stderr(`shoal: job failed after ${formatMs(totalMs)}: ${outcome.error.code}: ${outcome.error.message}\n`);
  const remote: RemoteError | undefined = outcome.error.remote;
  if (remote?.stack !== undefined) io.stderr(`${indent(remote.stack)}\n`);
  else if (outcome.error.stack !== undefined && outcome.error.code !== 'ERR_TIMEOUT') io.stderr(`${indent(outcome.error.stack)}\n`);
}

/** The `--json` line: `{"ok":true,"result":...,"elapsedMs":N}` or `{"ok":false,"error":{"code","message"},"elapsedMs":N}`. */
export function jsonLine(outcome: JobOutcome, elapsedMs: number): string {
  if (outcome.ok) {
    try {
      return JSON.stringify({ ok: true, result: outcome.result ?? null, elapsedMs }, jsonReplacer);
    } catch (error) {
      const message = `the job's result cannot be written as JSON: ${error instanceof Error ? error.message : String(error)}`;
      return JSON.stringify({ ok: false, error: { code: 'ERR_NOT_SERIALIZABLE' satisfies ErrorCode, message }, elapsedMs });
    }
  }
  const { code, message, remote } = outcome.error;
  return JSON.stringify({ ok: false, error: remote === undefined ? { code, message } : { code, message, remote }, elapsedMs });
}

/** Typed arrays become arrays and bigints strings, so any result Playwright hands back fits in JSON. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? v.toString() : v));
  return value;
}

function pretty(result: unknown): string {
  if (typeof result === 'string') return result;
  try {
    const text = JSON.stringify(result, jsonReplacer, 2);
    if (text !== undefined) return text;
  } catch {
    // Circular or otherwise not JSON: fall through to inspect.
  }
  return inspect(result, { depth: 8, colors: process.stdout.isTTY === true });
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

/** `--record FILE`: the coordinator page's record of the job, as the dashboard exports it. */
async function writeRecord(cluster: LocalCluster, file: string, progress: (line: string) => void): Promise<void> {
  const text = await cluster.coordinator.evaluate(() => window.shoalCoordinator?.lastJobRecord?.() ?? null);
  if (text === null) return progress('no job record to write (the page keeps none)');
  writeFileSync(file, text);
  progress(`wrote the job's history to ${file}`);
}
