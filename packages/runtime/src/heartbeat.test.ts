import { afterEach, describe, expect, it, vi } from 'vitest';
import { Heartbeat } from './heartbeat.ts';

/** A scheduler that records each postTask and runs it when told (no real timing). */
function fakeScheduler() {
  const posted: Array<{ run: () => void; priority?: string; delay?: number; signal?: AbortSignal }> = [];
  return {
    posted,
    postTask(run: () => void, options: { priority?: string; delay?: number; signal?: AbortSignal }) {
      posted.push({ run, ...options });
      return Promise.resolve();
    },
    /** Runs the latest posted task unless its signal was aborted. */
    fire() {
      const task = posted.at(-1)!;
      if (!task.signal?.aborted) task.run();
    },
  };
}

afterEach(() => vi.useRealTimers());

describe('Heartbeat', () => {
  it('beats as user-blocking tasks where the browser has scheduler.postTask, so queued bulk messages do not delay it', () => {
    const scheduler = fakeScheduler();
    const heartbeat = new Heartbeat(scheduler);
    let beats = 0;
    heartbeat.start(() => (beats += 1), 1000);
    expect(scheduler.posted).toHaveLength(1);
    expect(scheduler.posted[0]).toMatchObject({ priority: 'user-blocking', delay: 1000 });
    scheduler.fire();
    scheduler.fire();
    expect(beats).toBe(2);
    expect(scheduler.posted).toHaveLength(3); // each beat schedules the next
    heartbeat.stop();
    scheduler.fire();
    expect(beats).toBe(2);
  });

  it('keeps beating after a send that throws', () => {
    const scheduler = fakeScheduler();
    const heartbeat = new Heartbeat(scheduler);
    let calls = 0;
    heartbeat.start(() => {
      calls += 1;
      if (calls === 1) throw new Error('link closing');
    }, 1000);
    expect(() => scheduler.fire()).toThrow('link closing');
    scheduler.fire();
    expect(calls).toBe(2);
    heartbeat.stop();
  });

  it('falls back to setInterval without the scheduler API, and restarts cleanly', () => {
    vi.useFakeTimers();
    const heartbeat = new Heartbeat(null);
    let beats = 0;
    heartbeat.start(() => (beats += 1), 1000);
    heartbeat.start(() => (beats += 10), 1000);
    vi.advanceTimersByTime(3000);
    expect(beats).toBe(30);
    heartbeat.stop();
    vi.advanceTimersByTime(3000);
    expect(beats).toBe(30);
  });
});
