/**
 * Test helpers (not exported by the package): short builders for events and
 * task specs, and a one-line rendering of commands, so each test is a table
 * of events and the commands each one gave.
 *
 *   run a@w1#1                  runTask (attempt 1)
 *   fail b<a:boom               failTask (upstream a; error code, else message)
 *   cancel a@w1  cancel! a@w1   cancelTask (! = force)
 *   release a.0@w1,w2           releaseObject (coordinator shows as "coordinator", none as "-")
 *   infeasible a: <reason>      taskInfeasible
 *   lost p                      objectLost
 *   remake a:a.0                reconstructTask (the outputs made pending again)
 *   forget a                    dropLineage
 *
 * `runTask` inputs are left out of the rendering; `inputsOf` shows them.
 */
import type { RemoteError } from '@shoal/protocol';
import { createState, type SchedulerState } from './state.ts';
import { step } from './step.ts';
import type { FailureKind, Resources, SchedulerCommand, SchedulerConfig, SchedulerEvent, TaskSpec } from './types.ts';

export interface TaskOptions {
  deps?: string[];
  outputs?: string[];
  group?: string;
  priority?: number;
  maxRetries?: number;
  retryExceptions?: boolean;
  resources?: Partial<Resources>;
  prefetch?: boolean;
}

/** A task spec: one output `${id}.0`, cpu 1, group 'f', priority 0, 3 retries of lost workers only. */
export function task(taskId: string, options: TaskOptions = {}): TaskSpec {
  return {
    taskId,
    group: options.group ?? 'f',
    outputs: options.outputs ?? [`${taskId}.0`],
    deps: options.deps ?? [],
    resources: { cpu: 1, gpu: 0, memory: 0, custom: {}, ...options.resources },
    priority: options.priority ?? 0,
    maxRetries: options.maxRetries ?? 3,
    retryExceptions: options.retryExceptions ?? false,
    ...(options.prefetch ? { prefetch: true } : {}),
  };
}

export const boom: RemoteError = { name: 'Error', message: 'boom' };

/** Event builders. Durations default to 100 ms: long enough that no pipeline forms (depth 1). */
export const ev = {
  join: (workerId: string, resources: Partial<Resources> = { cpu: 1 }): SchedulerEvent => ({
    type: 'workerJoined',
    workerId,
    resources: { cpu: 0, gpu: 0, memory: 0, custom: {}, ...resources },
  }),
  submit: (taskId: string, options: TaskOptions = {}): SchedulerEvent => ({ type: 'taskSubmitted', task: task(taskId, options) }),
  finish: (taskId: string, workerId: string, durationMs = 100, sizes: number[] = [8]): SchedulerEvent => ({
    type: 'taskFinished',
    taskId,
    workerId,
    sizes,
    durationMs,
  }),
  fail: (taskId: string, workerId: string, kind: FailureKind = 'exception', error: RemoteError = boom): SchedulerEvent => ({
    type: 'taskFailed',
    taskId,
    workerId,
    error,
    kind,
  }),
  block: (taskId: string, workerId: string): SchedulerEvent => ({ type: 'taskBlocked', taskId, workerId }),
  unblock: (taskId: string, workerId: string): SchedulerEvent => ({ type: 'taskUnblocked', taskId, workerId }),
  cancel: (taskId: string, force = false): SchedulerEvent => ({ type: 'taskCancelled', taskId, force }),
  store: (objectId: string, workerId: string | null, size = 8): SchedulerEvent => ({ type: 'objectStored', objectId, size, workerId }),
  drop: (objectId: string, workerId: string | null): SchedulerEvent => ({ type: 'objectDropped', objectId, workerId }),
  release: (objectId: string): SchedulerEvent => ({ type: 'objectReleased', objectId }),
  lost: (workerId: string): SchedulerEvent => ({ type: 'workerLost', workerId }),
  left: (workerId: string): SchedulerEvent => ({ type: 'workerLost', workerId, graceful: true }),
};

export function show(command: SchedulerCommand): string {
  switch (command.type) {
    case 'runTask':
      return `run ${command.taskId}@${command.workerId}#${command.attempt}`;
    case 'failTask':
      return `fail ${command.taskId}${command.upstream ? `<${command.upstream}` : ''}:${command.error.code ?? command.error.message}`;
    case 'cancelTask':
      return `cancel${command.force ? '!' : ''} ${command.taskId}@${command.workerId}`;
    case 'releaseObject': {
      const at = command.locations.map((location) => location ?? 'coordinator').join(',');
      return `release ${command.objectId}@${at || '-'}`;
    }
    case 'taskInfeasible':
      return `infeasible ${command.taskId}: ${command.reason}`;
    case 'objectLost':
      return `lost ${command.objectId}`;
    case 'reconstructTask':
      return `remake ${command.taskId}:${command.outputs.join(',')}`;
    case 'dropLineage':
      return `forget ${command.taskId}`;
  }
}

/** A `runTask`'s inputs as `id:size@loc,loc` (the coordinator as "coordinator"). */
export function inputsOf(command: SchedulerCommand): string[] {
  if (command.type !== 'runTask') return [];
  return command.inputs.map((input) => `${input.objectId}:${input.size}@${input.locations.map((location) => location ?? 'coordinator').join(',')}`);
}

/** Renders commands; `dropLineage` only if `lineage` (most tables are not about it). */
function render(commands: SchedulerCommand[], lineage: boolean): string[] {
  return (lineage ? commands : commands.filter((command) => command.type !== 'dropLineage')).map(show);
}

/** A scheduler to drive one event at a time; `send` answers the rendered commands (`dropLineage` only with `lineage`). */
export function scheduler(config: Partial<SchedulerConfig> = {}, lineage = false): { state: SchedulerState; send: (...events: SchedulerEvent[]) => string[] } {
  const state = createState(config);
  return { state, send: (...events) => events.flatMap((event) => render(step(state, event), lineage)) };
}

/** Runs events in order on a fresh scheduler; answers the rendered commands of each (`dropLineage` only with `lineage`). */
export function run(events: SchedulerEvent[], config: Partial<SchedulerConfig> = {}, lineage = false): string[][] {
  const state = createState(config);
  return events.map((event) => render(step(state, event), lineage));
}
