/** The scheduler's vocabulary: events in (past tense), commands out (imperative). */
import type { ObjectId, RemoteError, TaskId } from '@shoal/protocol';

export type WorkerId = string;

/** What a worker offers, or what a task needs. Missing fields are 0. */
export interface Resources {
  /** Task slots (Web Workers). A task needs 1 unless it says otherwise. */
  cpu: number;
  /** WebGPU devices. */
  gpu: number;
  /** Bytes of memory. */
  memory: number;
  /** User-defined resources, e.g. {dataset: 1}. */
  custom: Record<string, number>;
}

export interface TaskSpec {
  taskId: TaskId;
  /** Tasks of one group (one remote function) share duration statistics, which size pipelines. */
  group: string;
  /** The objects this task produces, one per return value (numReturns). */
  outputs: ObjectId[];
  /** Objects that must be ready before the task can run (deduplicated). */
  deps: readonly ObjectId[];
  resources: Resources;
  /** Higher runs first; ties run in submission order. */
  priority: number;
  /** Re-runs allowed after a lost worker (and after exceptions when retryExceptions). */
  maxRetries: number;
  /** Whether an exception (not only a lost worker) is retried. */
  retryExceptions: boolean;
  /** Overrides the config's `killedWorkersLimit` for this task (an actor's: its `maxRestarts` decides). */
  killedWorkersLimit?: number;
  /**
   * The driver may launch a copy of a straggling run on another worker
   * (`taskStraggling`; speculation.ts). Default false.
   */
  speculative?: boolean;
  /**
   * Run it on this many distinct workers at once; it finishes when all have
   * (the driver compares their results; verify.ts). Default 1.
   */
  verify?: number;
  /**
   * A worker may hold it while its slots run earlier tasks (its shape's pipeline is at least
   * PREFETCH_DEPTH deep), so that its stored inputs are fetched meanwhile: their transfer overlaps
   * the running task instead of following it. For long tasks with large inputs. Default false.
   */
  prefetch?: boolean;
}

/**
 * Why a run of a task failed, as the worker saw it. 'device': its GPU device
 * was lost (ERR_GPU_LOST), not the task's fault: retried like a lost worker. 'fetch': it could not
 * fetch its inputs (a holder left mid-transfer): retried, or it waits if an
 * input is being remade, without counting against `maxRetries` (at most
 * `FETCH_RETRIES` times).
 */
export type FailureKind = 'exception' | 'timeout' | 'cancelled' | 'fetch' | 'device';

export type SchedulerEvent =
  | { type: 'taskSubmitted'; task: TaskSpec }
  /** `sizes[i]` is the encoded size of output i, in bytes; `durationMs` is the run's time on the worker. */
  /**
   * `inline[i]`: output i is a small value the coordinator keeps (it came
   * inline with the result), so its copy is on the coordinator, and losing
   * the worker does not lose it. Missing: every output stayed on the worker.
   */
  | { type: 'taskFinished'; taskId: TaskId; workerId: WorkerId; sizes: number[]; durationMs: number; inline?: readonly boolean[] }
  | { type: 'taskFailed'; taskId: TaskId; workerId: WorkerId; error: RemoteError; kind: FailureKind }
  /** The task waits inside `ctx.get`/`ctx.wait`: its slot is lent out until it resumes. */
  | { type: 'taskBlocked'; taskId: TaskId; workerId: WorkerId }
  | { type: 'taskUnblocked'; taskId: TaskId; workerId: WorkerId }
  /**
   * The driver judged the task's run a straggler (speculation.ts): a copy is
   * started on another worker with room now, if any; the first to finish wins.
   */
  | { type: 'taskStraggling'; taskId: TaskId }
  /** The user cancelled the task (`cluster.cancel`). */
  | { type: 'taskCancelled'; taskId: TaskId; force: boolean }
  /**
   * A copy of an object now exists at `workerId` (null: on the coordinator):
   * a `put`, or a copy a worker fetched. For an object already ready it adds
   * a location (the first size reported stays).
   */
  | { type: 'objectStored'; objectId: ObjectId; size: number; workerId: WorkerId | null }
  /** A holder no longer has its copy (evicted, or the fetch into it was undone); the last copy gone means the object is lost. */
  | { type: 'objectDropped'; objectId: ObjectId; workerId: WorkerId | null }
  /** An object no task here makes (an actor call's result) will be stored or fail later (external.ts). */
  | { type: 'objectPending'; objectId: ObjectId }
  | { type: 'objectFailed'; objectId: ObjectId; error: RemoteError }
  /** A holder let go of an object (`free`, or its last ref was garbage-collected). */
  | { type: 'objectReleased'; objectId: ObjectId }
  /** `gpuFallback`: its GPU is a software adapter (SwiftShader): GPU tasks go to real GPUs first. */
  | { type: 'workerJoined'; workerId: WorkerId; resources: Resources; gpuFallback?: boolean }
  /**
   * A present worker changed what it offers: `resources` replaces its offer
   * (the volunteer capped its cores), and `paused` stops (true) or resumes
   * (false) new placements on it; its running tasks carry on either way.
   */
  | { type: 'workerUpdated'; workerId: WorkerId; resources?: Resources; paused?: boolean }
  /** `graceful`: it left on purpose (after handing its objects over): its runs are retried without counting toward `killedWorkersLimit`. */
  | { type: 'workerLost'; workerId: WorkerId; graceful?: boolean };

