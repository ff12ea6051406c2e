import { describe, expect, it } from 'vitest';
import { explainPending, taskInfo, workerLoad } from './queries.ts';
import { ev, run, scheduler } from './testTable.ts';

const MiB = 1024 * 1024;

// Defaults: localityMinBytes 1 MiB, transferBytesPerMs 15,000 (2 MiB moves in ~140 ms, 20 MiB in ~1,398 ms),
// and a group with no finished runs is priced at 500 ms a run.
describe('locality: placement by where the inputs are', () => {
  it.each([
    {
      name: 'a task with a large input runs on its holder, not on the least loaded worker',
      events: [ev.join('w1'), ev.join('w2'), ev.store('p', 'w2', 2 * MiB), ev.submit('t', { deps: ['p'] })],
      want: [[], [], [], ['run t@w2#1']],
    },
    {
      name: 'small inputs keep plain least-loaded placement',
      events: [ev.join('w1'), ev.join('w2'), ev.store('p', 'w2', 8), ev.submit('t', { deps: ['p'] })],
      want: [[], [], [], ['run t@w1#1']],
    },
    {
      name: 'inputs on the coordinator do not pull a task anywhere',
      events: [ev.join('w1'), ev.join('w2'), ev.store('p', null, 20 * MiB), ev.submit('t', { deps: ['p'] })],
      want: [[], [], [], ['run t@w1#1']],
    },
    {
      name: 'balance is kept when the holder is busy and the inputs are small',
      events: [ev.join('w1'), ev.join('w2'), ev.submit('a'), ev.store('p', 'w1', 8), ev.submit('t', { deps: ['p'] })],
      want: [[], [], ['run a@w1#1'], [], ['run t@w2#1']],
    },
    {
      name: 'holder busy, moving 2 MiB (~140 ms) beats waiting a run (500 ms): it goes elsewhere',
      events: [ev.join('w1'), ev.join('w2'), ev.submit('a'), ev.store('p', 'w1', 2 * MiB), ev.submit('t', { deps: ['p'] })],
      want: [[], [], ['run a@w1#1'], [], ['run t@w2#1']],
    },
    {
      name: 'holder busy, moving 20 MiB (~1.4 s) costs more than waiting: it waits, then runs there',
      events: [
        ev.join('w1'),
        ev.join('w2'),
        ev.submit('a'),
        ev.store('p', 'w1', 20 * MiB),
        ev.submit('t', { deps: ['p'] }),
        ev.submit('c'),
        ev.finish('a', 'w1'),
      ],
      want: [[], [], ['run a@w1#1'], [], [], ['run c@w2#1'], ['run t@w1#1']],
    },
    {
      name: "the wait is priced from the group's average run: 2 s runs make moving 20 MiB cheaper",
      events: [
        ev.join('w1'),
        ev.join('w2'),
        ev.submit('a0'),
        ev.finish('a0', 'w1', 2000),
        ev.submit('a'),
        ev.store('p', 'w1', 20 * MiB),
        ev.submit('t', { deps: ['p'] }),
      ],
      want: [[], [], ['run a0@w1#1'], [], ['run a@w1#1'], [], ['run t@w2#1']],
    },
    {
      name: 'of two holders, the one with room now wins',
      events: [ev.join('w1'), ev.join('w2'), ev.submit('a'), ev.store('p', 'w1', 20 * MiB), ev.store('p', 'w2', 20 * MiB), ev.submit('t', { deps: ['p'] })],
      want: [[], [], ['run a@w1#1'], [], [], ['run t@w2#1']],
    },
    {
      name: 'the holder of the most input bytes wins',
      events: [
        ev.join('w1'),
        ev.join('w2'),
        ev.store('p', 'w1', 2 * MiB),
        ev.store('q', 'w2', 3 * MiB),
        ev.submit('t', { deps: ['p', 'q'] }),
      ],
      want: [[], [], [], [], ['run t@w2#1']],
    },
    {
      name: 'a holder whose whole offer does not fit the task is passed over',
      events: [ev.join('w1', { cpu: 1, gpu: 1 }), ev.join('w2'), ev.store('p', 'w2', 20 * MiB), ev.submit('g', { deps: ['p'], resources: { gpu: 1 } })],
      want: [[], [], [], ['run g@w1#1']],
    },
  ])('$name', ({ events, want }) => {
    expect(run(events)).toEqual(want);
  });

  it('a big-input chain stays on its holder; the same chain with small outputs follows the load', () => {
    const chain = (bytes: number): string[] => {
      const { state, send } = scheduler();
      const where = (taskId: string): string => taskInfo(state, taskId)!.workerId!;
      send(ev.join('w2', { cpu: 4 }), ev.join('w1', { cpu: 1 }), ev.store('p', 'w1', bytes));
      const out = send(ev.submit('a', { deps: ['p'] }), ev.submit('b', { deps: ['a.0'] }), ev.submit('c', { deps: ['b.0'] }), ev.submit('x'));
      out.push(...send(ev.finish('a', where('a'), 10, [bytes])));
      out.push(...send(ev.finish('b', where('b'), 10, [bytes])));
      return out;
    };
    expect(chain(4 * MiB)).toEqual(['run a@w1#1', 'run x@w2#1', 'run b@w1#1', 'run c@w1#1']);
    expect(chain(8)).toEqual(['run a@w2#1', 'run x@w1#1', 'run b@w2#1', 'run c@w2#1']);
  });

  it('tasks waiting for a holder run there by priority as it frees room, ahead of the plain queue', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.join('w2'), ev.submit('a'), ev.submit('b'), ev.store('p', 'w1', 20 * MiB));
    expect(send(ev.submit('t1', { deps: ['p'] }), ev.submit('t2', { deps: ['p'], priority: 5 }), ev.submit('plain', { priority: 9 }))).toEqual([]);
    expect(explainPending(state, 't1')).toBe('waiting for worker w1, which holds 20.0 MiB of its inputs');
    expect(taskInfo(state, 't2')).toMatchObject({ state: 'ready', workerId: null });
    expect(send(ev.finish('a', 'w1'))).toEqual(['run t2@w1#1']);
    expect(send(ev.finish('b', 'w2'))).toEqual(['run plain@w2#1']);
    expect(send(ev.finish('t2', 'w1'))).toEqual(['run t1@w1#1']);
    expect(state.affinityTasks).toBe(0);
  });

  it('priority still orders a task placed by locality against the plain queue', () => {
    const { send } = scheduler();
    send(ev.join('w1'), ev.submit('a'), ev.submit('hi', { priority: 5 }), ev.submit('t', { deps: ['a.0'] }));
    // a's 4 MiB output makes t want w1, but hi comes first; then t waits for w1 (~100 ms) rather than move 4 MiB (~280 ms).
    expect(send(ev.finish('a', 'w1', 100, [4 * MiB]))).toEqual(['run hi@w1#1']);
    expect(send(ev.finish('hi', 'w1'))).toEqual(['run t@w1#1']);
  });

  it('a cancelled task leaves its holder queue', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.join('w2'), ev.submit('a'), ev.submit('b'), ev.store('p', 'w1', 20 * MiB), ev.submit('t', { deps: ['p'] }));
    expect(send(ev.cancel('t'))).toEqual(['fail t:ERR_CANCELLED']);
    expect([state.affinityTasks, state.counts.ready, workerLoad(state, 'w1')?.assigned]).toEqual([0, 0, 1]);
    expect(send(ev.finish('a', 'w1'))).toEqual([]);
  });

  it('a task stuck behind a cancelled one at the head of its holder queue runs once it is gone', () => {
    const { send } = scheduler();
    send(ev.join('w1', { cpu: 1, gpu: 1 }), ev.join('w2'), ev.store('p', 'w1', 20 * MiB));
    send(ev.submit('g0', { resources: { cpu: 0, gpu: 1 } }), ev.submit('a'), ev.submit('b'));
    expect(send(ev.submit('gT', { deps: ['p'], priority: 5, resources: { cpu: 0, gpu: 1 } }), ev.submit('cT', { deps: ['p'] }))).toEqual([]);
    expect(send(ev.finish('a', 'w1'))).toEqual([]); // cpu is free on w1, but gT (waiting for the gpu) is ahead of cT
    expect(send(ev.cancel('gT'))).toEqual(['fail gT:ERR_CANCELLED', 'run cT@w1#1']);
  });

  it('holder lost while a task waits for it: the task is placed elsewhere, not stuck', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.join('w2', { cpu: 2 }), ev.submit('a'), ev.store('p', 'w1', 20 * MiB), ev.store('p', null, 20 * MiB));
    expect(send(ev.submit('t', { deps: ['p'] }))).toEqual([]); // w1 holds p and is busy: t waits for it
    expect(send(ev.lost('w1'))).toEqual(['run a@w2#2', 'run t@w2#1']); // p is still on the coordinator
    expect(state.affinityTasks).toBe(0);
  });

  it('holder lost with the only copy: the input is lost and the waiting task fails', () => {
    const { send } = scheduler();
    send(ev.join('w1'), ev.join('w2'), ev.submit('a'), ev.store('p', 'w1', 20 * MiB), ev.submit('t', { deps: ['p'] }), ev.submit('u', { deps: ['t.0'] }));
    expect(send(ev.lost('w1'))).toEqual(['lost p', 'fail t:ERR_OBJECT_LOST', 'fail u<t:ERR_OBJECT_LOST', 'run a@w2#2']);
  });

  it('the holder drops its copy while a task waits: priced again, it goes where there is room', () => {
    const { send } = scheduler();
    send(ev.join('w1'), ev.join('w2'), ev.submit('a'), ev.store('p', 'w1', 20 * MiB), ev.store('p', null, 20 * MiB), ev.submit('t', { deps: ['p'] }));
    expect(send(ev.drop('p', 'w1'))).toEqual(['run t@w2#1']);
  });

  it('a deeper pipeline lets a waiting task onto its holder', () => {
    const { send } = scheduler();
    send(ev.join('w1'), ev.join('w2'), ev.submit('a', { group: 'g' }), ev.submit('b', { group: 'g' }), ev.store('p', 'w1', 20 * MiB));
    expect(send(ev.submit('t', { group: 'g', deps: ['p'] }))).toEqual([]);
    // b's 0.5 ms run deepens group g to 5: w1 may hold 5 in flight, so t joins a there.
    expect(send(ev.finish('b', 'w2', 0.5))).toEqual(['run t@w1#1']);
  });

  it('localityMinBytes Infinity turns locality off', () => {
    const out = run([ev.join('w1'), ev.join('w2'), ev.store('p', 'w2', 100 * MiB), ev.submit('t', { deps: ['p'] })], { localityMinBytes: Infinity });
    expect(out.flat()).toEqual(['run t@w1#1']);
  });

  it('a lower localityMinBytes and a slower network make smaller inputs count', () => {
    const events = [ev.join('w1'), ev.join('w2'), ev.submit('a'), ev.store('p', 'w1', 100_000), ev.submit('t', { deps: ['p'] })];
    expect(run(events).flat()).toEqual(['run a@w1#1', 'run t@w2#1']);
    // 100 kB at 100 B/ms is 1 s to move, more than a 500 ms run: t waits for w1.
    expect(run(events, { localityMinBytes: 50_000, transferBytesPerMs: 100 }).flat()).toEqual(['run a@w1#1']);
  });
});
