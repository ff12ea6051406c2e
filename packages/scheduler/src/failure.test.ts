import { describe, expect, it } from 'vitest';
import { schedulerStats, taskInfo, workerLoad } from './queries.ts';
import { createState } from './state.ts';
import { step } from './step.ts';
import { boom, ev, run, scheduler } from './testTable.ts';

const timeout = { name: 'ShoalError', message: 'task timed out', code: 'ERR_TIMEOUT' as const };
const gpuLost = { name: 'ShoalError', message: 'the GPU device was lost', code: 'ERR_GPU_LOST' as const };

describe('failure and retries', () => {
  it.each([
    {
      name: 'an exception fails the task when retryExceptions is off',
      events: [ev.join('w1'), ev.submit('a', { maxRetries: 3 }), ev.fail('a', 'w1')],
      want: [[], ['run a@w1#1'], ['fail a:boom']],
    },
    {
      name: 'with retryExceptions, an exception is retried while attempts ≤ maxRetries',
      events: [
        ev.join('w1'),
        ev.submit('a', { maxRetries: 2, retryExceptions: true }),
        ev.fail('a', 'w1'),
        ev.fail('a', 'w1'),
        ev.fail('a', 'w1'),
      ],
      want: [[], ['run a@w1#1'], ['run a@w1#2'], ['run a@w1#3'], ['fail a:boom']],
    },
    {
      name: 'maxRetries 0 never retries',
      events: [ev.join('w1'), ev.submit('a', { maxRetries: 0, retryExceptions: true }), ev.fail('a', 'w1')],
      want: [[], ['run a@w1#1'], ['fail a:boom']],
    },
    {
      name: 'a timeout is retried like an exception',
      events: [ev.join('w1'), ev.submit('a', { maxRetries: 1, retryExceptions: true }), ev.fail('a', 'w1', 'timeout', timeout), ev.fail('a', 'w1', 'timeout', timeout)],
      want: [[], ['run a@w1#1'], ['run a@w1#2'], ['fail a:ERR_TIMEOUT']],
    },
    {
      name: 'a lost GPU device is retried without retryExceptions, while attempts ≤ maxRetries',
      events: [
        ev.join('w1'),
        ev.submit('a', { maxRetries: 1 }),
        ev.fail('a', 'w1', 'device', gpuLost),
        ev.fail('a', 'w1', 'device', gpuLost),
      ],
      want: [[], ['run a@w1#1'], ['run a@w1#2'], ['fail a:ERR_GPU_LOST']],
    },
    {
      name: 'a timeout without retryExceptions fails with its error',
      events: [ev.join('w1'), ev.submit('a'), ev.fail('a', 'w1', 'timeout', timeout)],
      want: [[], ['run a@w1#1'], ['fail a:ERR_TIMEOUT']],
    },
    {
      name: "a run the worker reports 'cancelled' is never retried",
      events: [
        ev.join('w1'),
        ev.submit('a', { retryExceptions: true }),
        ev.fail('a', 'w1', 'cancelled', { name: 'ShoalError', message: 'aborted', code: 'ERR_CANCELLED' }),
      ],
      want: [[], ['run a@w1#1'], ['fail a:ERR_CANCELLED']],
    },
  ])('$name', ({ events, want }) => {
    expect(run(events)).toEqual(want);
  });

  it('fails everything downstream, naming the root, and later submissions too', () => {
    const out = run([
      ev.join('w1'),
      ev.submit('a'),
      ev.submit('b', { deps: ['a.0'] }),
      ev.submit('c', { deps: ['b.0'] }),
      ev.submit('d', { deps: ['b.0', 'c.0'] }),
      ev.submit('other'),
      ev.fail('a', 'w1'),
      ev.submit('e', { deps: ['c.0'] }),
      ev.submit('f', { deps: ['e.0'] }),
    ]);
    expect(out[6]).toEqual(['fail a:boom', 'fail b<a:boom', 'fail c<a:boom', 'fail d<a:boom', 'run other@w1#1']);
    expect(out[7]).toEqual(['fail e<a:boom']);
    expect(out[8]).toEqual(['fail f<a:boom']);
  });

  it('a cascaded failure keeps the root error itself', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.submit('a'), ev.submit('b', { deps: ['a.0'] }), ev.fail('a', 'w1'));
    expect(state.objects.get('b.0')).toMatchObject({ state: 'failed', root: 'a', error: boom });
  });

  it('failure releases inputs nobody needs any more', () => {
    const { send } = scheduler();
    send(ev.join('w1'), ev.submit('a'), ev.submit('b', { deps: ['a.0'] }), ev.release('a.0'), ev.finish('a', 'w1'));
    expect(send(ev.fail('b', 'w1'))).toEqual(['fail b:boom', 'release a.0@w1']);
  });
});

