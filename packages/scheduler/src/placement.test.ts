import { describe, expect, it } from 'vitest';
import { workerLoad } from './queries.ts';
import { ev, run, scheduler } from './testTable.ts';

describe('placement: resources', () => {
  it.each([
    {
      name: 'a gpu task goes to the worker with a gpu, cpu tasks to the least loaded',
      events: [ev.join('cpu1', { cpu: 4 }), ev.join('gpu1', { cpu: 4, gpu: 1 }), ev.submit('g', { resources: { gpu: 1 } }), ev.submit('c')],
      want: [[], [], ['run g@gpu1#1'], ['run c@cpu1#1']],
    },
    {
      name: 'gpu tasks go to a real GPU before a software (fallback) adapter, which takes them when the real one is busy',
      events: [
        { ...ev.join('swift', { cpu: 4, gpu: 1 }), gpuFallback: true },
        ev.join('real', { cpu: 4, gpu: 1 }),
        ev.submit('g1', { resources: { gpu: 1 } }),
        ev.submit('g2', { resources: { gpu: 1 } }),
        ev.submit('g3', { resources: { gpu: 1 } }),
      ],
      want: [[], [], ['run g1@real#1'], ['run g2@swift#1'], []],
    },
    {
      name: 'one gpu runs one gpu task at a time; the next waits for it',
      events: [
        ev.join('w1', { cpu: 4, gpu: 1 }),
        ev.submit('g1', { resources: { gpu: 1 } }),
        ev.submit('g2', { resources: { gpu: 1 } }),
        ev.finish('g1', 'w1'),
      ],
      want: [[], ['run g1@w1#1'], [], ['run g2@w1#1']],
    },
    {
      name: 'memory: free bytes must cover the demand',
      events: [
        ev.join('w1', { cpu: 4, memory: 1000 }),
        ev.submit('a', { resources: { memory: 600 } }),
        ev.submit('b', { resources: { memory: 600 } }),
        ev.submit('c', { resources: { memory: 400 } }),
        ev.finish('a', 'w1'),
      ],
      want: [[], ['run a@w1#1'], [], ['run c@w1#1'], ['run b@w1#1']],
    },
    {
      name: 'custom resources: only workers offering the key, within their amount',
      events: [
        ev.join('plain', { cpu: 4 }),
        ev.join('data', { cpu: 4, custom: { dataset: 2 } }),
        ev.submit('a', { resources: { custom: { dataset: 1 } } }),
        ev.submit('b', { resources: { custom: { dataset: 1 } } }),
        ev.submit('c', { resources: { custom: { dataset: 1 } } }),
        ev.finish('b', 'data'),
      ],
      want: [[], [], ['run a@data#1'], ['run b@data#1'], [], ['run c@data#1']],
    },
    {
      name: 'a task with cpu 0 is limited only by its other resources',
      events: [
        ev.join('w1', { cpu: 1, gpu: 2 }),
        ev.submit('busy'),
        ev.submit('g1', { resources: { cpu: 0, gpu: 1 } }),
        ev.submit('g2', { resources: { cpu: 0, gpu: 1 } }),
        ev.submit('g3', { resources: { cpu: 0, gpu: 1 } }),
      ],
      want: [[], ['run busy@w1#1'], ['run g1@w1#1'], ['run g2@w1#1'], []],
    },
    {
      name: 'a task needing 2 cpu waits until 2 are free on one worker',
      events: [ev.join('w1', { cpu: 2 }), ev.submit('a'), ev.submit('big', { resources: { cpu: 2 } }), ev.submit('b'), ev.finish('a', 'w1')],
      want: [[], ['run a@w1#1'], [], ['run b@w1#1'], []],
    },
  ])('$name', ({ events, want }) => {
    expect(run(events)).toEqual(want);
  });
});

