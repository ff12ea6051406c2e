import { describe, expect, it } from 'vitest';
import type { Capabilities } from '@shoal/protocol';
import { decodeResult, encodeResult, exportHistory, importHistory, recordJob, type RecordableCoordinator } from './history.ts';
import type { TaskEvent } from './taskEvents.ts';

const caps = { cores: 4, slots: 2, deviceMemoryGiB: 8, gpu: null, userAgent: 'test', custom: {}, bench: null } as Capabilities;

/** Just enough of a Coordinator: handlers by event name, and a worker list. */
function fakeCoordinator() {
  const handlers = new Map<string, Set<(...args: never[]) => void>>();
  let workers = [{ peerId: 'w1', name: 'one', caps }];
  const fake = {
    on(event: string, handler: (...args: never[]) => void) {
      if (!handlers.has(event)) handlers.set(event, new Set());
      handlers.get(event)!.add(handler);
      return () => handlers.get(event)!.delete(handler);
    },
    workers: () => workers,
    emit(event: string, ...args: unknown[]) {
      for (const handler of handlers.get(event) ?? []) (handler as (...a: unknown[]) => void)(...args);
    },
    setWorkers(next: typeof workers) {
      workers = next;
    },
    listeners: () => [...handlers.values()].reduce((n, set) => n + set.size, 0),
  };
  return fake;
}

describe('recordJob', () => {
  it('records task events, logs, workers (and who left) and the outcome, then stops listening', () => {
    const coordinator = fakeCoordinator();
    const recorder = recordJob(coordinator as unknown as RecordableCoordinator, { label: 'pi', source: 'export default 1' });
    const events: TaskEvent[] = [
      { kind: 'submitted', t: 1, taskId: 't1', name: 'darts', deps: [], parentTaskId: null },
      { kind: 'dispatched', t: 2, taskId: 't1', workerId: 'w1', attempt: 1, fetchBytes: 0 },
      { kind: 'finished', t: 3, taskId: 't1', workerId: 'w1', durationMs: 1, bytes: 8 },
    ];
    for (const event of events) coordinator.emit('task', event);
    coordinator.emit('taskLog', { taskId: 't1', taskName: 'darts', workerId: 'w1', level: 'log', text: 'hi' });
    coordinator.setWorkers([{ peerId: 'w2', name: 'two', caps }]);
    coordinator.emit('workersChanged');
    const record = recorder.finish({ ok: true, result: { pi: 3.14, pixels: new Uint8ClampedArray([1, 2, 255]) }, elapsedMs: 12 });
    expect(record).toMatchObject({ label: 'pi', source: 'export default 1', state: 'done', events });
    expect(record.logs).toEqual([expect.objectContaining({ taskId: 't1', text: 'hi' })]);
    expect(record.workers.map((w) => [w.peerId, w.lostAt === null])).toEqual([['w1', false], ['w2', true]]);
    expect(coordinator.listeners()).toBe(0);
    // The result keeps its typed array.
    expect(record.outcome!.ok).toBe(true);
    const result = decodeResult((record.outcome as { resultJson: string }).resultJson) as { pixels: Uint8ClampedArray };
    expect(result.pixels).toBeInstanceOf(Uint8ClampedArray);
    expect([...result.pixels]).toEqual([1, 2, 255]);
    coordinator.emit('task', events[0]);
    expect(record.events).toHaveLength(3);
  });

  it('marks cancelled and failed jobs, and caps events', () => {
    const coordinator = fakeCoordinator();
    const recorder = recordJob(coordinator as unknown as RecordableCoordinator, { maxEvents: 2 });
    for (let i = 0; i < 5; i++) coordinator.emit('task', { kind: 'submitted', t: i, taskId: `t${i}`, name: 'n', deps: [], parentTaskId: null });
    const record = recorder.finish({ ok: false, error: { code: 'ERR_CANCELLED', message: 'stop' }, elapsedMs: 1 });
    expect(record.state).toBe('cancelled');
    expect(record.events).toHaveLength(2);
    expect(record.dropped.events).toBe(3);
    const failed = recordJob(coordinator as unknown as RecordableCoordinator).finish({ ok: false, error: { code: 'ERR_TASK_FAILED', message: 'x' }, elapsedMs: 1 });
    expect(failed.state).toBe('failed');
  });
});

describe('export and import', () => {
  it('round-trips records through one JSON file', () => {
    const coordinator = fakeCoordinator();
    const recorder = recordJob(coordinator as unknown as RecordableCoordinator, { label: 'a' });
    coordinator.emit('task', { kind: 'submitted', t: 1, taskId: 't1', name: 'n', deps: ['x'], parentTaskId: null });
    const record = recorder.finish({ ok: true, result: [{ a: 1 }], elapsedMs: 3 });
    const text = exportHistory([record]);
    expect(JSON.parse(text)).toMatchObject({ format: 'shoal-history', version: 1, jobs: [{ id: record.id }] });
    expect(importHistory(text)).toEqual([record]);
    // A bare record is accepted too.
    expect(importHistory(JSON.stringify(record))).toEqual([record]);
  });

  it('says what is wrong with a file that is not a history', () => {
    expect(() => importHistory('{')).toThrow(/not JSON/);
    expect(() => importHistory('{"format":"other"}')).toThrow(/expected "shoal-history"/);
    expect(() => importHistory('{"format":"shoal-history","version":1,"jobs":[{"format":"shoal-job","id":"x","startedAt":1,"state":"done","events":[{"kind":"nope"}],"logs":[],"workers":[]}]}')).toThrow(
      /job 0: event 0 is not a task event/,
    );
  });

  it('encodes typed arrays and ArrayBuffers so they come back as such', () => {
    const value = { f: new Float64Array([1.5, -2]), b: new Uint8Array([9]).buffer, n: 1 };
    const back = decodeResult(encodeResult(value)) as typeof value;
    expect(back.f).toBeInstanceOf(Float64Array);
    expect([...back.f]).toEqual([1.5, -2]);
    expect(new Uint8Array(back.b)).toEqual(new Uint8Array([9]));
    expect(back.n).toBe(1);
  });
});
