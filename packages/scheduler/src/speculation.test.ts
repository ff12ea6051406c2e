import { describe, expect, it } from 'vitest';
import { runsOf } from './runs.ts';
import { findStragglers, median, type GroupTimes } from './speculation.ts';
import { createState } from './state.ts';
import { step } from './step.ts';
import { taskInfo, workerLoad } from './queries.ts';
import { ev, show, task, type TaskOptions } from './testTable.ts';
import type { SchedulerEvent } from './types.ts';

const straggle = (taskId: string): SchedulerEvent => ({ type: 'taskStraggling', taskId });
const spec = (taskId: string, extra: { speculative?: boolean; verify?: number }, options: TaskOptions = {}): SchedulerEvent => ({
  type: 'taskSubmitted',
  task: { ...task(taskId, options), ...extra },
});
const submitS = (taskId: string) => spec(taskId, { speculative: true });
const submitV = (taskId: string, n = 2) => spec(taskId, { verify: n });

/** Runs the events; answers each one's rendered commands, and every worker's load at the end. */
function table(events: SchedulerEvent[]) {
  const state = createState();
  const commands = events.map((event) => step(state, event).map(show).filter((line) => !line.startsWith('release')));
  const loads = Object.fromEntries([...state.workers.keys()].map((id) => [id, workerLoad(state, id)!.assigned]));
  return { state, commands, loads };
}

const three = [ev.join('w1'), ev.join('w2'), ev.join('w3')];

describe('findStragglers: the policy (pure)', () => {
  it.each<{ name: string; group: GroupTimes; want: string[] }>([
    {
      name: 'the worked example from speculation.ts',
      group: { submitted: 8, finished: [10, 10, 12, 12, 14, 90], running: [{ taskId: 't7', elapsedMs: 150 }, { taskId: 't8', elapsedMs: 40 }] },
      want: ['t7'],
    },
    { name: 'too few finished (below the 0.75 quantile)', group: { submitted: 8, finished: [10, 10, 10, 10, 10], running: [{ taskId: 't', elapsedMs: 5000 }] }, want: [] },
    { name: 'nothing finished yet', group: { submitted: 1, finished: [], running: [{ taskId: 't', elapsedMs: 5000 }] }, want: [] },
    {
      name: 'past 1.5 × the median when that is above the minimum, longest first',
      group: { submitted: 4, finished: [200, 300, 400], running: [{ taskId: 'a', elapsedMs: 460 }, { taskId: 'b', elapsedMs: 900 }, { taskId: 'c', elapsedMs: 440 }] },
      want: ['b', 'a'],
    },
    { name: 'never below the 100 ms minimum', group: { submitted: 4, finished: [1, 1, 1], running: [{ taskId: 'a', elapsedMs: 99 }] }, want: [] },
  ])('$name', ({ group, want }) => {
    expect(findStragglers(group)).toEqual(want);
  });

  it('takes the median of odd and even counts', () => {
    expect([median([3, 1, 2]), median([4, 1, 3, 2]), median([])]).toEqual([2, 2.5, Number.NaN]);
  });
});

