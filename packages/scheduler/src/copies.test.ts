import { describe, expect, it } from 'vitest';
import { objectInfo } from './queries.ts';
import { createState } from './state.ts';
import { step } from './step.ts';
import { ev, inputsOf, run, scheduler } from './testTable.ts';

describe('copies: runTask names where each input lives', () => {
  it('lists every input in deps order, with its size and every copy', () => {
    const state = createState();
    step(state, ev.join('w1'));
    step(state, ev.join('w2'));
    step(state, ev.store('p', 'w2', 100));
    step(state, ev.store('p', null, 100));
    step(state, ev.store('q', 'w1', 5));
    const [command] = step(state, ev.submit('t', { deps: ['q', 'p'] }));
    expect(inputsOf(command!)).toEqual(['q:5@w1', 'p:100@w2,coordinator']);
    expect(command).toMatchObject({ type: 'runTask', taskId: 't', workerId: 'w1', attempt: 1 });
  });

  it('a task without inputs gets an empty list', () => {
    const state = createState();
    step(state, ev.join('w1'));
    expect(step(state, ev.submit('a'))).toEqual([{ type: 'runTask', taskId: 'a', workerId: 'w1', attempt: 1, inputs: [] }]);
  });

  it('a command keeps the copies it was given, even as they change later', () => {
    const state = createState();
    step(state, ev.join('w1'));
    step(state, ev.store('p', 'w1'));
    const [command] = step(state, ev.submit('t', { deps: ['p'] }));
    step(state, ev.store('p', null));
    step(state, ev.drop('p', 'w1'));
    expect(inputsOf(command!)).toEqual(['p:8@w1']);
    expect(objectInfo(state, 'p')?.locations).toEqual([null]);
  });
});

describe('copies: objectStored and objectDropped', () => {
  it.each([
    {
      name: 'a second objectStored adds a copy, and releaseObject lists every copy',
      events: [ev.join('w1'), ev.join('w2'), ev.submit('a'), ev.finish('a', 'w1'), ev.store('a.0', 'w2'), ev.store('a.0', null), ev.release('a.0')],
      want: [[], [], ['run a@w1#1'], [], [], [], ['release a.0@w1,w2,coordinator']],
    },
    {
      name: 'objectDropped removes one copy; the rest are released',
      events: [ev.join('w1'), ev.join('w2'), ev.store('p', 'w1'), ev.store('p', 'w2'), ev.drop('p', 'w1'), ev.release('p')],
      want: [[], [], [], [], [], ['release p@w2']],
    },
    {
      name: 'dropping a copy that is not listed, of a pending or unknown object: no-op',
      events: [ev.join('w1'), ev.join('w2'), ev.store('p', 'w1'), ev.drop('p', 'w2'), ev.drop('p', null), ev.submit('a', { deps: ['q'] }), ev.drop('q', 'w1'), ev.drop('nope', 'w1')],
      want: [[], [], [], [], [], [], [], []],
    },
    {
      name: 'dropping the last copy of a held object loses it; its release names no copy',
      events: [ev.join('w1'), ev.store('p', 'w1'), ev.drop('p', 'w1'), ev.drop('p', 'w1'), ev.release('p')],
      want: [[], [], ['lost p'], [], ['release p@-']],
    },
    {
      name: 'the last copy dropped: tasks waiting or ready on it fail with ERR_OBJECT_LOST, their dependents name them',
      events: [
        ev.join('w1'),
        ev.store('p', 'w1'),
        ev.submit('a'),
        ev.submit('r', { deps: ['p'] }), // ready: w1 is busy with a
        ev.submit('w', { deps: ['p', 'a.0'] }), // waiting for a.0
        ev.submit('d', { deps: ['r.0'] }),
        ev.drop('p', 'w1'),
        ev.submit('late', { deps: ['p'] }),
      ],
      want: [[], [], ['run a@w1#1'], [], [], [], ['lost p', 'fail r:ERR_OBJECT_LOST', 'fail d<r:ERR_OBJECT_LOST', 'fail w:ERR_OBJECT_LOST'], ['fail late:ERR_OBJECT_LOST']],
    },
    {
      name: 'a run already started keeps going when its input is lost; a retry of it fails',
      events: [
        ev.join('w1'),
        ev.store('p', 'w1'),
        ev.submit('t', { deps: ['p'], retryExceptions: true }),
        ev.drop('p', 'w1'),
        ev.fail('t', 'w1'),
      ],
      want: [[], [], ['run t@w1#1'], ['lost p'], ['fail t:ERR_OBJECT_LOST']],
    },
    {
      name: 'a lost object stored again is ready again',
      events: [ev.join('w1'), ev.store('p', 'w1'), ev.drop('p', 'w1'), ev.store('p', 'w1'), ev.submit('t', { deps: ['p'] })],
      want: [[], [], ['lost p'], [], ['run t@w1#1']],
    },
    {
      name: 'a copy from a worker that already left is ignored; a put stored only there is lost',
      events: [ev.join('w1'), ev.store('p', 'w1'), ev.submit('t', { deps: ['q'] }), ev.store('p', 'gone'), ev.store('q', 'gone'), ev.release('p')],
      want: [[], [], [], [], ['lost q', 'fail t:ERR_OBJECT_LOST'], ['release p@w1']],
    },
  ])('$name', ({ events, want }) => {
    expect(run(events)).toEqual(want);
  });

  it('the lost error says which copy went', () => {
    const state = createState();
    step(state, ev.join('w1'));
    step(state, ev.store('p', 'w1'));
    step(state, ev.submit('a'));
    step(state, ev.submit('t', { deps: ['p'] }));
    expect(step(state, ev.drop('p', 'w1'))).toEqual([
      { type: 'objectLost', objectId: 'p' },
      {
        type: 'failTask',
        taskId: 't',
        error: { name: 'ShoalError', code: 'ERR_OBJECT_LOST', message: 'object p was lost: its last copy, on worker w1, was dropped (a put object cannot be recomputed)' },
        upstream: null,
      },
    ]);
  });
});

