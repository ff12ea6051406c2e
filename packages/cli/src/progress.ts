/**
 * `shoal run`'s live progress bars on stderr: polls the coordinator page's
 * task counts (`taskProgress`, every 200 ms), feeds them to the model
 * (progressModel.ts) and draws its rows with cli-progress's MultiBar, one bar
 * per row (the row's whole line is the bar's payload; progressFormat.ts makes
 * it). MultiBar redraws in place on a terminal and keeps other stderr lines
 * (`shoal: …`, `--verbose` page logs) above the bars through `log`.
 *
 * On a stream that is not a terminal (only with `--progress`), it writes a
 * snapshot of the rows every 2 s and the final rows at the end.
 */
import cliProgress from 'cli-progress';
import type { DatasetOperatorProgress, TaskProgressUpdate } from '@shoal/protocol';
import { operatorNotes } from './datasetProgress.ts';
import { formatView } from './progressFormat.ts';
import { ProgressModel, type ProgressModelOptions } from './progressModel.ts';

export type ProgressMode = 'off' | 'terminal' | 'lines';

/** Bars on a terminal unless `--json` or `--no-progress`; `--progress` forces them (as snapshots when stderr is no terminal). */
export function progressMode(flags: { progress?: boolean | undefined; noProgress?: boolean | undefined; json?: boolean | undefined }, stderrIsTerminal: boolean): ProgressMode {
  if (flags.noProgress === true) return 'off';
  if (flags.progress === true) return stderrIsTerminal ? 'terminal' : 'lines';
  if (flags.json === true || !stderrIsTerminal) return 'off';
  return 'terminal';
}

export interface ProgressOptions extends ProgressModelOptions {
  /** The page's `taskProgress(since)`; null when the page has none. May reject (the page closed): that poll is skipped. */
  poll(since: number): Promise<TaskProgressUpdate | null>;
  /** The page's `datasetProgress()` (dataset operators' rows/s and queued blocks, shown on their rows); polled with `poll`. */
  pollDatasets?(): Promise<DatasetOperatorProgress[] | null>;
  /** Writes to stderr. */
  write(text: string): void;
  mode: Exclude<ProgressMode, 'off'>;
  /** The terminal's width (default 80). */
  columns?: number;
  /** Default 200 ms. */
  intervalMs?: number;
  /** Snapshot interval when not on a terminal. Default 2000 ms. */
  linesIntervalMs?: number;
  /** The longest the last poll in `stop()` may take. Default 2000 ms. */
  finalPollMs?: number;
  now?: () => number;
}

export interface ProgressDisplay {
  /** Writes `text` (whole lines) to stderr above the bars. */
  log(text: string): void;
  /** Polls once more, draws the final rows and leaves them on screen. Safe to call more than once. */
  stop(): Promise<void>;
}

/** Starts polling now; bars appear with the first task. */
export function startProgress(options: ProgressOptions): ProgressDisplay {
  const now = options.now ?? Date.now;
  const model = new ProgressModel(now(), options);
  const terminal = options.mode === 'terminal';
  const columns = options.columns ?? 80;
  const stream = {
    isTTY: terminal,
    columns,
    write(text: string, callback?: unknown): boolean {
      options.write(text);
      if (typeof callback === 'function') (callback as () => void)();
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  const multibar = new cliProgress.MultiBar({
    stream,
    format: (_options, _params, payload: { line: string }) => payload.line,
    fps: 5,
    noTTYOutput: !terminal,
    notTTYSchedule: options.linesIntervalMs ?? 2000,
    linewrap: true, // Lines are fitted to the width already; this keeps long log lines wrapping.
    forceRedraw: true, // Unchanged rows are redrawn too: a log line above them (or stop()) erased them.
    hideCursor: false,
    clearOnComplete: false,
    gracefulExit: false,
  });
  const bars: cliProgress.SingleBar[] = [];
  let seq = 0;
  let stopped: Promise<void> | null = null;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  let notes = new Map<string, string>();
  const poll = async (): Promise<void> => {
    const [update, operators] = await Promise.all([options.poll(seq).catch(() => null), options.pollDatasets?.().catch(() => null) ?? null]);
    if (operators) notes = operatorNotes(operators);
    if (update === null) return;
    seq = update.seq;
    if (update.names.length > 0) model.apply(update.names, now());
  };
  let drawnLast = false;
  const draw = (): void => {
    if (model.empty || drawnLast) return;
    const lines = formatView(model.view(now()), columns, notes);
    while (bars.length > lines.length) multibar.remove(bars.pop()!);
    for (let i = 0; i < lines.length; i++) {
      const payload = { line: lines[i]! };
      if (i < bars.length) bars[i]!.update(0, payload);
      else bars.push(multibar.create(1, 0, payload));
    }
  };
  const tick = (): void => {
    inFlight = poll().then(draw);
    void inFlight.then(() => {
      if (stopped === null) timer = setTimeout(tick, options.intervalMs ?? 200);
    });
  };
  tick();

  return {
    log(text) {
      // Off a terminal the snapshots are plain lines: nothing to keep above.
      if (!terminal || bars.length === 0) return options.write(text);
      // ESC[J clears the bars below before the text goes where they were (they are redrawn under it).
      multibar.log(`\x1b[J${text}`);
    },
    stop() {
      stopped ??= (async () => {
        clearTimeout(timer);
        // A hung page must not hang the CLI: the last poll gets finalPollMs.
        let guard: NodeJS.Timeout | undefined;
        const lastPoll = inFlight.then(poll);
        await Promise.race([lastPoll, new Promise<void>((resolve) => (guard = setTimeout(resolve, options.finalPollMs ?? 2000)))]);
        clearTimeout(guard);
        draw();
        drawnLast = true;
        if (bars.length > 0) {
          if (terminal) multibar.update(); // Flushes pending log lines; stop() alone would drop them.
          multibar.stop();
        }
      })();
      return stopped;
    },
  };
}