describe('cancel', () => {
  const cancelled = 'ERR_CANCELLED';

  it.each([
    {
      name: 'a waiting task fails, and its dependents name it',
      events: [ev.join('w1'), ev.submit('a'), ev.submit('b', { deps: ['a.0'] }), ev.submit('c', { deps: ['b.0'] }), ev.cancel('b'), ev.finish('a', 'w1')],
      want: [[], ['run a@w1#1'], [], [], [`fail b:${cancelled}`, `fail c<b:${cancelled}`], []],
    },
    {
      name: 'a ready task leaves the queue',
      events: [ev.join('w1'), ev.submit('a'), ev.submit('b'), ev.submit('c'), ev.cancel('b'), ev.finish('a', 'w1')],
      want: [[], ['run a@w1#1'], [], [], [`fail b:${cancelled}`], ['run c@w1#1']],
    },
    {
      name: 'a ready task cancelled from the middle of the queue is skipped',
      events: [
        ev.join('w1'),
        ev.submit('a'),
        ev.submit('b', { priority: 2 }),
        ev.submit('c', { priority: 1 }),
        ev.submit('d'),
        ev.cancel('c'),
        ev.finish('a', 'w1'),
        ev.finish('b', 'w1'),
      ],
      want: [[], ['run a@w1#1'], [], [], [], [`fail c:${cancelled}`], ['run b@w1#1'], ['run d@w1#1']],
    },
    {
      name: 'done, failed and unknown tasks: no-op',
      events: [ev.join('w1'), ev.submit('a'), ev.finish('a', 'w1'), ev.cancel('a'), ev.cancel('nope'), ev.submit('x'), ev.fail('x', 'w1'), ev.cancel('x')],
      want: [[], ['run a@w1#1'], [], [], [], ['run x@w1#1'], ['fail x:boom'], []],
    },
    {
      name: 'a second cancel of a running task is a no-op',
      events: [ev.join('w1'), ev.submit('a'), ev.cancel('a'), ev.cancel('a', true)],
      want: [[], ['run a@w1#1'], ['cancel a@w1', `fail a:${cancelled}`], []],
    },
  ])('$name', ({ events, want }) => {
    expect(run(events)).toEqual(want);
  });

  it('a running task: cancelTask and the failure now, resources held until the worker answers', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.submit('a'), ev.submit('b', { deps: ['a.0'] }), ev.submit('c'));
    expect(send(ev.cancel('a', true))).toEqual(['cancel! a@w1', `fail a:${cancelled}`, `fail b<a:${cancelled}`]);
    expect(taskInfo(state, 'a')).toEqual({ state: 'failed', workerId: 'w1', attempts: 1, blocked: false });
    expect(workerLoad(state, 'w1')).toEqual({ assigned: 1, blocked: 0, cpuInFlight: 1 });
    expect(send(ev.finish('a', 'w1'))).toEqual(['run c@w1#1']);
    expect(taskInfo(state, 'a')).toBeNull();
    expect(send(ev.finish('a', 'w1'))).toEqual([]);
  });

  it('a cancelled run answered by a failure, or lost with its worker, frees without more commands', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.join('w2'), ev.submit('a', { retryExceptions: true }), ev.submit('b', { maxRetries: 5 }));
    send(ev.cancel('a'), ev.cancel('b'));
    expect(send(ev.fail('a', 'w1', 'cancelled'))).toEqual([]);
    expect(send(ev.lost('w2'))).toEqual([]);
    expect(state.tasks.size).toBe(0);
    expect(workerLoad(state, 'w1')).toEqual({ assigned: 0, blocked: 0, cpuInFlight: 0 });
  });

  it('cancelling every queued task empties the queue', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.submit('a'), ev.submit('b'), ev.submit('c'), ev.submit('d'));
    send(ev.cancel('c'), ev.cancel('b'), ev.cancel('d'));
    expect(schedulerStats(state)).toMatchObject({ ready: 0, running: 1 });
    expect(state.shapes.get([...state.shapes.keys()][0]!)?.tasks.size).toBe(0);
    expect(send(ev.finish('a', 'w1'), ev.submit('e'))).toEqual(['run e@w1#1']);
  });

  it('a blocked run that is cancelled frees nothing twice', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.submit('a'), ev.block('a', 'w1'), ev.cancel('a'), ev.fail('a', 'w1', 'cancelled'));
    expect(workerLoad(state, 'w1')).toEqual({ assigned: 0, blocked: 0, cpuInFlight: 0 });
  });
});

