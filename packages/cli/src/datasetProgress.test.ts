import { describe, expect, it } from 'vitest';
import type { DatasetOperatorProgress, TaskProgressUpdate } from '@shoal/protocol';
import { formatCount, operatorNotes } from './datasetProgress.ts';
import { startProgress } from './progress.ts';

const op = (name: string, rowsOut: number, rowsPerSec: number, queued: number, finished = false): DatasetOperatorProgress => ({ name, rowsOut, rowsPerSec, running: 1, queued, finished });

describe('formatCount', () => {
  it.each([
    [0, '0'],
    [950, '950'],
    [12_340, '12.3k'],
    [1_234_567, '1.2M'],
    [456_000_000, '456M'],
    [2.5e9, '2.5G'],
  ])('%d → %s', (n, text) => expect(formatCount(n)).toBe(text));
});

describe('operatorNotes', () => {
  it('gives each operator with rows its rows/s, and its queued blocks while it runs', () => {
    const notes = operatorNotes([op('Range(100)', 0, 0, 0), op('MapBatches(widen)', 500_000, 1_234_567, 3), op('MapBatches(mix)', 400_000, 980_000, 2, true)]);
    expect([...notes]).toEqual([
      ['MapBatches(widen)', '1.2M rows/s  3 queued'],
      ['MapBatches(mix)', '980k rows/s'],
    ]);
  });
});

describe("shoal run's bars for a dataset job", () => {
  it('on a terminal, each operator row shows its rows/s and what waits between operators', async () => {
    const names = ['Range(4000000)', 'MapBatches(widen)', 'MapBatches(summarize)'];
    const poll = async (since: number): Promise<TaskProgressUpdate> => (since >= 9 ? { seq: 9, names: [] } : { seq: 9, names: names.map((name, i) => ({ name, submitted: 4, done: 3 - i, failed: 0 })) });
    const pollDatasets = async (): Promise<DatasetOperatorProgress[]> => [op(names[0]!, 3_000_000, 2_500_000, 2), op(names[1]!, 2_000_000, 1_800_000, 1), op(names[2]!, 1_000_000, 900_000, 0)];
    let text = '';
    const progress = startProgress({ mode: 'terminal', columns: 120, poll, pollDatasets, write: (chunk) => (text += chunk), intervalMs: 10 });
    while (!text.includes('rows/s')) await new Promise((resolve) => setTimeout(resolve, 5));
    await progress.stop();
    // The last frame: a row per operator, each ending in its figures (ESC sequences split frames and lines).
    const lines = text.split(/\x1b\[[0-9;]*[A-Za-z]|\r|\n/).filter((line) => line.trim() !== '');
    const last = (name: string): string => lines.filter((line) => line.startsWith(name)).at(-1)!;
    expect(last('Range(4000000)')).toMatch(/3\/4 .*2\.5M rows\/s {2}2 queued$/);
    expect(last('MapBatches(widen)')).toMatch(/2\/4 .*1\.8M rows\/s {2}1 queued$/);
    expect(last('MapBatches(summarize)')).toMatch(/1\/4 .*900k rows\/s$/);
    expect(last('total')).not.toContain('rows/s');
  });
});
