import { describe, expect, it } from 'vitest';
import { createState } from './state.ts';
import { step } from './step.ts';
import type { SchedulerCommand, SchedulerEvent, TaskSpec } from './types.ts';

const task = (id: string, deps: string[] = [], maxRetries = 3): TaskSpec => ({ taskId: id, output: `${id}.out`, deps, maxRetries });

/** Runs events in order; returns the commands each produced, as short strings. */
function run(events: SchedulerEvent[], config = {}): string[][] {
  const state = createState(config);
  return events.map((event) => step(state, event).map(show));
}

function show(command: SchedulerCommand): string {
  return command.type === 'runTask'
    ? `run ${command.taskId}@${command.workerId}#${command.attempt}`
    : `fail ${command.taskId}${command.upstream ? `<${command.upstream}` : ''}:${command.error.code ?? command.error.message}`;
}

const joined = (workerId: string, slots = 1): SchedulerEvent => ({ type: 'workerJoined', workerId, slots });
const submitted = (spec: TaskSpec): SchedulerEvent => ({ type: 'taskSubmitted', task: spec });
const finished = (taskId: string, workerId: string): SchedulerEvent => ({ type: 'taskFinished', taskId, workerId });
const boom = { name: 'Error', message: 'boom' };

describe('scheduler step', () => {
  it('runs the worked example from state.ts', () => {
    expect(run([joined('w1'), submitted(task('a')), submitted(task('b', ['a.out'])), finished('a', 'w1'), finished('b', 'w1')])).toEqual([
      [],
      ['run a@w1#1'],
      [],
      ['run b@w1#1'],
      [],
    ]);
  });

  it('holds tasks until a worker joins, then fills slots plus the pipeline', () => {
    expect(run([submitted(task('a')), submitted(task('b')), submitted(task('c')), joined('w1', 1)], { pipelineDepth: 1 })).toEqual([
      [],
      [],
      [],
      ['run a@w1#1', 'run b@w1#1'],
    ]);
  });

  it('spreads tasks across workers by load', () => {
    const out = run([joined('w1', 2), joined('w2', 2), ...['a', 'b', 'c', 'd'].map((id) => submitted(task(id)))], { pipelineDepth: 0 });
    expect(out.slice(2).flat()).toEqual(['run a@w1#1', 'run b@w2#1', 'run c@w1#1', 'run d@w2#1']);
  });

  it('fails a task and everything downstream of it, naming the upstream cause', () => {
    const out = run([
      joined('w1'),
      submitted(task('a')),
      submitted(task('b', ['a.out'])),
      submitted(task('c', ['b.out'])),
      { type: 'taskFailed', taskId: 'a', workerId: 'w1', error: boom },
      submitted(task('d', ['c.out'])),
    ]);
    expect(out[4]).toEqual(['fail a:boom', 'fail b<a:boom', 'fail c<a:boom']);
    expect(out[5]).toEqual(['fail d<a:boom']);
  });

  it('retries tasks of a lost worker at the front of the queue, then gives up with ERR_WORKER_LOST', () => {
    const out = run([
      joined('w1'),
      submitted(task('a', [], 1)),
      { type: 'workerLost', workerId: 'w1' },
      joined('w2'),
      { type: 'workerLost', workerId: 'w2' },
    ]);
    expect(out).toEqual([[], ['run a@w1#1'], [], ['run a@w2#2'], ['fail a:ERR_WORKER_LOST']]);
  });

  it('ignores a late reply from a worker that no longer owns the task', () => {
    const state = createState();
    step(state, joined('w1'));
    step(state, submitted(task('a')));
    step(state, { type: 'workerLost', workerId: 'w1' });
    step(state, joined('w2'));
    expect(step(state, finished('a', 'w1'))).toEqual([]);
    expect(state.tasks.get('a')?.state).toBe('running');
    step(state, finished('a', 'w2'));
    expect(state.tasks.get('a')?.state).toBe('done');
  });

  it('treats put objects as ready inputs once stored', () => {
    expect(run([joined('w1'), submitted(task('a', ['put1'])), { type: 'objectStored', objectId: 'put1' }])).toEqual([[], [], ['run a@w1#1']]);
  });
});