describe('placement: least loaded and fair', () => {
  it('alternates consecutive tasks between equal workers', () => {
    const out = run([ev.join('w1', { cpu: 2 }), ev.join('w2', { cpu: 2 }), ...['a', 'b', 'c', 'd'].map((id) => ev.submit(id))]);
    expect(out.flat()).toEqual(['run a@w1#1', 'run b@w2#1', 'run c@w1#1', 'run d@w2#1']);
  });

  it('prefers the least loaded by share of cpu, ties to the earliest join', () => {
    const out = run([ev.join('small', { cpu: 1 }), ev.join('big', { cpu: 4 }), ...['a', 'b', 'c', 'd', 'e'].map((id) => ev.submit(id))]);
    // small: 0 → a (1/1); big: 0 → b (1/4), c (2/4), d (3/4), e (4/4).
    expect(out.flat()).toEqual(['run a@small#1', 'run b@big#1', 'run c@big#1', 'run d@big#1', 'run e@big#1']);
  });

  it('sends the next task to the worker that just freed room', () => {
    const { send } = scheduler();
    send(ev.join('w1'), ev.join('w2'), ev.submit('a'), ev.submit('b'), ev.submit('c'));
    expect(send(ev.finish('b', 'w2'))).toEqual(['run c@w2#1']);
  });
});

describe('placement: pipelining', () => {
  it('depth stays 1 until durations are known, then grows for short tasks', () => {
    const { state, send } = scheduler({ roundTripMs: 2 });
    send(ev.join('w1'));
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) send(ev.submit(id));
    expect(workerLoad(state, 'w1')).toEqual({ assigned: 1, blocked: 0, cpuInFlight: 1 });
    // 0.5 ms runs: depth 1 + floor(2 / 0.5) = 5, so the worker may hold 5 in flight.
    expect(send(ev.finish('a', 'w1', 0.5))).toEqual(['run b@w1#1', 'run c@w1#1', 'run d@w1#1', 'run e@w1#1', 'run f@w1#1']);
    expect(state.groups.get('f')?.depth).toBe(5);
  });

  it('stays 1 for long tasks', () => {
    const { state, send } = scheduler({ roundTripMs: 2 });
    send(ev.join('w1'), ev.submit('a'), ev.submit('b'), ev.submit('c'));
    expect(send(ev.finish('a', 'w1', 50))).toEqual(['run b@w1#1']);
    expect(state.groups.get('f')?.depth).toBe(1);
  });

  it('follows the EWMA (alpha 0.2) and is bounded by maxInFlightPerSlot', () => {
    const { state, send } = scheduler({ roundTripMs: 2, maxInFlightPerSlot: 3 });
    send(ev.join('w1', { cpu: 2 }), ev.submit('a'));
    send(ev.finish('a', 'w1', 0.1));
    expect(state.groups.get('f')).toMatchObject({ avgMs: 0.1, depth: 3 });
    send(ev.submit('b'), ev.finish('b', 'w1', 10.1));
    expect(state.groups.get('f')?.avgMs).toBeCloseTo(2.1); // 0.1 + 0.2 × (10.1 − 0.1)
    expect(state.groups.get('f')?.depth).toBe(1);
  });

  it('a deeper pipeline wakes a parked task that only lacked cpu room', () => {
    const { send } = scheduler();
    send(ev.join('w1', { cpu: 1, gpu: 1 }), ev.join('w2', { cpu: 1 }), ev.submit('long', { group: 'g' }), ev.submit('short', { group: 'g' }));
    // gpu needs w1's gpu (free) but w1's one cpu is taken at depth 1.
    expect(send(ev.submit('gpu', { group: 'g', resources: { gpu: 1 } }))).toEqual([]);
    // short's 0.5 ms run deepens group g to 5: w1 may now hold 5 cpu in flight.
    expect(send(ev.finish('short', 'w2', 0.5))).toEqual(['run gpu@w1#1']);
  });

  it('depth is per group: a short group pipelines, a long one does not', () => {
    const { send } = scheduler();
    send(ev.join('w1'), ev.submit('s0', { group: 'short' }), ev.finish('s0', 'w1', 0.5));
    send(ev.submit('l0', { group: 'long' }), ev.finish('l0', 'w1', 100));
    expect(send(ev.submit('l1', { group: 'long' }), ev.submit('l2', { group: 'long' }))).toEqual(['run l1@w1#1']);
    expect(send(ev.submit('s1', { group: 'short' }), ev.submit('s2', { group: 'short' }))).toEqual(['run s1@w1#1', 'run s2@w1#1']);
  });

  it('prefetch: a long task may wait on its worker behind a running one (its inputs are fetched meanwhile), one deep', () => {
    const { state, send } = scheduler({ roundTripMs: 2 });
    send(ev.join('w1'), ev.join('w2'));
    expect(send(...['a', 'b', 'c', 'd', 'e'].map((id) => ev.submit(id, { prefetch: true })))).toEqual(['run a@w1#1', 'run b@w2#1', 'run c@w1#1', 'run d@w2#1']);
    expect(workerLoad(state, 'w1')).toEqual({ assigned: 2, blocked: 0, cpuInFlight: 2 });
    // Long runs keep the group at depth 1; the prefetch shape stays at 2.
    expect(send(ev.finish('a', 'w1', 500))).toEqual(['run e@w1#1']);
    expect(state.groups.get('f')?.depth).toBe(1);
    // The same function's tasks without prefetch still wait for a free slot.
    expect(send(ev.submit('plain'))).toEqual([]);
    expect(send(ev.finish('b', 'w2', 500))).toEqual([]); // w2 still runs d
    expect(send(ev.finish('d', 'w2', 500))).toEqual(['run plain@w2#1']);
  });

  it('prefetch does not make a pipeline shallower than its group\'s', () => {
    const { send } = scheduler({ roundTripMs: 2 });
    send(ev.join('w1'), ev.submit('s0'), ev.finish('s0', 'w1', 0.5)); // group f: depth 5
    expect(send(...['a', 'b', 'c', 'd', 'e', 'f'].map((id) => ev.submit(id, { prefetch: true })))).toEqual(['run a@w1#1', 'run b@w1#1', 'run c@w1#1', 'run d@w1#1', 'run e@w1#1']);
  });
});

