/** What a ref's task is doing, for `cluster.status(ref)` and the dashboard; and task errors as users see them. */
import { ShoalError, type RemoteError } from '@shoal/protocol';
import { taskInfo } from '@shoal/scheduler';
import type { Records, SchedulerPort } from './coordinatorTypes.ts';

/** What a task's status needs of the coordinator. */
export type StatusHost = Pick<SchedulerPort, 'scheduler'> & Pick<Records, 'objects' | 'tasks' | 'failedNames'> & { explainPending(taskId: string): string | null };

export interface TaskStatus {
  /** `pending`: waiting for inputs or a worker; `running`; `done`; `failed`; `unknown` (not a task's ref, or released). */
  state: 'pending' | 'running' | 'done' | 'failed' | 'unknown';
  /** Why a pending task is not running yet, e.g. "needs custom dataset 1, but no worker offers it". */
  reason: string | null;
  workerId: string | null;
  attempts: number;
  progress: number | null;
}

export function taskStatusOf(coordinator: StatusHost, objectId: string): TaskStatus {
  const taskId = coordinator.objects.producer(objectId);
  const base: TaskStatus = { state: 'unknown', reason: null, workerId: null, attempts: 0, progress: null };
  if (!taskId) return coordinator.objects.isSettled(objectId) ? { ...base, state: 'done' } : base;
  const info = taskInfo(coordinator.scheduler, taskId);
  const task = coordinator.tasks.get(taskId);
  if (!info || !task) {
    if (!coordinator.objects.has(objectId)) return base;
    return { ...base, state: coordinator.failedNames.has(taskId) ? 'failed' : 'done' };
  }
  if (info.state === 'running') return { ...base, state: 'running', workerId: info.workerId, attempts: info.attempts, progress: task.progress };
  return { ...base, state: 'pending', reason: task.infeasible ?? coordinator.explainPending(taskId), attempts: info.attempts };
}

/** The error a task's refs reject with. */
export function taskError(name: string, error: RemoteError, upstreamName: string | null, taskId: string): ShoalError {
  const where = error.workerId ? ` on worker ${error.workerId}` : '';
  if (upstreamName !== null) {
    return new ShoalError('ERR_DEPENDENCY_FAILED', `task '${name}' did not run: its input from task '${upstreamName}' failed${where}: ${error.name}: ${error.message}`, { remote: error, taskId });
  }
  if (error.code === 'ERR_CANCELLED' && !error.workerId) return new ShoalError('ERR_CANCELLED', `task '${name}' was cancelled`, { remote: error, taskId });
  return new ShoalError(error.code ?? 'ERR_TASK_FAILED', `task '${name}' failed${where}: ${error.name}: ${error.message}`, { remote: error, taskId, workerId: error.workerId });
}