describe('speculation: a straggler gets a copy; the first to finish wins', () => {
  it.each<{ name: string; events: SchedulerEvent[]; want: string[][]; loads: Record<string, number> }>([
    {
      name: 'the copy finishes first: the original is force-cancelled',
      events: [...three, submitS('a'), straggle('a'), ev.finish('a', 'w2'), ev.finish('a', 'w1')],
      want: [[], [], [], ['run a@w1#1'], ['run a@w2#1'], ['cancel! a@w1'], []],
      loads: { w1: 0, w2: 0, w3: 0 },
    },
    {
      name: 'the original finishes first: the copy is force-cancelled, its late reply ignored',
      events: [...three, submitS('a'), straggle('a'), ev.finish('a', 'w1'), ev.fail('a', 'w2', 'cancelled')],
      want: [[], [], [], ['run a@w1#1'], ['run a@w2#1'], ['cancel! a@w2'], []],
      loads: { w1: 0, w2: 0, w3: 0 },
    },
    {
      name: 'the copy goes to the least-loaded other worker',
      events: [...three, submitS('a'), ev.submit('b'), straggle('a'), straggle('a')],
      want: [[], [], [], ['run a@w1#1'], ['run b@w2#1'], ['run a@w3#1'], []],
      loads: { w1: 1, w2: 1, w3: 1 },
    },
    {
      name: 'no other worker has room: nothing now, a copy when asked again later',
      events: [ev.join('w1'), ev.join('w2'), submitS('a'), ev.submit('b'), straggle('a'), ev.finish('b', 'w2'), straggle('a')],
      want: [[], [], ['run a@w1#1'], ['run b@w2#1'], [], [], ['run a@w2#1']],
      loads: { w1: 1, w2: 1 },
    },
    {
      name: 'a lone worker: never a copy on the same worker',
      events: [ev.join('w1', { cpu: 4 }), submitS('a'), straggle('a')],
      want: [[], ['run a@w1#1'], []],
      loads: { w1: 1 },
    },
    {
      name: "the original's worker is lost: the copy carries on, nothing retried",
      events: [...three, submitS('a'), straggle('a'), ev.lost('w1'), ev.finish('a', 'w2')],
      want: [[], [], [], ['run a@w1#1'], ['run a@w2#1'], [], []],
      loads: { w2: 0, w3: 0 },
    },
    {
      name: "the copy's worker is lost: the original carries on",
      events: [...three, submitS('a'), straggle('a'), ev.lost('w2'), ev.finish('a', 'w1')],
      want: [[], [], [], ['run a@w1#1'], ['run a@w2#1'], [], []],
      loads: { w1: 0, w3: 0 },
    },
    {
      name: 'one run fails: the other carries on; when it fails too, the task fails',
      events: [...three, submitS('a'), straggle('a'), ev.fail('a', 'w1'), ev.fail('a', 'w2')],
      want: [[], [], [], ['run a@w1#1'], ['run a@w2#1'], [], ['fail a:boom']],
      loads: { w1: 0, w2: 0, w3: 0 },
    },
    {
      name: 'a user cancel stops both runs',
      events: [...three, submitS('a'), straggle('a'), ev.cancel('a', true), ev.fail('a', 'w2', 'cancelled'), ev.fail('a', 'w1', 'cancelled')],
      want: [[], [], [], ['run a@w1#1'], ['run a@w2#1'], ['cancel! a@w2', 'cancel! a@w1', 'fail a:ERR_CANCELLED'], [], []],
      loads: { w1: 0, w2: 0, w3: 0 },
    },
    {
      name: 'one copy at most; a blocked run is not speculated',
      events: [...three, submitS('a'), straggle('a'), straggle('a'), submitS('b'), ev.block('b', 'w3'), straggle('b')],
      want: [[], [], [], ['run a@w1#1'], ['run a@w2#1'], [], ['run b@w3#1'], [], []],
      loads: { w1: 1, w2: 1, w3: 1 },
    },
    {
      name: 'a finished or unknown task is not speculated',
      events: [...three, submitS('a'), ev.finish('a', 'w1'), straggle('a'), straggle('zz')],
      want: [[], [], [], ['run a@w1#1'], [], [], []],
      loads: { w1: 0, w2: 0, w3: 0 },
    },
  ])('$name', ({ events, want, loads }) => {
    const result = table(events);
    expect(result.commands).toEqual(want);
    expect(result.loads).toEqual(loads);
  });

  it('names both runs while they run, the primary first; its outputs are ready at the winner', () => {
    const state = createState();
    for (const event of [...three, submitS('a'), straggle('a')]) step(state, event);
    expect(runsOf(state, 'a')).toEqual(['w1', 'w2']);
    expect(taskInfo(state, 'a')).toMatchObject({ workerId: 'w1', attempts: 1 });
    step(state, ev.submit('b', { deps: ['a.0'] }));
    expect(step(state, ev.finish('a', 'w2')).map(show)).toEqual(['cancel! a@w1', 'run b@w1#1']);
    expect(runsOf(state, 'a')).toEqual([]);
  });
});

