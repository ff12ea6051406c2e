/**
 * The text of `shoal run`'s progress rows (progressModel.ts's view), one line
 * each, fitted to the terminal's width:
 *
 * ```
 * total                      [██████████░░░░░░░░░░]  12/20  3.1s  eta 2.0s
 * q1 stage 1/3: scan         [████████████████████]    8/8  1.2s
 * q1 stage 2/3: shuffle-agg  [███▓░░░░░░░░░░░░░░░░]    4/8  ✗ 1  1.9s  eta 2.0s
 * … 3 more finished (24 tasks), 2 more unfinished (0/16)
 * ```
 */
import type { ProgressRow, ProgressSummary, ProgressView } from './progressModel.ts';

const LABEL_MAX = 36;
const LABEL_MIN = 16;
const BAR_MIN = 10;
const BAR_MAX = 30;

/**
 * Every line of `view`, each at most `columns - 1` characters wide; the bars share one width. No total row for a
 * single name. `notes` (by row label) go at the end of their rows: a dataset operator's rows/s (datasetProgress.ts).
 */
export function formatView(view: ProgressView, columns: number, notes: ReadonlyMap<string, string> = new Map()): string[] {
  // One name and nothing left out: its row says all the total would.
  const rows = view.rows.length === 1 && view.summary === null ? view.rows : [view.total, ...view.rows];
  const width = Math.max(20, columns - 1);
  const tails = rows.map((r) => [tail(r), notes.get(r.label) ?? ''].filter(Boolean).join('  '));
  const countWidth = Math.max(...rows.map((r) => counts(r).length));
  const tailWidth = Math.max(...tails.map((t) => t.length));
  // Room for the bar: shrink the name column (down to LABEL_MIN) before giving the bar up.
  const fixed = countWidth + tailWidth + 8; // three two-space gaps and the brackets
  let labelWidth = Math.min(LABEL_MAX, Math.max(...rows.map((r) => r.label.length)));
  if (width - fixed - labelWidth < BAR_MIN) labelWidth = Math.max(Math.min(labelWidth, LABEL_MIN), width - fixed - BAR_MIN);
  const barWidth = Math.min(BAR_MAX, width - fixed - labelWidth);
  const lines = rows.map((r, i) => {
    const label = truncate(r.label, labelWidth).padEnd(labelWidth);
    const count = counts(r).padStart(countWidth);
    const line = barWidth < BAR_MIN ? `${label}  ${count}  ${tails[i]}` : `${label}  [${bar(r, barWidth)}]  ${count}  ${tails[i]}`;
    return fit(line.trimEnd(), width);
  });
  if (view.summary !== null) lines.push(fit(formatSummary(view.summary), width));
  return lines;
}

function tail(row: ProgressRow): string {
  return [row.failed > 0 ? `✗ ${row.failed}` : '', formatDuration(row.elapsedMs), row.etaMs === null ? '' : `eta ${formatDuration(row.etaMs)}`].filter(Boolean).join('  ');
}

function counts(row: ProgressRow): string {
  return `${row.done}/${row.submitted}`;
}

/** Done tasks as █, failed ones as ▓, the rest ░. */
function bar(row: ProgressRow, width: number): string {
  if (row.submitted === 0) return '░'.repeat(width);
  const ended = Math.min(width, Math.round((Math.min(row.submitted, row.done + row.failed) / row.submitted) * width));
  const failed = row.failed === 0 ? 0 : Math.min(ended, Math.max(1, Math.round((row.failed / row.submitted) * width)));
  return '█'.repeat(ended - failed) + '▓'.repeat(failed) + '░'.repeat(width - ended);
}

function formatSummary(s: ProgressSummary): string {
  const parts: string[] = [];
  if (s.finishedNames > 0) parts.push(`${s.finishedNames} more finished (${s.finishedTasks} task${s.finishedTasks === 1 ? '' : 's'})`);
  if (s.waitingNames > 0) parts.push(`${s.waitingNames} more unfinished (${s.waitingDone}/${s.waitingSubmitted})`);
  if (s.failed > 0) parts.push(`✗ ${s.failed} failed among them`);
  return `… ${parts.join(', ')}`;
}

/** `950` → `0.9s`, `65_000` → `1m05s`, `3_900_000` → `1h05m`. */
export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

function fit(line: string, width: number): string {
  return line.length <= width ? line : truncate(line, width);
}
