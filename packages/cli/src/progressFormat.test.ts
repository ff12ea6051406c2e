import { describe, expect, it } from 'vitest';
import { formatDuration, formatView } from './progressFormat.ts';
import type { ProgressRow, ProgressView } from './progressModel.ts';

const row = (label: string, done: number, submitted: number, extra: Partial<ProgressRow> = {}): ProgressRow => ({
  label,
  done,
  submitted,
  failed: 0,
  elapsedMs: 1234,
  etaMs: null,
  finished: done >= submitted,
  ...extra,
});

describe('formatView', () => {
  const view: ProgressView = {
    total: row('total', 12, 20, { elapsedMs: 3100, etaMs: 2000 }),
    rows: [row('q1 stage 1/3: scan', 8, 8), row('q1 stage 2/3: shuffle-agg', 4, 12, { failed: 1, etaMs: 2000 })],
    summary: { finishedNames: 3, finishedTasks: 24, waitingNames: 2, waitingSubmitted: 16, waitingDone: 0, failed: 0 },
  };

  it('draws aligned rows with bars, counts, failures, elapsed time and ETA, then the summary', () => {
    expect(formatView(view, 100)).toEqual([
      'total                      [██████████████████░░░░░░░░░░░░]  12/20  3.1s  eta 2.0s',
      'q1 stage 1/3: scan         [██████████████████████████████]    8/8  1.2s',
      'q1 stage 2/3: shuffle-agg  [██████████▓▓▓░░░░░░░░░░░░░░░░░]   4/12  ✗ 1  1.2s  eta 2.0s',
      '… 3 more finished (24 tasks), 2 more unfinished (0/16)',
    ]);
  });

  it('fits every line to the width: shorter names, a narrower bar, then no bar', () => {
    for (const columns of [70, 60, 40, 24]) {
      const lines = formatView(view, columns);
      expect(lines.every((line) => line.length <= columns - 1), lines.join('\n')).toBe(true);
      // The bars line up: every row's bar starts and ends in the same column.
      const bars = lines.slice(0, 3).map((line) => [line.indexOf('['), line.indexOf(']')].join());
      expect(new Set(bars).size, lines.join('\n')).toBe(1);
    }
    expect(formatView(view, 70)[2]).toMatch(/^q1 stage 2\/3: shuffle-agg  \[█+▓░+\]   4\/12  ✗ 1  1.2s  eta 2.0s$/);
    expect(formatView(view, 60)[2]).toBe('q1 stage 2/3: sh…  [███▓░░░░░░]   4/12  ✗ 1  1.2s  eta 2.0s');
    expect(formatView(view, 40)[0]).toBe('total             12/20  3.1s  eta 2.0s');
  });

  it('cuts long names with an ellipsis', () => {
    const long = 'x'.repeat(80);
    const lines = formatView({ total: row('total', 0, 2), rows: [row(long, 0, 1), row('short', 0, 1)], summary: null }, 200);
    expect(lines[1]).toMatch(/^x{35}… /);
  });
  it('leaves the total out when one name says it all', () => {
    expect(formatView({ total: row('total', 3, 4), rows: [row('throwDarts', 3, 4)], summary: null }, 80)).toEqual(['throwDarts  [███████████████████████░░░░░░░]  3/4  1.2s']);
    expect(formatView({ total: row('total', 3, 8), rows: [row('a', 3, 4)], summary: { finishedNames: 0, finishedTasks: 0, waitingNames: 1, waitingSubmitted: 4, waitingDone: 0, failed: 0 } }, 80)).toHaveLength(3);
  });
});

describe('formatDuration', () => {
  it('reads as seconds, minutes or hours', () => {
    expect(formatDuration(0)).toBe('0.0s');
    expect(formatDuration(950)).toBe('0.9s');
    expect(formatDuration(59_999)).toBe('59.9s');
    expect(formatDuration(65_000)).toBe('1m05s');
    expect(formatDuration(3_900_000)).toBe('1h05m');
  });
});