describe('copies: workerLost', () => {
  it('drops the worker from every object; one still held elsewhere is not lost', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.join('w2'), ev.store('p', 'w1'), ev.store('p', 'w2'), ev.store('q', 'w1'), ev.store('q', null), ev.store('r', 'w1'));
    expect(send(ev.lost('w1'))).toEqual(['lost r']);
    expect([objectInfo(state, 'p')?.locations, objectInfo(state, 'q')?.locations, objectInfo(state, 'r')?.locations]).toEqual([['w2'], [null], []]);
    expect(send(ev.release('p'), ev.release('q'), ev.release('r'))).toEqual(['release p@w2', 'release q@coordinator', 'release r@-']);
  });

  it("a lost worker's outputs that cannot be remade (maxRetries 0) are lost, and tasks that needed them fail; its own runs are retried", () => {
    const out = run([
      ev.join('w1'),
      ev.join('w2'),
      ev.submit('a', { maxRetries: 0 }),
      ev.finish('a', 'w1'),
      ev.submit('long'), // on w1
      ev.submit('busy'), // on w2
      ev.submit('b', { deps: ['a.0'] }), // ready: both workers busy
      ev.lost('w1'),
    ]);
    expect(out.at(-1)).toEqual(['lost a.0', 'fail b:ERR_OBJECT_LOST']);
    expect(out.slice(4, 6).flat()).toEqual(['run long@w1#1', 'run busy@w2#1']);
  });
});

describe('objectInfo', () => {
  it('reports state, size, copies, consumers and the handle, and null once released', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.submit('a', { maxRetries: 0 }), ev.submit('b', { deps: ['a.0'] }));
    expect(objectInfo(state, 'a.0')).toEqual({ state: 'pending', size: 0, locations: [], consumers: 1, held: true });
    send(ev.finish('a', 'w1', 10, [300]), ev.store('a.0', null, 300));
    expect(objectInfo(state, 'a.0')).toEqual({ state: 'ready', size: 300, locations: ['w1', null], consumers: 1, held: true });
    send(ev.release('a.0'), ev.drop('a.0', 'w1'), ev.drop('a.0', null));
    expect(objectInfo(state, 'a.0')).toEqual({ state: 'lost', size: 300, locations: [], consumers: 1, held: false }); // b runs on: it started before
    send(ev.finish('b', 'w1'));
    // b.0 is held, and b's lineage names a.0: its record stays, value released.
    expect(objectInfo(state, 'a.0')).toEqual({ state: 'evicted', size: 300, locations: [], consumers: 0, held: false });
    send(ev.release('b.0'));
    expect(objectInfo(state, 'a.0')).toBeNull();
    expect(objectInfo(state, 'never')).toBeNull();
  });

  it('a failed object reads failed', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.submit('a'), ev.fail('a', 'w1'));
    expect(objectInfo(state, 'a.0')).toMatchObject({ state: 'failed', locations: [] });
  });
});
