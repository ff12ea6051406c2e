import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ControlMessage } from '@shoal/protocol';
import { DispatchBuffer } from './dispatchBuffer.ts';
import { Transfers } from './transfers.ts';
import { WorkerDiffs } from './workerDiffs.ts';

const run = (taskId: string): ControlMessage => ({ type: 'runTask', taskId, fnId: 'f', args: [], attempt: 1, numReturns: 1, timeoutMs: null });

describe('DispatchBuffer', () => {
  afterEach(() => vi.useRealTimers());

  it('sends at once while the pipeline is shallow, holds past the high water, and sends the held runs together at the low water', () => {
    const sent: string[] = [];
    const buffer = new DispatchBuffer((workerId, message) => sent.push(`${workerId}:${(message as { taskId: string }).taskId}`), 3, 1, 1000);
    for (const id of ['a', 'b', 'c', 'd', 'e']) buffer.run('w1', run(id));
    buffer.run('w2', run('x'));
    expect(sent).toEqual(['w1:a', 'w1:b', 'w1:c', 'w2:x']);
    buffer.answered('w1'); // 2 unanswered: still above the low water
    expect(sent).toHaveLength(4);
    buffer.answered('w1'); // 1 unanswered: the held runs go, in order
    expect(sent.slice(4)).toEqual(['w1:d', 'w1:e']);
    expect(buffer.holds('w1')).toBe(false);
  });

  it('never holds a run longer than its hold time, and flush keeps the order of other messages', () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    const buffer = new DispatchBuffer((_, message) => sent.push((message as { taskId: string }).taskId), 1, 0, 2);
    buffer.run('w1', run('a'));
    buffer.run('w1', run('b'));
    expect(sent).toEqual(['a']);
    vi.advanceTimersByTime(2);
    expect(sent).toEqual(['a', 'b']);
    buffer.run('w1', run('c'));
    buffer.flush('w1'); // e.g. a cancel for 'c' is about to be sent: 'c' goes first
    expect(sent).toEqual(['a', 'b', 'c']);
    buffer.run('w1', run('d'));
    buffer.forget('w1'); // the worker was lost: its held run is dropped (the scheduler retries it)
    vi.advanceTimersByTime(10);
    expect(sent).toEqual(['a', 'b', 'c']);
  });
});

describe('WorkerDiffs', () => {
  it('publishes one diff per tick with the changed rows and the ids that left', () => {
    vi.useFakeTimers();
    const published: unknown[] = [];
    const rows: Record<string, { peerId: string } | null> = { w1: { peerId: 'w1' }, w2: { peerId: 'w2' }, w3: null };
    const diffs = new WorkerDiffs((id) => (rows[id] ?? null) as never, (diff) => published.push(diff), 100);
    diffs.changed('w1');
    diffs.changed('w1');
    diffs.changed('w2');
    diffs.changed('w3'); // no row (not greeted yet): not in the diff
    diffs.changed('w4');
    diffs.removed('w4');
    expect(published).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(published).toEqual([{ changed: [{ peerId: 'w1' }, { peerId: 'w2' }], removed: ['w4'] }]);
    vi.advanceTimersByTime(1000);
    expect(published).toHaveLength(1);
    vi.useRealTimers();
  });
});

describe('Transfers', () => {
  it('counts the runs each peer moves bytes for', () => {
    const transfers = new Transfers();
    transfers.mark('t1', ['w1', 'w2']);
    transfers.mark('t2', ['w1']);
    expect([transfers.busy('w1'), transfers.busy('w2'), transfers.busy('w3')]).toEqual([true, true, false]);
    transfers.mark('t1', null); // t1 ran again without a fetch
    expect([transfers.busy('w1'), transfers.busy('w2')]).toEqual([true, false]);
    transfers.clear('t2');
    expect(transfers.busy('w1')).toBe(false);
  });
});

describe('Readmission', () => {
  it('re-admits a worker lost with its link open once, within the window, and not after its link closed', async () => {
    const { Readmission } = await import('./readmission.ts');
    let now = 0;
    const readmission = new Readmission(1000, () => now);
    const entry = { info: { peerId: 'w1', role: 'worker' }, caps: { cores: 2, slots: 2 }, tasksDone: 5, defined: new Set<string>() } as never;
    readmission.remember('w1', { entry, held: ['o1'] });
    expect(readmission.take('w1')).toEqual({ entry, held: ['o1'], at: 0 });
    expect(readmission.take('w1')).toBeNull();
    readmission.remember('w1', { entry, held: [] });
    readmission.forget('w1'); // its link closed
    expect(readmission.take('w1')).toBeNull();
    readmission.remember('w1', { entry, held: [] });
    now = 1001;
    expect(readmission.take('w1')).toBeNull();
  });

  it('re-admits a worker declared lost before its hello (caps unknown): a join storm starved its tab', async () => {
    const { Readmission } = await import('./readmission.ts');
    const readmission = new Readmission(1000, () => 0);
    const entry = { info: { peerId: 'w2', role: 'worker' }, caps: null, tasksDone: 0, defined: new Set<string>() } as never;
    readmission.remember('w2', { entry, held: [] });
    expect(readmission.take('w2')?.entry).toBe(entry);
  });
});
