/**
 * Scheduler state, in the manner of Dask's `local.py`.
 *
 * The scheduler is a pure state machine: `step(state, event)` mutates `state`
 * and returns commands for the driver to carry out. It does no I/O, reads no
 * clock and draws no random numbers, so a table of events fully determines
 * what it does.
 *
 *   tasks    TaskId → {spec, state, waitingOn, workerId, attempts}
 *            state: waiting → ready → running → done
 *                                  ↘ failed (exception, retries spent, or an input failed)
 *   objects  ObjectId → {state: pending | ready | failed, waiters}
 *   workers  WorkerId → {slots, assigned}
 *   ready    FIFO of ready TaskIds not yet placed (retried tasks go to the front)
 *
 * Worked example: two tasks, b depends on a's output, one worker with 1 slot.
 *
 *   workerJoined w1 slots 1                 → []
 *   taskSubmitted a (deps [])               → [runTask a on w1]
 *        tasks {a: running on w1}  objects {a.out: pending}
 *   taskSubmitted b (deps [a.out])          → []
 *        tasks {a: running, b: waiting on {a.out}}  objects {a.out: pending, waiters {b}}
 *   taskFinished a                          → [runTask b on w1]
 *        tasks {a: done, b: running}  objects {a.out: ready}
 *   taskFinished b                          → []
 *
 * Had w1 been lost while a ran, a would go back to the front of `ready` (if
 * its retries allow) and run on the next worker that joins.
 */
import type { ObjectId, TaskId } from '@shoal/protocol';
import type { ObjectRecord, SchedulerConfig, TaskRecord, WorkerId, WorkerRecord } from './types.ts';

export interface SchedulerState {
  config: SchedulerConfig;
  tasks: Map<TaskId, TaskRecord>;
  objects: Map<ObjectId, ObjectRecord>;
  workers: Map<WorkerId, WorkerRecord>;
  ready: TaskId[];
}

export const DEFAULT_CONFIG: SchedulerConfig = { pipelineDepth: 1 };

export function createState(config: Partial<SchedulerConfig> = {}): SchedulerState {
  return { config: { ...DEFAULT_CONFIG, ...config }, tasks: new Map(), objects: new Map(), workers: new Map(), ready: [] };
}

/** How many tasks a worker may hold at once: its slots plus a pipeline. */
export function capacity(state: SchedulerState, worker: WorkerRecord): number {
  return worker.slots + state.config.pipelineDepth;
}
