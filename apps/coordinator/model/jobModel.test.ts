import { describe, expect, it } from 'vitest';
import type { TaskEvent } from '@shoal/client';
import { DagBuilder, buildDag } from './dagModel.ts';
import { JobModel } from './jobModel.ts';

const failure = (taskId: string, name: string, code: string, workerId: string | null, t: number): TaskEvent => ({
  kind: 'failed',
  t,
  taskId,
  name,
  workerId,
  error: { code, message: `${name} failed`, remoteStack: code === 'ERR_TASK_FAILED' ? `Error: boom\n    at ${name} (shoal-task/${name}.js:2:9)` : undefined },
  args: '[1]',
});

/** a → b (b takes a's output), c independent and failing, d takes c's output (fails without running). */
function smallJob(): TaskEvent[] {
  return [
    { kind: 'submitted', t: 0, taskId: 'a', name: 'load', deps: [], parentTaskId: null },
    { kind: 'submitted', t: 1, taskId: 'b', name: 'sum', deps: ['a', 'put-1'], parentTaskId: null },
    { kind: 'submitted', t: 1, taskId: 'c', name: 'load', deps: [], parentTaskId: null },
    { kind: 'submitted', t: 1, taskId: 'd', name: 'sum', deps: ['c'], parentTaskId: null },
    { kind: 'dispatched', t: 2, taskId: 'a', workerId: 'w1', attempt: 1, fetchBytes: 0 },
    { kind: 'dispatched', t: 2, taskId: 'c', workerId: 'w1', attempt: 1, fetchBytes: 0 },
    { kind: 'finished', t: 12, taskId: 'a', workerId: 'w1', durationMs: 8, bytes: 100 },
    { kind: 'dispatched', t: 13, taskId: 'b', workerId: 'w2', attempt: 1, fetchBytes: 100 },
    failure('c', 'load', 'ERR_TASK_FAILED', 'w1', 14),
    failure('d', 'sum', 'ERR_DEPENDENCY_FAILED', null, 14),
    { kind: 'finished', t: 20, taskId: 'b', workerId: 'w2', durationMs: 5, bytes: 8 },
  ];
}

