import { describe, expect, it } from 'vitest';
import { explainPending, schedulerStats, taskInfo, workerLoad } from './queries.ts';
import { ev, scheduler } from './testTable.ts';

describe('queries', () => {
  it('taskInfo follows a task through its life, and forgets it once done', () => {
    const { state, send } = scheduler();
    send(ev.submit('a', { deps: ['p'] }));
    expect(taskInfo(state, 'a')).toEqual({ state: 'waiting', workerId: null, attempts: 0, blocked: false });
    send(ev.store('p', null));
    expect(taskInfo(state, 'a')).toEqual({ state: 'ready', workerId: null, attempts: 0, blocked: false });
    send(ev.join('w1'));
    expect(taskInfo(state, 'a')).toEqual({ state: 'running', workerId: 'w1', attempts: 1, blocked: false });
    send(ev.block('a', 'w1'));
    expect(taskInfo(state, 'a')?.blocked).toBe(true);
    send(ev.finish('a', 'w1'));
    expect(taskInfo(state, 'a')).toBeNull();
    expect(taskInfo(state, 'never')).toBeNull();
  });

  it('explainPending says why a task is not running', () => {
    const { state, send } = scheduler();
    send(ev.submit('a'), ev.submit('b', { deps: ['a.0', 'p'] }), ev.submit('c', { deps: ['p'] }));
    expect(explainPending(state, 'a')).toBe('no workers');
    expect(explainPending(state, 'b')).toBe('waiting for 2 inputs');
    expect(explainPending(state, 'c')).toBe('waiting for 1 input');
    send(ev.join('w1'), ev.submit('d'), ev.submit('g', { resources: { gpu: 1 } }));
    expect(explainPending(state, 'a')).toBeNull();
    expect(explainPending(state, 'd')).toBe('all workers are busy');
    expect(explainPending(state, 'g')).toBe('needs gpu 1, but no worker offers more than gpu 0');
    expect(explainPending(state, 'unknown')).toBeNull();
  });

  it('schedulerStats counts tasks by state, workers and objects', () => {
    const { state, send } = scheduler();
    send(ev.join('w1'), ev.submit('a'), ev.submit('b'), ev.submit('c', { deps: ['a.0'] }));
    expect(schedulerStats(state)).toEqual({ waiting: 1, ready: 1, running: 1, workers: 1, objects: 3 });
    send(ev.cancel('a', true));
    expect(schedulerStats(state)).toEqual({ waiting: 0, ready: 1, running: 0, workers: 1, objects: 3 });
  });

  it('workerLoad reports assigned, blocked and cpu in flight', () => {
    const { state, send } = scheduler();
    send(ev.join('w1', { cpu: 2 }), ev.submit('a', { resources: { cpu: 2 } }));
    expect(workerLoad(state, 'w1')).toEqual({ assigned: 1, blocked: 0, cpuInFlight: 2 });
    send(ev.block('a', 'w1'));
    expect(workerLoad(state, 'w1')).toEqual({ assigned: 1, blocked: 1, cpuInFlight: 0 });
    expect(workerLoad(state, 'nobody')).toBeNull();
  });
});
