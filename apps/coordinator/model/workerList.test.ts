import { describe, expect, it } from 'vitest';
import type { WorkerSummary } from '@shoal/protocol';
import { ROW_PX, VIEWPORT_PX, VIRTUALIZE_AFTER, WorkerListModel, visibleWindow } from './workerList.ts';
import { GROUP_LANES_AFTER, MAX_ROWS, laneRows } from '../views/stream.ts';

const worker = (i: number, tasksDone = 0): WorkerSummary => ({
  peerId: `w${i}`,
  name: `tab ${i}`,
  state: 'idle',
  caps: { cores: 4, slots: 2, deviceMemoryGiB: 8, gpu: null, userAgent: 'test' } as unknown as WorkerSummary['caps'],
  running: 0,
  tasksDone,
  store: null,
  paused: false,
});

describe('the workers table model', () => {
  it('follows diffs: changed rows keep their place, removed ones go, new ones join at the end', () => {
    const model = new WorkerListModel();
    model.apply({ changed: [worker(1), worker(2), worker(3)], removed: [] });
    model.apply({ changed: [worker(2, 7), worker(4)], removed: ['w1'] });
    expect(model.list().map((w) => [w.peerId, w.tasksDone])).toEqual([['w2', 7], ['w3', 0], ['w4', 0]]);
    const version = model.version;
    model.apply({ changed: [], removed: [] });
    expect(model.version).toBe(version);
    model.replace([worker(3), worker(5)]);
    expect(model.list().map((w) => w.peerId)).toEqual(['w3', 'w5']);
  });

  it('with 300 workers, renders only the rows in view, and the spacers stand for the rest', () => {
    const model = new WorkerListModel();
    model.apply({ changed: Array.from({ length: 300 }, (_, i) => worker(i)), removed: [] });
    const top = model.window(0);
    const inView = Math.ceil(VIEWPORT_PX / ROW_PX);
    expect(top.start).toBe(0);
    expect(top.end - top.start).toBeLessThanOrEqual(inView + 1 + 5);
    expect(top.end - top.start).toBeLessThan(30);
    expect(top.padTop + (top.end - top.start) * ROW_PX + top.padBottom).toBe(300 * ROW_PX);
    // Scrolled to row 150: rows around it, and none from the top.
    const middle = model.window(150 * ROW_PX);
    expect(middle.start).toBeGreaterThan(140);
    expect(middle.start).toBeLessThanOrEqual(150);
    expect(middle.end).toBeGreaterThan(150 + inView - 1);
    expect(middle.end - middle.start).toBeLessThan(30);
    expect(middle.padTop).toBe(middle.start * ROW_PX);
    // The bottom: the last row is rendered, no space below.
    const bottom = model.window(300 * ROW_PX - VIEWPORT_PX);
    expect(bottom.end).toBe(300);
    expect(bottom.padBottom).toBe(0);
  });

  it('renders every row while the room is small', () => {
    const model = new WorkerListModel();
    model.apply({ changed: Array.from({ length: VIRTUALIZE_AFTER }, (_, i) => worker(i)), removed: [] });
    expect(model.window(0)).toEqual({ start: 0, end: VIRTUALIZE_AFTER, padTop: 0, padBottom: 0 });
  });

  it('clamps odd scroll positions', () => {
    expect(visibleWindow(10, -50, 100, 10, 0)).toMatchObject({ start: 0, end: 10 });
    expect(visibleWindow(0, 0, 100, 10)).toEqual({ start: 0, end: 0, padTop: 0, padBottom: 0 });
    const past = visibleWindow(100, 1e9, 100, 10, 2);
    expect(past.start).toBe(100);
    expect(past.end).toBe(100);
    expect(past.padTop).toBe(1000);
  });
});

describe('task-stream rows', () => {
  const lanesFor = (workers: number, slots: number) => {
    const map = new Map<string, number[]>();
    let lane = 0;
    for (let w = 0; w < workers; w++) map.set(`w${w}`, Array.from({ length: slots }, () => lane++));
    return { map, count: lane };
  };

  it('one row per slot for a small room', () => {
    const { map, count } = lanesFor(3, 2);
    const { rowOf, labels } = laneRows(map, count, (id) => id);
    expect(rowOf).toEqual([0, 1, 2, 3, 4, 5]);
    expect(labels.map((l) => l.label)).toEqual(['w0 · 0', '· 1', 'w1 · 0', '· 1', 'w2 · 0', '· 1']);
  });

  it('one row per worker past the lane threshold, and several workers per row past MAX_ROWS', () => {
    const grouped = lanesFor(GROUP_LANES_AFTER, 2);
    const byWorker = laneRows(grouped.map, grouped.count, (id) => id);
    expect(byWorker.labels).toHaveLength(GROUP_LANES_AFTER);
    expect(byWorker.rowOf.slice(0, 4)).toEqual([0, 0, 1, 1]);
    const big = lanesFor(500, 4);
    const rows = laneRows(big.map, big.count, (id) => id);
    expect(rows.labels.length).toBeLessThanOrEqual(MAX_ROWS);
    expect(Math.max(...rows.rowOf)).toBe(rows.labels.length - 1);
    expect(rows.labels[0]!.label).toBe('w0 +5');
  });
});
