import { describe, expect, it } from 'vitest';
import { ev, run } from './testTable.ts';
import type { Resources, SchedulerEvent } from './types.ts';

/** `workerUpdated` builders: pause, resume, and a new offer (the volunteer's core cap). */
const pause = (workerId: string): SchedulerEvent => ({ type: 'workerUpdated', workerId, paused: true });
const resume = (workerId: string): SchedulerEvent => ({ type: 'workerUpdated', workerId, paused: false });
const offer = (workerId: string, resources: Partial<Resources>): SchedulerEvent => ({
  type: 'workerUpdated',
  workerId,
  resources: { cpu: 0, gpu: 0, memory: 0, custom: {}, ...resources },
});

describe('workerUpdated: pause and resume', () => {
  it.each([
    {
      name: 'a paused worker gets no new tasks; the other worker runs them all',
      events: [ev.join('w1'), ev.join('w2'), pause('w1'), ev.submit('a'), ev.submit('b'), ev.finish('a', 'w2')],
      want: [[], [], [], ['run a@w2#1'], [], ['run b@w2#1']],
    },
    {
      name: 'resuming places the tasks that waited',
      events: [ev.join('w1'), pause('w1'), ev.submit('a'), resume('w1')],
      want: [[], [], [], ['run a@w1#1']],
    },
    {
      name: 'a run under way when the worker pauses finishes; the freed slot stays empty until resume',
      events: [ev.join('w1', { cpu: 1 }), ev.submit('a'), pause('w1'), ev.submit('b'), ev.finish('a', 'w1'), resume('w1')],
      want: [[], ['run a@w1#1'], [], [], [], ['run b@w1#1']],
    },
    {
      name: 'with every worker paused tasks wait: they are not reported infeasible',
      events: [ev.join('w1'), pause('w1'), ev.submit('a')],
      want: [[], [], []],
    },
    {
      name: 'gpu tasks skip a paused gpu worker',
      events: [ev.join('g1', { cpu: 2, gpu: 1 }), ev.join('g2', { cpu: 2, gpu: 1 }), pause('g1'), ev.submit('g', { resources: { gpu: 1 } })],
      want: [[], [], [], ['run g@g2#1']],
    },
    {
      name: 'a lost run on the other worker is retried on the resumed one, not the paused one',
      events: [ev.join('w1'), ev.join('w2'), pause('w1'), ev.submit('a'), ev.lost('w2'), resume('w1')],
      want: [[], [], [], ['run a@w2#1'], [], ['run a@w1#2']],
    },
    {
      name: 'an update about an unknown worker is ignored',
      events: [ev.join('w1'), pause('ghost'), ev.submit('a')],
      want: [[], [], ['run a@w1#1']],
    },
    {
      name: 'pausing twice, then one resume, brings it back',
      events: [ev.join('w1'), pause('w1'), pause('w1'), ev.submit('a'), resume('w1')],
      want: [[], [], [], [], ['run a@w1#1']],
    },
  ])('$name', ({ events, want }) => {
    expect(run(events)).toEqual(want);
  });
});

describe('workerUpdated: a new cpu offer (core cap)', () => {
  it.each([
    {
      name: 'more cpu: the queued task is placed at once',
      events: [ev.join('w1', { cpu: 1 }), ev.submit('a'), ev.submit('b'), offer('w1', { cpu: 2 })],
      want: [[], ['run a@w1#1'], [], ['run b@w1#1']],
    },
    {
      name: 'less cpu: runs go on, and new ones wait until in-flight work is within the new offer',
      events: [ev.join('w1', { cpu: 2 }), ev.submit('a'), ev.submit('b'), offer('w1', { cpu: 1 }), ev.submit('c'), ev.finish('a', 'w1'), ev.finish('b', 'w1')],
      want: [[], ['run a@w1#1'], ['run b@w1#1'], [], [], [], ['run c@w1#1']],
    },
    {
      name: 'load follows the offer: the less loaded worker (by share of its cpu) gets the next task',
      events: [ev.join('w1', { cpu: 2 }), ev.join('w2', { cpu: 2 }), ev.submit('a'), offer('w1', { cpu: 4 }), ev.submit('b'), ev.submit('c')],
      want: [[], [], ['run a@w1#1'], [], ['run b@w2#1'], ['run c@w1#1']],
    },
    {
      name: 'a cap below what a task needs makes it infeasible; raising it runs the task',
      events: [ev.join('w1', { cpu: 2 }), offer('w1', { cpu: 1 }), ev.submit('big', { resources: { cpu: 2 } }), offer('w1', { cpu: 2 })],
      want: [[], [], ['infeasible big: needs cpu 2, but no worker offers more than cpu 1'], ['run big@w1#1']],
    },
    {
      name: 'shrinking the only big-enough worker reports its queued tasks infeasible',
      events: [ev.join('w1', { cpu: 2 }), ev.submit('a', { resources: { cpu: 2 } }), ev.submit('b', { resources: { cpu: 2 } }), offer('w1', { cpu: 1 })],
      want: [[], ['run a@w1#1'], [], ['infeasible b: needs cpu 2, but no worker offers more than cpu 1']],
    },
    {
      name: 'a paused worker given more cpu still takes nothing until resumed',
      events: [ev.join('w1', { cpu: 1 }), pause('w1'), ev.submit('a'), offer('w1', { cpu: 4 }), resume('w1')],
      want: [[], [], [], [], ['run a@w1#1']],
    },
  ])('$name', ({ events, want }) => {
    expect(run(events)).toEqual(want);
  });
});