describe('placement: infeasible tasks', () => {
  it('reports once, keeps the task queued, and runs it when a fitting worker joins', () => {
    const { state, send } = scheduler();
    expect(send(ev.join('w1', { cpu: 4 }))).toEqual([]);
    expect(send(ev.submit('g', { resources: { gpu: 1 } }))).toEqual(['infeasible g: needs gpu 1, but no worker offers more than gpu 0']);
    expect(send(ev.join('w2', { cpu: 2 }), ev.submit('c'))).toEqual(['run c@w1#1']);
    expect(state.counts.ready).toBe(1);
    expect(send(ev.join('gpu', { cpu: 1, gpu: 1 }))).toEqual(['run g@gpu#1']);
  });

  it('does not block feasible tasks of lower priority behind it', () => {
    const { send } = scheduler();
    send(ev.join('w1', { cpu: 2 }));
    expect(send(ev.submit('x', { priority: 9, resources: { custom: { tpu: 1 } } }), ev.submit('a'), ev.submit('b'), ev.submit('c'))).toEqual([
      'infeasible x: needs tpu 1, but no worker offers more than tpu 0',
      'run a@w1#1',
      'run b@w1#1',
    ]);
    expect(send(ev.finish('a', 'w1'))).toEqual(['run c@w1#1']);
  });

  it('a busy gpu does not hold up cpu tasks', () => {
    const { send } = scheduler();
    send(ev.join('w1', { cpu: 4, gpu: 1 }), ev.submit('g1', { resources: { gpu: 1 } }));
    expect(send(ev.submit('g2', { priority: 1, resources: { gpu: 1 } }), ev.submit('c1'))).toEqual(['run c1@w1#1']);
    expect(send(ev.finish('g1', 'w1'))).toEqual(['run g2@w1#1']);
  });

  it('says nothing while there are no workers, and reports when the first worker does not fit', () => {
    const { send } = scheduler();
    expect(send(ev.submit('g', { resources: { gpu: 1 } }), ev.submit('h', { resources: { gpu: 2 } }))).toEqual([]);
    expect(send(ev.join('w1', { cpu: 1, gpu: 1 }))).toEqual(['infeasible h: needs gpu 2, but no worker offers more than gpu 1', 'run g@w1#1']);
  });

  it('reports again-queued tasks when the last worker that fits them leaves', () => {
    const { send } = scheduler();
    send(ev.join('cpu', { cpu: 1 }), ev.join('gpu', { cpu: 1, gpu: 1 }), ev.submit('g1', { resources: { gpu: 1 } }), ev.submit('g2', { resources: { gpu: 1 } }));
    expect(send(ev.lost('gpu'))).toEqual([
      'infeasible g2: needs gpu 1, but no worker offers more than gpu 0',
      'infeasible g1: needs gpu 1, but no worker offers more than gpu 0',
    ]);
    expect(send(ev.join('gpu2', { cpu: 1, gpu: 1 }))).toEqual(['run g1@gpu2#2']);
  });

  it('names every missing resource, or says they are never offered together', () => {
    const { send } = scheduler();
    send(ev.join('w1', { cpu: 1, memory: 100 }));
    expect(send(ev.submit('a', { resources: { cpu: 2, memory: 200 } }))).toEqual([
      'infeasible a: needs cpu 2, but no worker offers more than cpu 1; needs memory 200, but no worker offers more than memory 100',
    ]);
    send(ev.join('w2', { cpu: 1, gpu: 1 }));
    expect(send(ev.submit('b', { resources: { gpu: 1, memory: 50 } }))).toEqual([
      'infeasible b: needs cpu 1, gpu 1, memory 50 on one worker, but no worker offers all of that together',
    ]);
  });
});

