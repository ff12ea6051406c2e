import { describe, expect, it } from 'vitest';
import { objectInfo } from './queries.ts';
import { boom, ev, run, scheduler, task } from './testTable.ts';

describe('external objects (actor call results)', () => {
  it('a task waits for a pending external object and runs once it is stored', () => {
    const out = run([ev.join('w1'), { type: 'objectPending', objectId: 'c1' }, ev.submit('t', { deps: ['c1'] }), ev.store('c1', 'w1')]);
    expect(out).toEqual([[], [], [], ['run t@w1#1']]);
  });

  it('a failed external object fails its waiting consumers, naming it upstream', () => {
    const out = run([
      ev.join('w1'),
      { type: 'objectPending', objectId: 'c1' },
      ev.submit('t', { deps: ['c1'] }),
      ev.submit('u', { deps: ['t.0'] }),
      { type: 'objectFailed', objectId: 'c1', error: { ...boom, code: 'ERR_ACTOR_DIED' } },
    ]);
    expect(out[4]).toEqual(['fail t<c1:ERR_ACTOR_DIED', 'fail u<c1:ERR_ACTOR_DIED']);
  });

  it('a released, stored external object is released everywhere; a task submitted after it failed fails at once', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), { type: 'objectPending', objectId: 'c1' }, ev.store('c1', 'w1'));
    expect(objectInfo(state, 'c1')?.state).toBe('ready');
    expect(send(ev.release('c1'))).toEqual(['release c1@w1']);
    send({ type: 'objectPending', objectId: 'c2' }, { type: 'objectFailed', objectId: 'c2', error: boom });
    expect(send(ev.submit('t', { deps: ['c2'] }))).toEqual(['fail t<c2:boom']);
  });

  it('objectFailed leaves task outputs alone (only the producer decides those)', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.submit('a'));
    expect(send({ type: 'objectFailed', objectId: 'a.0', error: boom })).toEqual([]);
    expect(objectInfo(state, 'a.0')?.state).toBe('pending');
  });

  it("a task's own killedWorkersLimit overrides the config's (an actor restarts maxRestarts times)", () => {
    const spec = { ...task('actor'), maxRetries: 5, killedWorkersLimit: 6 };
    const { send } = scheduler({ killedWorkersLimit: 3 });
    send(ev.join('w1'), { type: 'taskSubmitted', task: spec });
    const runs: string[] = [];
    for (let i = 2; i <= 5; i++) runs.push(...send(ev.lost(`w${i - 1}`), ev.join(`w${i}`)));
    expect(runs).toEqual(['run actor@w2#2', 'run actor@w3#3', 'run actor@w4#4', 'run actor@w5#5']);
  });
});

describe('inline outputs live on the coordinator', () => {
  it('a finished task whose output came inline is not remade when its worker is lost', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.join('w2'), ev.submit('a'), { type: 'taskFinished', taskId: 'a', workerId: 'w1', sizes: [8], durationMs: 100, inline: [true] });
    expect(objectInfo(state, 'a.0')?.locations).toEqual([null]);
    expect(send(ev.lost('w1'))).toEqual([]);
    expect(objectInfo(state, 'a.0')?.state).toBe('ready');
  });

  it('without the flag, the output is on the worker and is remade from lineage', () => {
    const { send } = scheduler();
    send(ev.join('w1'), ev.join('w2'), ev.submit('a'), ev.finish('a', 'w1'), ev.submit('b', { deps: ['a.0'] }));
    expect(send(ev.lost('w1'))).toContain('remake a:a.0');
  });
});