/** One input of a `runTask`: where its copies are, so the worker can fetch it from a peer. */
export interface TaskInput {
  objectId: ObjectId;
  /** Encoded size in bytes (0 if never reported). */
  size: number;
  /** Its holders now: worker ids, null for the coordinator. Shared with the scheduler's record: read, never mutate. */
  locations: ReadonlyArray<WorkerId | null>;
}

export type SchedulerCommand =
  /** `inputs`: every dep of the task, in `deps` order (the driver decides which travel inline). */
  | { type: 'runTask'; taskId: TaskId; workerId: WorkerId; attempt: number; inputs: readonly TaskInput[] }
  /** The task will never produce its outputs. `upstream` names the task whose failure caused it, if not itself. */
  | { type: 'failTask'; taskId: TaskId; error: RemoteError; upstream: TaskId | null }
  /** Stop a run: abort its signal, or with `force` terminate its Web Worker. */
  | { type: 'cancelTask'; taskId: TaskId; workerId: WorkerId; force: boolean }
  /** Nothing can need this object any more: drop its value everywhere it is held. */
  | { type: 'releaseObject'; objectId: ObjectId; locations: ReadonlyArray<WorkerId | null> }
  /** No worker present could ever run this task (its resources fit none); it stays pending. */
  | { type: 'taskInfeasible'; taskId: TaskId; reason: string }
  /**
   * Every copy of a ready object is gone (dropped, or its holders were lost).
   * Tasks that still needed it and had not started fail with ERR_OBJECT_LOST
   * (separate `failTask` commands); a later task naming it fails at once.
   */
  | { type: 'objectLost'; objectId: ObjectId }
  /**
   * Every copy of these outputs of a finished task is gone, and the task is
   * run again from its lineage to make them (lineage.ts): they are pending
   * again, and a `runTask` for it follows (once its inputs are ready, which
   * may need their own producers re-run first).
   */
  | { type: 'reconstructTask'; taskId: TaskId; outputs: ObjectId[] }
  /** Nothing can need this finished task's outputs any more: the driver may forget its spec (function, arguments). */
  | { type: 'dropLineage'; taskId: TaskId };

export type TaskState = 'waiting' | 'ready' | 'running' | 'done' | 'failed';

export interface SchedulerConfig {
  /** Estimated coordinator ⇄ worker round trip, used to size pipelines. */
  roundTripMs: number;
  /** At most this many tasks in flight per worker slot (the pipeline's bound). */
  maxInFlightPerSlot: number;
  /**
   * A ready task whose inputs total at least this many bytes is placed by
   * locality (see locality.ts): on a worker that holds them, if it makes
   * sense. Below it, plain least-loaded placement. Infinity turns locality off.
   */
  localityMinBytes: number;
  /** Estimated peer-to-peer bandwidth, bytes per ms (15,000 = 15 MB/s): prices moving inputs against waiting for their holder. */
  transferBytesPerMs: number;
  /**
   * A task whose worker was lost while running it this many times fails with
   * ERR_TASK_KILLED_WORKERS instead of being retried again (a poison task;
   * Dask's KilledWorker). Default 3.
   */
  killedWorkersLimit: number;
}

/** What `taskInfo` reports about a task the scheduler still tracks. */
export interface TaskInfo {
  /**
   * Where the task stands. Done and failed tasks are forgotten (the query
   * answers null), except a cancelled run that still holds its worker until
   * the worker replies: that one reads 'failed' with its `workerId`.
   */
  state: TaskState;
  /** The worker the task is assigned to, or null while it waits or is ready. */
  workerId: WorkerId | null;
  /** Runs started so far (the `attempt` of the latest `runTask`, 0 before the first). */
  attempts: number;
  /** Whether the run waits inside `ctx.get`/`ctx.wait`, its slot lent out. */
  blocked: boolean;
}

/** What `objectInfo` reports about an object the scheduler still tracks. */
export interface ObjectInfo {
  /** 'lost': it was ready, but every copy is gone. 'evicted': released, its record kept only as lineage for a kept consumer. */
  state: 'pending' | 'ready' | 'failed' | 'lost' | 'evicted';
  /** Encoded size in bytes (0 until ready). */
  size: number;
  /** Its holders (worker ids, null for the coordinator); empty unless ready. */
  locations: ReadonlyArray<WorkerId | null>;
  /** Tasks that list it in deps and have neither finished nor failed. */
  consumers: number;
  /** Whether the user's handle still exists. */
  held: boolean;
}

/** Counts of what the scheduler tracks now (`schedulerStats`). */
export interface SchedulerStats {
  /** Tasks waiting for inputs. */
  waiting: number;
  /** Tasks whose inputs are ready, not yet placed. */
  ready: number;
  /** Tasks placed on a worker (blocked ones included, cancelled runs not). */
  running: number;
  /** Workers present. */
  workers: number;
  /** Object records kept (pending, ready or failed, not yet released). */
  objects: number;
}

/** One worker's load (`workerLoad`). */
export interface WorkerLoad {
  /** Tasks assigned to it: running, blocked, and cancelled runs it has not yet answered for. */
  assigned: number;
  /** How many of those are blocked (their resources lent out). */
  blocked: number;
  /** The cpu demand of its assigned, unblocked tasks: what the pipeline bound counts. */
  cpuInFlight: number;
}