describe('JobModel', () => {
  it('counts each task name through queued, running, done and failed', () => {
    const model = new JobModel();
    const events = smallJob();
    for (const event of events.slice(0, 6)) model.apply(event);
    expect(model.names.get('load')).toMatchObject({ submitted: 2, running: 2, done: 0, failed: 0 });
    expect(model.totals()).toEqual({ submitted: 4, running: 2, done: 0, failed: 0, queued: 2 });
    for (const event of events.slice(6)) model.apply(event);
    expect(model.names.get('load')).toMatchObject({ submitted: 2, running: 0, done: 1, failed: 1 });
    expect(model.names.get('sum')).toMatchObject({ submitted: 2, running: 0, done: 1, failed: 1 });
    expect(model.totals().queued).toBe(0);
    expect(model.failures.map((task) => task.id)).toEqual(['c', 'd']);
    expect(model.tasks.get('c')!.error!.remoteStack).toContain('shoal-task/load.js:2:9');
  });

  it('puts overlapping runs of one worker on separate lanes', () => {
    const model = new JobModel();
    model.addWorker('w1', 2, 'one');
    model.addWorker('w2', 1, 'two');
    for (const event of smallJob()) model.apply(event);
    expect(model.lanes.map((lane) => lane.workerId)).toEqual(['w1', 'w1', 'w2']);
    // a ran 4–12 and c until 14: both on w1, so on its two lanes.
    expect(model.tasks.get('a')!.lane).not.toBe(model.tasks.get('c')!.lane);
    expect(model.inflight.get('w1')!.size).toBe(0);
    // Three runs made bars: a and b done, c failed; d never ran.
    expect(model.bars.map((bar) => [bar.taskId, bar.outcome])).toEqual([['a', 'done'], ['c', 'failed'], ['b', 'done']]);
    const b = model.bars.find((bar) => bar.taskId === 'b')!;
    // The run is the worker's 5 ms at the end; before it, the 100-byte fetch.
    expect([b.from, b.runStart, b.end, b.fetchBytes]).toEqual([13, 15, 20, 100]);
    expect(model.workerTallies.get('w2')).toMatchObject({ fetchedBytes: 100, producedBytes: 8, tasks: 1 });
  });

  it('keeps a one-slot worker on one lane when tasks queue there, placing runs where they really ran', () => {
    const model = new JobModel();
    model.addWorker('w1', 1);
    for (const id of ['x', 'y', 'z']) {
      model.apply({ kind: 'submitted', t: 0, taskId: id, name: 'n', deps: [], parentTaskId: null });
      model.apply({ kind: 'dispatched', t: 1, taskId: id, workerId: 'w1', attempt: 1, fetchBytes: 0 });
    }
    expect([...model.inflight.get('w1')!]).toEqual(['x', 'y', 'z']);
    model.apply({ kind: 'finished', t: 11, taskId: 'x', workerId: 'w1', durationMs: 10, bytes: 1 });
    model.apply({ kind: 'finished', t: 21, taskId: 'y', workerId: 'w1', durationMs: 10, bytes: 1 });
    model.apply({ kind: 'finished', t: 31, taskId: 'z', workerId: 'w1', durationMs: 10, bytes: 1 });
    expect(model.lanes).toHaveLength(1);
    expect(model.bars.map((bar) => [bar.from, bar.runStart, bar.end])).toEqual([[1, 1, 11], [11, 11, 21], [21, 21, 31]]);
  });

  it('adds lanes for overlapping runs of a worker whose slots are unknown, and ends a retried run', () => {
    const model = new JobModel();
    for (const id of ['x', 'y', 'z']) {
      model.apply({ kind: 'submitted', t: 0, taskId: id, name: id, deps: [], parentTaskId: null });
      model.apply({ kind: 'dispatched', t: 1, taskId: id, workerId: 'w1', attempt: 1, fetchBytes: 0 });
    }
    model.apply({ kind: 'finished', t: 20, taskId: 'y', workerId: 'w1', durationMs: 19, bytes: 1 });
    model.apply({ kind: 'finished', t: 25, taskId: 'x', workerId: 'w1', durationMs: 20, bytes: 1 });
    expect(model.lanes).toHaveLength(2);
    // z is sent again (its first run threw, with retryExceptions): that run ends as 'retried'.
    model.apply({ kind: 'dispatched', t: 30, taskId: 'z', workerId: 'w1', attempt: 2, fetchBytes: 0 });
    expect(model.bars.map((bar) => [bar.taskId, bar.outcome])).toEqual([['y', 'done'], ['x', 'done'], ['z', 'retried']]);
    expect(model.names.get('z')).toMatchObject({ running: 1 });
    expect(model.tasks.get('z')!.attempt).toBe(2);
    expect([...model.inflight.get('w1')!]).toEqual(['z']);
  });

  it('keeps at most maxBars bars, numbered so views can draw only new ones', () => {
    const model = new JobModel({ maxBars: 100 });
    for (let i = 0; i < 250; i++) {
      model.apply({ kind: 'submitted', t: i, taskId: `t${i}`, name: 'n', deps: [], parentTaskId: null });
      model.apply({ kind: 'dispatched', t: i, taskId: `t${i}`, workerId: 'w', attempt: 1, fetchBytes: 0 });
      model.apply({ kind: 'finished', t: i + 1, taskId: `t${i}`, workerId: 'w', durationMs: 1, bytes: 1 });
    }
    expect(model.bars.length).toBeLessThanOrEqual(100);
    expect(model.nextSeq).toBe(250);
    expect(model.bars.at(-1)!.seq).toBe(249);
    expect(model.barsDropped + model.bars.length).toBe(250);
  });

  it('estimates a rate from recent completions', () => {
    const model = new JobModel();
    for (let i = 0; i < 100; i++) {
      model.apply({ kind: 'submitted', t: 0, taskId: `t${i}`, name: 'n', deps: [], parentTaskId: null });
      model.apply({ kind: 'dispatched', t: i * 10, taskId: `t${i}`, workerId: 'w', attempt: 1, fetchBytes: 0 });
      model.apply({ kind: 'finished', t: i * 10 + 10, taskId: `t${i}`, workerId: 'w', durationMs: 10, bytes: 1 });
    }
    // One task every 10 ms: about 100 a second.
    expect(model.rate(model.names.get('n')!, 1000)).toBeGreaterThan(80);
    expect(model.rate(model.names.get('n')!, 1000)).toBeLessThan(120);
  });
});

