/** The scheduler's vocabulary: events in (past tense), commands out (imperative). */
import type { ObjectId, RemoteError, TaskId } from '@shoal/protocol';

export type WorkerId = string;

export interface TaskSpec {
  taskId: TaskId;
  /** The object this task produces when it finishes. */
  output: ObjectId;
  /** Objects that must be ready before the task can run. */
  deps: ObjectId[];
  /** Times the task is re-run after its worker is lost. */
  maxRetries: number;
}

export type SchedulerEvent =
  | { type: 'taskSubmitted'; task: TaskSpec }
  | { type: 'taskFinished'; taskId: TaskId; workerId: WorkerId }
  | { type: 'taskFailed'; taskId: TaskId; workerId: WorkerId; error: RemoteError }
  | { type: 'objectStored'; objectId: ObjectId }
  | { type: 'workerJoined'; workerId: WorkerId; slots: number }
  | { type: 'workerLost'; workerId: WorkerId };

export type SchedulerCommand =
  | { type: 'runTask'; taskId: TaskId; workerId: WorkerId; attempt: number }
  /** The task will never produce its output. `upstream` names the failed input's task, if that was the cause. */
  | { type: 'failTask'; taskId: TaskId; error: RemoteError; upstream: TaskId | null };

export type TaskState = 'waiting' | 'ready' | 'running' | 'done' | 'failed';

export interface TaskRecord {
  spec: TaskSpec;
  state: TaskState;
  /** Inputs not yet ready. */
  waitingOn: Set<ObjectId>;
  workerId: WorkerId | null;
  /** Runs started so far (1 on the first run). */
  attempts: number;
}

export type ObjectState =
  | { kind: 'pending'; producer: TaskId | null }
  | { kind: 'ready' }
  /** `root` is the task whose failure started the cascade. */
  | { kind: 'failed'; producer: TaskId; root: TaskId; error: RemoteError };

export interface ObjectRecord {
  state: ObjectState;
  /** Tasks waiting for this object. */
  waiters: Set<TaskId>;
}

export interface WorkerRecord {
  workerId: WorkerId;
  slots: number;
  /** Tasks assigned and not yet finished (running or queued on the worker). */
  assigned: Set<TaskId>;
}

export interface SchedulerConfig {
  /** Extra tasks queued on a worker beyond its slots, to hide the round trip. */
  pipelineDepth: number;
}