describe('worker lost', () => {
  it('retries its running tasks at the front of their priority, then gives up with ERR_WORKER_LOST', () => {
    const out = run([ev.join('w1'), ev.submit('a', { maxRetries: 1 }), ev.lost('w1'), ev.join('w2'), ev.lost('w2')]);
    expect(out).toEqual([[], ['run a@w1#1'], [], ['run a@w2#2'], ['fail a:ERR_WORKER_LOST']]);
  });

  it('the give-up error names the worker and the retries', () => {
    const state = createState();
    step(state, ev.join('w1'));
    step(state, ev.submit('a', { maxRetries: 0 }));
    expect(step(state, ev.lost('w1'))).toEqual([
      {
        type: 'failTask',
        taskId: 'a',
        error: { name: 'ShoalError', code: 'ERR_WORKER_LOST', message: 'worker w1 was lost while running the task, and its 0 retries are spent', workerId: 'w1' },
        upstream: null,
      },
    ]);
  });

  it('retried tasks go ahead of queued ones; others move to the remaining workers', () => {
    const { send } = scheduler();
    send(ev.join('w1'), ev.join('w2'), ev.submit('a'), ev.submit('b'), ev.submit('c'), ev.submit('d'));
    expect(send(ev.lost('w1'))).toEqual([]);
    expect(send(ev.finish('b', 'w2'))).toEqual(['run a@w2#2']);
    expect(send(ev.finish('a', 'w2'))).toEqual(['run c@w2#1']);
  });

  it("drops the worker from its objects' locations, and releases with what is left", () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.join('w2'), ev.submit('a'), ev.finish('a', 'w1'), ev.store('a.0', 'w2'));
    expect(state.objects.get('a.0')?.locations).toEqual(['w1', 'w2']);
    send(ev.lost('w1'));
    expect(state.objects.get('a.0')?.locations).toEqual(['w2']);
    expect(send(ev.release('a.0'))).toEqual(['release a.0@w2']);
  });

  it('loses blocked runs too, and the worker no longer counts', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.submit('a', { maxRetries: 0 }), ev.block('a', 'w1'));
    expect(send(ev.lost('w1'))).toEqual(['fail a:ERR_WORKER_LOST']);
    expect([state.workers.size, state.byLoad.size, state.maxCpu]).toEqual([0, 0, 0]);
  });
});