describe('buildDag', () => {
  it('links tasks through their output ids, and shows put objects as nodes', () => {
    const model = new JobModel();
    for (const event of smallJob()) model.apply(event);
    const dag = buildDag(model);
    expect(dag.mode).toBe('tasks');
    expect(dag.nodes.map((node) => node.id).sort()).toEqual(['a', 'b', 'c', 'd', 'object:put-1']);
    expect(dag.edges.map((edge) => `${edge.from}>${edge.to}`).sort()).toEqual(['a>b', 'c>d', 'object:put-1>b']);
    expect(dag.nodes.find((node) => node.id === 'c')!.state).toBe('failed');
  });

  it('maps `${taskId}.${i}` outputs to their task, and groups by name past maxNodes', () => {
    const model = new JobModel();
    model.apply({ kind: 'submitted', t: 0, taskId: 'split', name: 'split', deps: [], parentTaskId: null });
    for (let i = 0; i < 30; i++) model.apply({ kind: 'submitted', t: 0, taskId: `m${i}`, name: 'map', deps: [`split.${i % 3}`], parentTaskId: null });
    model.apply({ kind: 'submitted', t: 0, taskId: 'r', name: 'reduce', deps: Array.from({ length: 30 }, (_, i) => `m${i}`), parentTaskId: null });
    expect(buildDag(model).edges).toHaveLength(60);
    const grouped = buildDag(model, 10);
    expect(grouped.mode).toBe('groups');
    expect(grouped.nodes.map((node) => node.label).sort()).toEqual(['map', 'reduce', 'split']);
    expect(grouped.edges.map((edge) => [edge.from, edge.to, edge.count])).toEqual([
      ['group:split', 'group:map', 30],
      ['group:map', 'group:reduce', 30],
    ]);
    expect(grouped.nodes.find((node) => node.label === 'map')!.counts.queued).toBe(30);
  });

  it('builds the grouped graph incrementally, with counts from the model', () => {
    const model = new JobModel();
    const builder = new DagBuilder(model, 10);
    const submit = (from: number, to: number) => {
      for (let i = from; i < to; i++) model.apply({ kind: 'submitted', t: 0, taskId: `m${i}`, name: i % 2 ? 'odd' : 'even', deps: i > 0 ? [`m${i - 1}`] : ['put-1'], parentTaskId: null });
    };
    submit(0, 20);
    expect(builder.build()).toEqual(buildDag(model, 10));
    submit(20, 50);
    model.apply({ kind: 'dispatched', t: 1, taskId: 'm3', workerId: 'w', attempt: 1, fetchBytes: 0 });
    const grown = builder.build();
    expect(grown).toEqual(buildDag(model, 10));
    expect(grown.nodes.find((node) => node.label === 'odd')!.counts).toEqual({ queued: 24, running: 1, done: 0, failed: 0 });
    expect(grown.edges.map((edge) => [edge.from, edge.to, edge.count])).toEqual([
      ['objects:put', 'group:even', 1],
      ['group:even', 'group:odd', 25],
      ['group:odd', 'group:even', 24],
    ]);
  });
});
