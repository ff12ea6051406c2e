import { describe, expect, it } from 'vitest';
import { createState } from './state.ts';
import { step } from './step.ts';
import { explainPending, objectInfo } from './queries.ts';
import { ev, run, scheduler, show, task } from './testTable.ts';

describe('step: the worked example and dependencies', () => {
  it('runs the worked example from state.ts, event by event', () => {
    const { state, send } = scheduler();
    expect(send(ev.join('w1'))).toEqual([]);
    expect(send(ev.submit('a'))).toEqual(['run a@w1#1']);
    expect(send(ev.submit('b', { deps: ['a.0'] }))).toEqual([]);
    expect(send(ev.release('a.0'))).toEqual([]);
    expect(send(ev.finish('a', 'w1', 5))).toEqual(['run b@w1#1']);
    expect(state.groups.get('f')).toMatchObject({ avgMs: 5, depth: 1 });
    expect(send(ev.finish('b', 'w1', 5))).toEqual(['release a.0@w1']);
    expect(send(ev.release('b.0'))).toEqual(['release b.0@w1']);
    expect([state.tasks.size, state.objects.size]).toEqual([0, 0]);
    expect([...state.shapes.values()].map((shape) => shape.tasks.size)).toEqual([0]); // kept, empty, for the next task of group f
  });

  it('runs the locality example from state.ts', () => {
    const state = createState();
    const MiB = 1024 * 1024;
    for (const event of [ev.join('w1'), ev.join('w2'), ev.store('p', 'w1', 20 * MiB)]) expect(step(state, event)).toEqual([]);
    expect(step(state, ev.submit('x')).map(show)).toEqual(['run x@w1#1']);
    expect(step(state, ev.submit('t', { deps: ['p'] }))).toEqual([]);
    expect(explainPending(state, 't')).toBe('waiting for worker w1, which holds 20.0 MiB of its inputs');
    expect(step(state, ev.finish('x', 'w1'))).toEqual([
      { type: 'runTask', taskId: 't', workerId: 'w1', attempt: 1, inputs: [{ objectId: 'p', size: 20 * MiB, locations: ['w1'] }] },
    ]);
    expect(step(state, ev.drop('p', 'w1'))).toEqual([{ type: 'objectLost', objectId: 'p' }]);
    expect(objectInfo(state, 'p')).toEqual({ state: 'lost', size: 20 * MiB, locations: [], consumers: 1, held: true });
    expect(step(state, ev.submit('u', { deps: ['p'] })).map(show)).toEqual(['fail u:ERR_OBJECT_LOST']);
  });

  it.each([
    {
      name: 'a task waits for every input',
      events: [ev.join('w1', { cpu: 4 }), ev.submit('a'), ev.submit('b'), ev.submit('c', { deps: ['a.0', 'b.0'] }), ev.finish('a', 'w1'), ev.finish('b', 'w1')],
      want: [[], ['run a@w1#1'], ['run b@w1#1'], [], [], ['run c@w1#1']],
    },
    {
      name: 'inputs already ready do not hold a task',
      events: [ev.join('w1'), ev.submit('a'), ev.finish('a', 'w1'), ev.submit('b', { deps: ['a.0'] })],
      want: [[], ['run a@w1#1'], [], ['run b@w1#1']],
    },
    {
      name: 'an unknown input is created pending and may be stored later',
      events: [ev.join('w1'), ev.submit('a', { deps: ['p'] }), ev.store('p', null)],
      want: [[], [], ['run a@w1#1']],
    },
    {
      name: 'a task with several outputs readies each of them',
      events: [
        ev.join('w1', { cpu: 2 }),
        ev.submit('a', { outputs: ['a.0', 'a.1'] }),
        ev.submit('b', { deps: ['a.1'] }),
        ev.finish('a', 'w1', 100, [1, 2]),
      ],
      want: [[], ['run a@w1#1'], [], ['run b@w1#1']],
    },
    {
      name: 'tasks wait for workers, then fill them',
      events: [ev.submit('a'), ev.submit('b'), ev.submit('c'), ev.join('w1', { cpu: 2 })],
      want: [[], [], [], ['run a@w1#1', 'run b@w1#1']],
    },
    {
      name: 'a duplicate submission is ignored',
      events: [ev.join('w1', { cpu: 2 }), ev.submit('a'), ev.submit('a')],
      want: [[], ['run a@w1#1'], []],
    },
  ])('$name', ({ events, want }) => {
    expect(run(events)).toEqual(want);
  });
});

describe('step: priorities', () => {
  it.each([
    {
      name: 'higher priority first, ties in submission order',
      events: [
        ev.submit('low1', { priority: 0 }),
        ev.submit('high1', { priority: 5 }),
        ev.submit('low2', { priority: 0 }),
        ev.submit('high2', { priority: 5 }),
        ev.submit('mid', { priority: 1 }),
        ev.join('w1', { cpu: 5 }),
      ],
      want: ['run high1@w1#1', 'run high2@w1#1', 'run mid@w1#1', 'run low1@w1#1', 'run low2@w1#1'],
    },
    {
      name: 'negative priorities run last',
      events: [ev.submit('neg', { priority: -1 }), ev.submit('zero'), ev.join('w1', { cpu: 2 })],
      want: ['run zero@w1#1', 'run neg@w1#1'],
    },
    {
      name: 'a retried task goes ahead of everything of its priority, not of higher ones',
      events: [
        ev.join('w1'),
        ev.submit('a', { retryExceptions: true }),
        ev.submit('b'),
        ev.submit('hi', { priority: 1 }),
        ev.fail('a', 'w1'),
        ev.finish('hi', 'w1'),
      ],
      want: ['run a@w1#1', 'run hi@w1#1', 'run a@w1#2'],
    },
  ])('$name', ({ events, want }) => {
    expect(run(events).flat()).toEqual(want);
  });

  it('a task that becomes ready later still runs before queued lower-priority ones', () => {
    const { send } = scheduler();
    send(ev.join('w1'), ev.submit('gate'), ev.submit('low1'), ev.submit('low2'), ev.submit('urgent', { deps: ['gate.0'], priority: 9 }));
    expect(send(ev.finish('gate', 'w1'))).toEqual(['run urgent@w1#1']);
    expect(send(ev.finish('urgent', 'w1'))).toEqual(['run low1@w1#1']);
  });
});

