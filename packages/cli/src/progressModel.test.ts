import { describe, expect, it } from 'vitest';
import type { TaskNameCounts } from '@shoal/protocol';
import { ProgressModel } from './progressModel.ts';

const counts = (name: string, submitted: number, done = 0, failed = 0): TaskNameCounts => ({ name, submitted, done, failed });
const labels = (model: ProgressModel, now: number): string[] => model.view(now).rows.map((r) => r.label);

describe('ProgressModel', () => {
  it('sums the names into the total and keeps first-seen order', () => {
    const model = new ProgressModel(0);
    expect(model.empty).toBe(true);
    model.apply([counts('square', 4), counts('sum', 1)], 100);
    model.apply([counts('square', 4, 4)], 600);
    const view = model.view(600);
    expect(view.total).toMatchObject({ label: 'total', submitted: 5, done: 4, failed: 0, elapsedMs: 600, finished: false });
    expect(view.rows).toEqual([
      { label: 'square', submitted: 4, done: 4, failed: 0, elapsedMs: 500, etaMs: null, finished: true },
      { label: 'sum', submitted: 1, done: 0, failed: 0, elapsedMs: 500, etaMs: null, finished: false },
    ]);
    expect(view.summary).toBeNull();
  });

  it('freezes elapsed time when a name (and the whole job) finishes', () => {
    const model = new ProgressModel(0);
    model.apply([counts('a', 2)], 100);
    model.apply([counts('a', 2, 2)], 900);
    const view = model.view(5000);
    expect(view.rows[0]).toMatchObject({ elapsedMs: 800, finished: true, etaMs: null });
    expect(view.total).toMatchObject({ elapsedMs: 900, finished: true, done: 2, submitted: 2 });
  });

  it('estimates time left from the rate since the first progress it saw', () => {
    const model = new ProgressModel(0);
    model.apply([counts('a', 10)], 0);
    model.apply([counts('a', 10, 2)], 1000); // the rate starts here
    expect(model.view(1000).rows[0]!.etaMs).toBeNull();
    model.apply([counts('a', 10, 4)], 2000); // 2 tasks per second, 6 left
    expect(model.view(2000).rows[0]!.etaMs).toBe(3000);
    expect(model.view(2000).total.etaMs).toBe(3000);
  });

  it('counts failed tasks as ended, so a name with failures still finishes', () => {
    const model = new ProgressModel(0);
    model.apply([counts('a', 3, 2, 1)], 10);
    expect(model.view(10).rows[0]).toMatchObject({ done: 2, failed: 1, finished: true });
    expect(model.view(10).total).toMatchObject({ failed: 1, finished: true });
  });

  it('a name that gets more tasks after finishing is unfinished again', () => {
    const model = new ProgressModel(0);
    model.apply([counts('a', 1, 1)], 10);
    model.apply([counts('a', 2, 1)], 20);
    expect(model.view(20).rows[0]).toMatchObject({ finished: false, submitted: 2 });
  });

  it('with more names than bars, finished names give their rows up and are summed in the summary', () => {
    const model = new ProgressModel(0, { maxBars: 2 });
    model.apply([counts('load', 4), counts('sum', 4)], 0);
    model.apply([counts('load', 4, 4), counts('sum', 4, 1)], 100);
    model.apply([counts('save', 4)], 200);
    const view = model.view(200);
    expect(view.rows.map((r) => r.label)).toEqual(['sum', 'save']);
    expect(view.summary).toEqual({ finishedNames: 1, finishedTasks: 4, waitingNames: 0, waitingSubmitted: 0, waitingDone: 0, failed: 0 });
  });

  it('keeps busy unfinished names in their rows; a stale one yields to a name that moved', () => {
    const model = new ProgressModel(0, { maxBars: 2, staleMs: 1000 });
    model.apply([counts('a', 10), counts('b', 10), counts('c', 10)], 0);
    expect(labels(model, 0)).toEqual(['a', 'b']);
    expect(model.view(0).summary).toMatchObject({ waitingNames: 1, waitingSubmitted: 10 });

    // c moves, but a and b are not stale yet: nothing changes.
    model.apply([counts('c', 10, 1)], 500);
    expect(labels(model, 500)).toEqual(['a', 'b']);

    // b keeps moving; a has been idle 1.5 s and c moved after it: c takes a's row.
    model.apply([counts('b', 10, 1)], 1400);
    model.apply([counts('c', 10, 2)], 1500);
    expect(labels(model, 1500)).toEqual(['b', 'c']);
  });

  it('stays readable with 20 stage names: at most maxBars rows, the rest in one summary', () => {
    const model = new ProgressModel(0, { maxBars: 8 });
    const stages = Array.from({ length: 20 }, (_, i) => `q1 stage ${i + 1}/20: op`);
    model.apply(stages.map((name) => counts(name, 5)), 0);
    // Stages finish one after another.
    for (let i = 0; i < 12; i++) model.apply([counts(stages[i]!, 5, 5)], 100 * (i + 1));
    const view = model.view(1300);
    expect(view.rows).toHaveLength(8);
    expect(view.rows.every((r) => !r.finished)).toBe(true);
    expect(view.rows.map((r) => r.label)).toEqual(stages.slice(12));
    expect(view.summary).toMatchObject({ finishedNames: 12, finishedTasks: 60, waitingNames: 0 });
    expect(view.total).toMatchObject({ submitted: 100, done: 60 });
  });

  it('once all is finished, shows the last names to finish', () => {
    const model = new ProgressModel(0, { maxBars: 2 });
    const names = ['a', 'b', 'c', 'd'];
    model.apply(names.map((n) => counts(n, 1)), 0);
    names.forEach((n, i) => model.apply([counts(n, 1, 1)], 10 * (i + 1)));
    const view = model.view(100);
    expect(view.rows.map((r) => r.label)).toEqual(['c', 'd']);
    expect(view.summary).toMatchObject({ finishedNames: 2, finishedTasks: 2 });
    expect(view.total).toMatchObject({ finished: true, done: 4, submitted: 4 });
  });
});
