/**
 * Read-only questions about the scheduler's state, for the coordinator and
 * the dashboard. They never change the state.
 */
import type { ObjectId, TaskId } from '@shoal/protocol';
import { heldBytes } from './locality.ts';
import { stuckReason } from './queue.ts';
import type { SchedulerState } from './state.ts';
import type { ObjectInfo, SchedulerStats, TaskInfo, WorkerId, WorkerLoad } from './types.ts';

/** Where a task stands, or null once it is done or failed (or was never submitted). */
export function taskInfo(state: SchedulerState, taskId: TaskId): TaskInfo | null {
  const task = state.tasks.get(taskId);
  if (!task) return null;
  return { state: task.state, workerId: task.worker?.workerId ?? null, attempts: task.attempts, blocked: task.blocked };
}

/**
 * Why a waiting or ready task is not running: "waiting for 2 inputs", "no
 * workers", why it is infeasible (e.g. "needs gpu 1, but no worker offers
 * more than gpu 0"), "waiting for worker w1, which holds 2.0 MiB of its
 * inputs", or "all workers are busy". Null for any other task.
 */
export function explainPending(state: SchedulerState, taskId: TaskId): string | null {
  const task = state.tasks.get(taskId);
  if (!task) return null;
  if (task.state === 'waiting') return `waiting for ${task.waitingOn} input${task.waitingOn === 1 ? '' : 's'}`;
  if (task.state !== 'ready' || !task.shape) return null; // a ready task always has its shape
  if (task.affinity) {
    const mib = (heldBytes(state, task).get(task.affinity) ?? 0) / (1024 * 1024);
    return `waiting for worker ${task.affinity.workerId}, which holds ${mib.toFixed(1)} MiB of its inputs`;
  }
  return stuckReason(state, task.shape) ?? 'all workers are busy';
}

export function schedulerStats(state: SchedulerState): SchedulerStats {
  const { waiting, ready, running } = state.counts;
  return { waiting, ready, running, workers: state.workers.size, objects: state.objects.size };
}

/** A present worker's load, or null if no such worker is present. */
export function workerLoad(state: SchedulerState, workerId: WorkerId): WorkerLoad | null {
  const worker = state.workers.get(workerId);
  if (!worker) return null;
  return { assigned: worker.assigned, blocked: worker.blockedCount, cpuInFlight: worker.cpuInFlight };
}

/** An object's state, size, copies and consumers, or null once released (or never known). */
export function objectInfo(state: SchedulerState, objectId: ObjectId): ObjectInfo | null {
  const object = state.objects.get(objectId);
  if (!object || object.state === 'released') return null;
  return { state: object.state, size: object.size, locations: object.locations, consumers: object.consumers, held: object.held };
}