describe('verify: n runs on distinct workers, the last one finishes the task', () => {
  it.each<{ name: string; events: SchedulerEvent[]; want: string[][]; loads: Record<string, number> }>([
    {
      name: 'two runs are placed together; the first to finish is absorbed',
      events: [...three, submitV('a'), ev.finish('a', 'w2'), ev.finish('a', 'w1')],
      want: [[], [], [], ['run a@w1#1', 'run a@w2#1'], [], []],
      loads: { w1: 0, w2: 0, w3: 0 },
    },
    {
      name: 'verify: 3 takes three workers',
      events: [...three, submitV('a', 3), ev.finish('a', 'w1'), ev.finish('a', 'w3'), ev.finish('a', 'w2')],
      want: [[], [], [], ['run a@w1#1', 'run a@w2#1', 'run a@w3#1'], [], [], []],
      loads: { w1: 0, w2: 0, w3: 0 },
    },
    {
      name: 'one worker: reported infeasible once, it waits; a second worker starts both runs',
      events: [ev.join('w1', { cpu: 4 }), submitV('a'), ev.submit('b'), ev.join('w2'), ev.finish('a', 'w1'), ev.finish('a', 'w2')],
      want: [[], ['infeasible a: verify: 2 needs 2 distinct workers that can run it, and only 1 is present'], ['run b@w1#1'], ['run a@w2#1', 'run a@w1#1'], [], []],
      loads: { w1: 1, w2: 0 },
    },
    {
      name: 'the extra run ignores the cpu pipeline bound (it never waits for two free workers)',
      events: [ev.join('w1'), ev.join('w2'), ev.submit('x'), submitV('a'), ev.finish('a', 'w2'), ev.finish('a', 'w1')],
      want: [[], [], ['run x@w1#1'], ['run a@w2#1', 'run a@w1#1'], [], []],
      loads: { w1: 1, w2: 0 },
    },
    {
      name: 'a run fails: the other is cancelled and the task fails (no retry of exceptions)',
      events: [...three, submitV('a'), ev.fail('a', 'w2')],
      want: [[], [], [], ['run a@w1#1', 'run a@w2#1'], ['cancel! a@w1', 'fail a:boom']],
      loads: { w1: 0, w2: 0, w3: 0 },
    },
    {
      name: 'a run fails with retryExceptions: both run again',
      events: [...three, spec('a', { verify: 2 }, { retryExceptions: true }), ev.fail('a', 'w1'), ev.finish('a', 'w2')],
      want: [[], [], [], ['run a@w1#1', 'run a@w2#1'], ['cancel! a@w2', 'run a@w1#2', 'run a@w2#2'], []],
      loads: { w1: 1, w2: 0, w3: 0 },
    },
    {
      name: "an extra run's worker is lost: the primary is cancelled and both run again",
      events: [...three, submitV('a'), ev.lost('w2')],
      want: [[], [], [], ['run a@w1#1', 'run a@w2#1'], ['cancel! a@w1', 'run a@w1#2', 'run a@w3#2']],
      loads: { w1: 1, w3: 1 },
    },
    {
      name: "the primary's worker is lost after the other run finished: both run again",
      events: [...three, submitV('a'), ev.finish('a', 'w2'), ev.lost('w1'), ev.finish('a', 'w3'), ev.finish('a', 'w2')],
      want: [[], [], [], ['run a@w1#1', 'run a@w2#1'], [], ['run a@w2#2', 'run a@w3#2'], [], []],
      loads: { w2: 0, w3: 0 },
    },
    {
      name: 'a user cancel stops every run',
      events: [...three, submitV('a', 3), ev.cancel('a')],
      want: [[], [], [], ['run a@w1#1', 'run a@w2#1', 'run a@w3#1'], ['cancel a@w2', 'cancel a@w3', 'cancel a@w1', 'fail a:ERR_CANCELLED']],
      loads: { w1: 1, w2: 0, w3: 0 },
    },
    {
      name: 'verify tasks are not speculated',
      events: [...three, submitV('a'), straggle('a')],
      want: [[], [], [], ['run a@w1#1', 'run a@w2#1'], []],
      loads: { w1: 1, w2: 1, w3: 0 },
    },
  ])('$name', ({ events, want, loads }) => {
    const result = table(events);
    expect(result.commands).toEqual(want);
    expect(result.loads).toEqual(loads);
  });

  it('a parked verify shape does not hold back plain tasks of the same function', () => {
    const { commands } = table([ev.join('w1'), submitV('a'), ev.submit('b')]);
    expect(commands[2]).toEqual(['run b@w1#1']);
  });
});