describe('placement: blocking lends the slot', () => {
  it('a 1-slot worker runs a nested task while its parent is blocked (no deadlock)', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.submit('parent'));
    expect(send(ev.submit('child'))).toEqual([]);
    expect(send(ev.block('parent', 'w1'))).toEqual(['run child@w1#1']);
    expect(workerLoad(state, 'w1')).toEqual({ assigned: 2, blocked: 1, cpuInFlight: 1 });
    expect(send(ev.finish('child', 'w1'))).toEqual([]);
    expect(send(ev.unblock('parent', 'w1'))).toEqual([]);
    expect(workerLoad(state, 'w1')).toEqual({ assigned: 1, blocked: 0, cpuInFlight: 1 });
  });

  it('unblocking may exceed capacity briefly; nothing more is placed until it drops', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.submit('parent'), ev.block('parent', 'w1'), ev.submit('child'), ev.submit('other'));
    expect(send(ev.unblock('parent', 'w1'))).toEqual([]);
    expect(workerLoad(state, 'w1')?.cpuInFlight).toBe(2);
    expect(send(ev.finish('child', 'w1'))).toEqual([]);
    expect(send(ev.finish('parent', 'w1'))).toEqual(['run other@w1#1']);
  });

  it('is idempotent', () => {
    const { state, send } = scheduler();
    send(ev.join('w1', { cpu: 2 }), ev.submit('a'));
    send(ev.block('a', 'w1'), ev.block('a', 'w1'));
    expect(workerLoad(state, 'w1')).toEqual({ assigned: 1, blocked: 1, cpuInFlight: 0 });
    send(ev.unblock('a', 'w1'), ev.unblock('a', 'w1'));
    expect(workerLoad(state, 'w1')).toEqual({ assigned: 1, blocked: 0, cpuInFlight: 1 });
  });

  it('a blocked task that finishes frees nothing twice', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.submit('a'), ev.block('a', 'w1'), ev.finish('a', 'w1'));
    expect(workerLoad(state, 'w1')).toEqual({ assigned: 0, blocked: 0, cpuInFlight: 0 });
  });
});