describe('step: reports that must be ignored', () => {
  it.each([
    { name: 'finished from a worker that does not own the run', event: ev.finish('a', 'w2') },
    { name: 'failed from a worker that does not own the run', event: ev.fail('a', 'w2') },
    { name: 'blocked from a worker that does not own the run', event: ev.block('a', 'w2') },
    { name: 'finished for an unknown task', event: ev.finish('zzz', 'w1') },
    { name: 'failed for an unknown task', event: ev.fail('zzz', 'w1') },
    { name: 'cancel of an unknown task', event: ev.cancel('zzz') },
    { name: 'release of an unknown object', event: ev.release('zzz') },
    { name: 'loss of an unknown worker', event: ev.lost('w9') },
    { name: 'a second join of a present worker', event: ev.join('w1', { cpu: 99 }) },
  ])('$name gives no commands and changes nothing', ({ event }) => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.join('w2'), ev.submit('a'), ev.submit('b'), ev.submit('c'));
    const before = JSON.stringify([...state.tasks.values()].map((t) => [t.spec.taskId, t.state, t.worker?.workerId, t.attempts]));
    expect(send(event)).toEqual([]);
    expect(JSON.stringify([...state.tasks.values()].map((t) => [t.spec.taskId, t.state, t.worker?.workerId, t.attempts]))).toBe(before);
    expect(state.workers.get('w1')!.offer.cpu).toBe(1);
  });

  it('a late reply about a finished task, or from a lost worker after a retry, is ignored', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.submit('a'));
    expect(send(ev.lost('w1'), ev.join('w2'))).toEqual(['run a@w2#2']);
    expect(send(ev.finish('a', 'w1'))).toEqual([]);
    expect(state.tasks.get('a')?.state).toBe('running');
    expect(send(ev.finish('a', 'w2'))).toEqual([]);
    expect(send(ev.finish('a', 'w2'), ev.fail('a', 'w2'))).toEqual([]);
    expect(state.tasks.has('a')).toBe(false);
  });
});

describe('step: memory stays flat', () => {
  it('forgets every task and object once they are done and released', () => {
    const state = createState();
    for (let w = 0; w < 8; w++) step(state, ev.join(`w${w}`, { cpu: 2 }));
    const running: Array<{ taskId: string; workerId: string }> = [];
    const collect = (commands: ReturnType<typeof step>) => {
      for (const command of commands) if (command.type === 'runTask') running.push(command);
    };
    let released = 0;
    const collectReleases = (commands: ReturnType<typeof step>) => {
      released += commands.filter((command) => command.type === 'releaseObject').length;
    };
    const CHAINS = 200;
    const LENGTH = 10;
    for (let c = 0; c < CHAINS; c++) {
      for (let i = 0; i < LENGTH; i++) {
        const id = `c${c}t${i}`;
        collect(step(state, { type: 'taskSubmitted', task: task(id, { deps: i === 0 ? [] : [`c${c}t${i - 1}.0`] }) }));
        collectReleases(step(state, ev.release(`${id}.0`)));
      }
    }
    expect(state.tasks.size).toBe(CHAINS * LENGTH);
    while (running.length > 0) {
      const { taskId, workerId } = running.shift()!;
      const commands = step(state, ev.finish(taskId, workerId, 1));
      collect(commands);
      collectReleases(commands);
    }
    expect(released).toBe(CHAINS * LENGTH);
    expect([state.tasks.size, state.objects.size, state.shapes.size, state.runnable.size, state.blocked.size]).toEqual([0, 0, 1, 0, 0]);
    expect(state.counts).toEqual({ waiting: 0, ready: 0, running: 0 });
    for (const worker of state.workers.values()) {
      expect([worker.assigned, worker.cpuInFlight, worker.blockedCount]).toEqual([0, 0, 0]);
    }
  });

  it('keeps at most a bounded number of empty shapes', () => {
    const { state, send } = scheduler();
    send(ev.join('w1', { cpu: 1, memory: 1_000_000 }));
    for (let i = 0; i < 600; i++) {
      send(ev.submit(`m${i}`, { resources: { memory: i + 1 } }), ev.finish(`m${i}`, 'w1'), ev.release(`m${i}.0`));
    }
    expect(state.shapes.size).toBeLessThanOrEqual(256);
    expect([state.tasks.size, state.objects.size]).toEqual([0, 0]);
  });

  it('a retried task whose shape was swept gets a new one and still runs', () => {
    const { state, send } = scheduler();
    send(ev.join('w1', { cpu: 2, memory: 1_000_000 }), ev.submit('long', { resources: { memory: 5 } }));
    for (let i = 0; i < 300; i++) send(ev.submit(`m${i}`, { resources: { memory: 10 + i } }), ev.finish(`m${i}`, 'w1'), ev.release(`m${i}.0`));
    expect(send(ev.lost('w1'), ev.join('w2', { cpu: 1, memory: 10 }))).toEqual(['run long@w2#2']);
    expect(state.counts).toEqual({ waiting: 0, ready: 0, running: 1 });
  });
});
