import { describe, expect, it } from 'vitest';
import { objectInfo } from './queries.ts';
import { ev, run, scheduler } from './testTable.ts';

describe('lineage: lost objects are remade by running their producers again', () => {
  it.each([
    {
      name: 'a lost output with a ready consumer: the producer runs again first, the consumer waits for it',
      events: [
        ev.join('w1'),
        ev.submit('a'),
        ev.finish('a', 'w1'),
        ev.submit('x'), // keeps w1 busy
        ev.submit('b', { deps: ['a.0'] }), // ready: w1 is full
        ev.lost('w1'),
        ev.join('w2'),
        ev.finish('x', 'w2'),
        ev.finish('a', 'w2'),
      ],
      want: [[], ['run a@w1#1'], [], ['run x@w1#1'], [], ['remake a:a.0'], ['run x@w2#2'], ['run a@w2#1'], ['run b@w2#1']],
    },
    {
      name: 'evicted ancestors are remade first, recursively, and evicted again once used',
      events: [
        ev.join('w1'),
        ev.submit('a'),
        ev.finish('a', 'w1'),
        ev.submit('b', { deps: ['a.0'] }),
        ev.release('a.0'),
        ev.finish('b', 'w1'),
        ev.submit('c', { deps: ['b.0'] }),
        ev.release('b.0'),
        ev.finish('c', 'w1'),
        ev.lost('w1'),
        ev.join('w2'),
        ev.finish('a', 'w2'),
        ev.finish('b', 'w2'),
        ev.finish('c', 'w2'),
        ev.release('c.0'),
      ],
      want: [
        [],
        ['run a@w1#1'],
        [],
        ['run b@w1#1'],
        [],
        ['release a.0@w1'],
        ['run c@w1#1'],
        [],
        ['release b.0@w1'],
        ['remake a:a.0', 'remake b:b.0', 'remake c:c.0'],
        ['run a@w2#1'],
        ['run b@w2#1'],
        ['release a.0@w2', 'run c@w2#1'],
        ['release b.0@w2'],
        ['release c.0@w2', 'forget c', 'forget b', 'forget a'],
      ],
      lineage: true,
    },
    {
      name: 'each lineage runs again at most maxRetries times; then the object is lost',
      events: [ev.join('w1'), ev.submit('a', { maxRetries: 1 }), ev.finish('a', 'w1'), ev.join('w2'), ev.lost('w1'), ev.finish('a', 'w2'), ev.lost('w2')],
      want: [[], ['run a@w1#1'], [], [], ['remake a:a.0', 'run a@w2#1'], [], ['lost a.0']],
    },
    {
      name: 'an object whose producer had an input that cannot be remade (a put on the lost worker) is lost',
      events: [ev.join('w1'), ev.store('p', 'w1'), ev.submit('a', { deps: ['p'] }), ev.finish('a', 'w1'), ev.lost('w1')],
      want: [[], [], ['run a@w1#1'], [], ['lost p', 'lost a.0']],
    },
    {
      name: "a run that cannot fetch an input being remade waits for it, and 'fetch' failures do not spend retries",
      events: [
        ev.join('w1'),
        ev.submit('a'),
        ev.finish('a', 'w1'),
        ev.join('w2'),
        ev.submit('x'), // on w1
        ev.submit('b', { deps: ['a.0'] }), // on w2, fetching a.0 from w1
        ev.fail('b', 'w2', 'fetch'),
        ev.lost('w1'),
        ev.fail('b', 'w2', 'fetch'),
        ev.finish('x', 'w2'),
        ev.finish('a', 'w2'),
      ],
      want: [[], ['run a@w1#1'], [], [], ['run x@w1#1'], ['run b@w2#1'], ['run b@w2#1'], ['remake a:a.0'], ['run x@w2#2'], ['run a@w2#1'], ['run b@w2#1']],
    },
    {
      name: 'a released output lets go of its lineage, and its evicted inputs go with it',
      events: [ev.join('w1'), ev.submit('a'), ev.finish('a', 'w1'), ev.submit('b', { deps: ['a.0'] }), ev.release('a.0'), ev.finish('b', 'w1'), ev.release('b.0')],
      want: [[], ['run a@w1#1'], [], ['run b@w1#1'], [], ['release a.0@w1'], ['release b.0@w1', 'forget b', 'forget a']],
      lineage: true,
    },
  ])('$name', ({ events, want, lineage }) => {
    expect(run(events, {}, lineage ?? false)).toEqual(want);
  });

  it('keeps nothing once every output is released', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.submit('a'), ev.finish('a', 'w1'), ev.submit('b', { deps: ['a.0'] }), ev.release('a.0'), ev.finish('b', 'w1'));
    expect(objectInfo(state, 'a.0')).toMatchObject({ state: 'evicted', locations: [] });
    send(ev.release('b.0'));
    expect([state.tasks.size, state.objects.size]).toEqual([0, 0]);
  });
});

describe('poison tasks: ERR_TASK_KILLED_WORKERS', () => {
  it.each([
    {
      name: 'a task whose worker dies while running it 3 times fails, however many retries it has',
      events: [ev.join('w1'), ev.submit('p', { maxRetries: 10 }), ev.lost('w1'), ev.join('w2'), ev.lost('w2'), ev.join('w3'), ev.lost('w3')],
      want: [[], ['run p@w1#1'], [], ['run p@w2#2'], [], ['run p@w3#3'], ['fail p:ERR_TASK_KILLED_WORKERS']],
      config: {},
    },
    {
      name: 'killedWorkersLimit 1: the first death fails it, and its dependents name it',
      events: [ev.join('w1'), ev.submit('p'), ev.submit('q', { deps: ['p.0'] }), ev.submit('r'), ev.lost('w1')],
      want: [[], ['run p@w1#1'], [], [], ['fail p:ERR_TASK_KILLED_WORKERS', 'fail q<p:ERR_TASK_KILLED_WORKERS']],
      config: { killedWorkersLimit: 1 },
    },
    {
      name: 'a worker that left gracefully does not count as killed by the task',
      events: [ev.join('w1'), ev.submit('p', { maxRetries: 10 }), ev.left('w1'), ev.join('w2'), ev.lost('w2'), ev.join('w3'), ev.lost('w3'), ev.join('w4')],
      want: [[], ['run p@w1#1'], [], ['run p@w2#2'], [], ['run p@w3#3'], [], ['run p@w4#4']],
      config: {},
    },
    {
      name: 'fewer retries than the limit still end in ERR_WORKER_LOST',
      events: [ev.join('w1'), ev.submit('p', { maxRetries: 0 }), ev.lost('w1')],
      want: [[], ['run p@w1#1'], ['fail p:ERR_WORKER_LOST']],
      config: {},
    },
  ])('$name', ({ events, want, config }) => {
    expect(run(events, config)).toEqual(want);
  });
});

describe('lineage: a long lost chain', () => {
  it('is remade without overflowing the stack (20,000 links, only the last held)', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'));
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      send(ev.submit(`t${i}`, i === 0 ? {} : { deps: [`t${i - 1}.0`] }));
      if (i > 0) send(ev.release(`t${i - 1}.0`));
      send(ev.finish(`t${i}`, 'w1'));
    }
    const out = send(ev.lost('w1'));
    expect(out.filter((line) => line.startsWith('remake '))).toHaveLength(n);
    expect(out[0]).toBe('remake t0:t0.0');
    expect(objectInfo(state, `t${n - 1}.0`)?.state).toBe('pending');
  });
});
