import { describe, expect, it } from 'vitest';
import { ev, run, scheduler } from './testTable.ts';

describe('objects: release by refcount', () => {
  it.each([
    {
      name: 'a ready object is released when its handle is dropped and no task needs it',
      events: [ev.join('w1'), ev.submit('a'), ev.finish('a', 'w1'), ev.release('a.0'), ev.release('a.0')],
      want: [[], ['run a@w1#1'], [], ['release a.0@w1'], []],
    },
    {
      name: 'a held object outlives its consumers',
      events: [ev.join('w1'), ev.submit('a'), ev.submit('b', { deps: ['a.0'] }), ev.finish('a', 'w1'), ev.finish('b', 'w1'), ev.release('a.0')],
      want: [[], ['run a@w1#1'], [], ['run b@w1#1'], [], ['release a.0@w1']],
    },
    {
      name: 'a dropped object waits for its last consumer',
      events: [
        ev.join('w1', { cpu: 2 }),
        ev.submit('a'),
        ev.submit('b', { deps: ['a.0'] }),
        ev.submit('c', { deps: ['a.0'] }),
        ev.release('a.0'),
        ev.finish('a', 'w1'),
        ev.finish('b', 'w1'),
        ev.finish('c', 'w1'),
      ],
      want: [[], ['run a@w1#1'], [], [], [], ['run b@w1#1', 'run c@w1#1'], [], ['release a.0@w1']],
    },
    {
      name: 'a pending object dropped early is released the moment it is ready',
      events: [ev.join('w1'), ev.submit('a'), ev.release('a.0'), ev.finish('a', 'w1')],
      want: [[], ['run a@w1#1'], [], ['release a.0@w1']],
    },
    {
      name: 'a put stored on the coordinator is released with location null',
      events: [ev.store('p', null, 100), ev.release('p')],
      want: [[], ['release p@coordinator']],
    },
    {
      name: 'a put stored on a worker, used by a task',
      events: [ev.join('w1'), ev.store('p', 'w1'), ev.submit('a', { deps: ['p'] }), ev.release('p'), ev.finish('a', 'w1')],
      want: [[], [], ['run a@w1#1'], [], ['release p@w1']],
    },
    {
      name: 'a put released before it is stored goes as soon as it is stored',
      events: [ev.join('w1'), ev.submit('a', { deps: ['p'] }), ev.release('p'), ev.store('p', 'w1'), ev.finish('a', 'w1')],
      want: [[], [], [], ['run a@w1#1'], ['release p@w1']],
    },
    {
      name: 'a failed object is released (no locations) once dropped',
      events: [ev.join('w1'), ev.submit('a'), ev.fail('a', 'w1'), ev.release('a.0')],
      want: [[], ['run a@w1#1'], ['fail a:boom'], ['release a.0@-']],
    },
    {
      name: 'a dropped pending object is released when its producer fails',
      events: [ev.join('w1'), ev.submit('a'), ev.release('a.0'), ev.fail('a', 'w1')],
      want: [[], ['run a@w1#1'], [], ['fail a:boom', 'release a.0@-']],
    },
    {
      name: 'a retried producer keeps its pending, dropped output until it finishes',
      events: [ev.join('w1'), ev.submit('a', { retryExceptions: true }), ev.release('a.0'), ev.fail('a', 'w1'), ev.finish('a', 'w1')],
      want: [[], ['run a@w1#1'], [], ['run a@w1#2'], ['release a.0@w1']],
    },
  ])('$name', ({ events, want }) => {
    expect(run(events)).toEqual(want);
  });

  it('a late submission naming a failed object fails at once and holds nothing', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.submit('a'), ev.fail('a', 'w1'));
    expect(send(ev.submit('b', { deps: ['a.0'] }))).toEqual(['fail b<a:boom']);
    expect(state.objects.get('a.0')?.consumers).toBe(0);
    expect(state.tasks.has('b')).toBe(false);
    expect(send(ev.release('a.0'), ev.release('b.0'))).toEqual(['release a.0@-', 'release b.0@-']);
    expect(state.objects.size).toBe(0);
  });

  it('objectStored on a ready object adds a location and keeps its handle state', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.join('w2'), ev.submit('a'), ev.finish('a', 'w1', 100, [64]));
    send(ev.store('a.0', 'w2', 64), ev.store('a.0', 'w2', 64));
    expect(state.objects.get('a.0')).toMatchObject({ state: 'ready', held: true, size: 64, locations: ['w1', 'w2'] });
    expect(send(ev.release('a.0'))).toEqual(['release a.0@w1,w2']);
  });

  it('records the sizes a finished task reports', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.submit('a', { outputs: ['x', 'y'] }), ev.finish('a', 'w1', 100, [10, 20]));
    expect([state.objects.get('x')?.size, state.objects.get('y')?.size]).toEqual([10, 20]);
  });
});
