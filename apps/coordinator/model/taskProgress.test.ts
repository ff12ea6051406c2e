import { describe, expect, it } from 'vitest';
import type { TaskEvent } from '@shoal/client';
import { TaskProgressFeed } from './taskProgress.ts';

const submitted = (taskId: string, name: string): TaskEvent => ({ kind: 'submitted', t: 0, taskId, name, deps: [], parentTaskId: null });
const finished = (taskId: string): TaskEvent => ({ kind: 'finished', t: 0, taskId, workerId: 'w', durationMs: 1, bytes: 0 });
const failed = (taskId: string, name: string): TaskEvent => ({
  kind: 'failed',
  t: 0,
  taskId,
  name,
  workerId: 'w',
  error: { code: 'ERR_TASK_FAILED', message: 'boom' },
  args: '[]',
});

describe('TaskProgressFeed', () => {
  it('counts per name and answers only the names changed since a seq', () => {
    const feed = new TaskProgressFeed();
    for (const event of [submitted('a', 'load'), submitted('b', 'load'), submitted('c', 'sum'), finished('a')]) feed.apply(event);
    const first = feed.since(0);
    expect(first).toEqual({
      seq: 4,
      names: [
        { name: 'load', submitted: 2, done: 1, failed: 0 },
        { name: 'sum', submitted: 1, done: 0, failed: 0 },
      ],
    });
    expect(feed.since(first.seq)).toEqual({ seq: 4, names: [] });

    feed.apply(failed('c', 'sum'));
    expect(feed.since(first.seq)).toEqual({ seq: 5, names: [{ name: 'sum', submitted: 1, done: 0, failed: 1 }] });
  });

  it('ignores dispatches, repeats and tasks it never saw submitted', () => {
    const feed = new TaskProgressFeed();
    feed.apply(submitted('a', 'load'));
    feed.apply(submitted('a', 'load'));
    feed.apply({ kind: 'dispatched', t: 0, taskId: 'a', workerId: 'w', attempt: 1, fetchBytes: 0 });
    feed.apply(finished('a'));
    feed.apply(finished('a'));
    feed.apply(finished('zz'));
    feed.apply(failed('yy', 'load'));
    expect(feed.since(0)).toEqual({ seq: 2, names: [{ name: 'load', submitted: 1, done: 1, failed: 0 }] });
  });

  it('counts 100k tasks over 20 names', () => {
    const feed = new TaskProgressFeed();
    for (let i = 0; i < 100_000; i++) feed.apply(submitted(`t${i}`, `stage ${i % 20}`));
    for (let i = 0; i < 100_000; i++) feed.apply(finished(`t${i}`));
    const update = feed.since(0);
    expect(update.names).toHaveLength(20);
    expect(update.names.every((n) => n.submitted === 5000 && n.done === 5000)).toBe(true);
  });
});
