/**
 * Scheduler state, in the manner of Dask's `local.py`.
 *
 * The scheduler is a state machine: `step(state, event)` MUTATES `state` in
 * place and returns commands for the driver to carry out. It does no I/O,
 * reads no clock and draws no random numbers, so a table of events fully
 * determines what it does. Memory stays flat: a task's record is deleted once
 * it is done or failed (late replies about it are then ignored), and an
 * object's record once it is released.
 *
 *   tasks    TaskId → TaskRecord {spec, state, waitingOn, rank, attempts, worker,
 *            blocked, inputs, outputs, shape, queue, affinity}
 *
 *              waiting ──(inputs ready)──▶ ready ──(placed)──▶ running ──(finished)──▶ done
 *                 │                         │  ▲                  │
 *                 │                         │  └───(retried)──────┤
 *                 ▼                         ▼                     ▼
 *              failed: an input failed or was lost, it was cancelled, or its run
 *                      failed with no retry left
 *
 *            A ready task sits in one `queue`: its shape's heap (the common
 *            case); a worker's affinity heap (`affinity`: that worker holds
 *            its large inputs and it waits for it, see locality.ts); or
 *            'fresh' (large inputs, to be placed by the next dispatch: never
 *            seen between steps). Done and failed records are deleted at
 *            once, except a cancelled run: it stays (state 'failed') while
 *            its worker still holds it, so its resources stay counted until
 *            the worker replies. Retried: a lost worker's run while
 *            attempts ≤ maxRetries, and an exception or timeout too with
 *            retryExceptions — unless an input was lost meanwhile.
 *   objects  ObjectId → ObjectRecord {state, held, consumers, producer, lineage,
 *            dependents, size, locations, waiters, root, error}
 *            state: pending ──▶ ready (size, locations) ──▶ lost (every copy gone, no way to remake it)
 *                      └──▶ failed (root task, error)      ready again ◀──┘ (a copy stored)
 *            A ready object whose last copy goes and whose producer's
 *            `lineage` is kept goes back to pending instead: the producer
 *            runs again (lineage.ts). 'evicted': released, but its record is
 *            kept (no value) while a kept lineage names it (`dependents`).
 *            `locations`: every copy (worker ids, null for the coordinator),
 *            non-empty exactly while ready; `objectStored` adds one,
 *            `objectDropped` and `workerLost` take them away (copies.ts).
 *            Released (`releaseObject`, record deleted) once not held, no
 *            pending consumer task needs it, and it is not pending.
 *   workers  WorkerId → WorkerRecord {offer, usage (the demand of its assigned,
 *            unblocked tasks), load, how many tasks it holds, affinity (heap
 *            of ready tasks waiting for it), affinityCpu}
 *   groups   group → {avgMs (EWMA of durations), depth}: a worker may hold
 *            `cpu × depth` of the group's cpu in flight (see pipeline.ts)
 *   shapes   key (group + demand) → ShapeRecord {tasks: heap of ready tasks,
 *            blocked, cpuBound, feasible}. Tasks of one shape fit exactly the
 *            same workers, so if a shape's best task fits nowhere now, none of
 *            its tasks do: the shape is parked (`blocked`, in `blocked`) until
 *            a worker it fits frees room or joins, or its group's depth grows
 *            (see queue.ts). An emptied shape is kept for the next task of
 *            its kind; past 256 shapes the empty ones are swept. Tasks placed
 *            by locality never sit in a shape (they only borrow its demand),
 *            so "a parked shape fits no worker" stays true.
 *   runnable heap of unparked shapes with ready tasks, by their best task
 *   byLoad   heap of present workers, least loaded first
 *   fresh    ready tasks with large inputs, for the next dispatch to place
 *   due      workers with affinity tasks that gained room: dispatch tries them first
 *   affine   workers whose affinity heap is not empty
 *
 * Worked example: b depends on a's output, one worker with 1 cpu, group f.
 *
 *   workerJoined w1 {cpu 1}                    → []
 *   taskSubmitted a (deps [], outputs [a.0])   → [runTask a@w1 #1]
 *        tasks {a: running on w1}  objects {a.0: pending, held, producer a}
 *        w1 cpu in flight 1 = cpu 1 × depth 1 (group f has no samples): full
 *   taskSubmitted b (deps [a.0], outputs [b.0]) → []
 *        tasks {a: running, b: waiting on 1}
 *        objects {a.0: pending, held, 1 consumer, waiters [b]; b.0: pending, held}
 *   objectReleased a.0                         → []   (the user let go; b still needs it)
 *        objects {a.0: pending, not held, 1 consumer; b.0: pending, held}
 *   taskFinished a on w1 (sizes [8], 5 ms)     → [runTask b@w1 #1]
 *        tasks {b: running on w1}  (a is forgotten)
 *        objects {a.0: ready at [w1], 8 B, not held, 1 consumer; b.0: pending, held}
 *        groups {f: avg 5 ms, depth 1 + floor(2 ms / 5 ms) = 1}
 *   taskFinished b on w1 (sizes [8], 5 ms)     → [releaseObject a.0 at [w1]]
 *        tasks {}  objects {b.0: ready at [w1], held}   (a.0 lost its last consumer)
 *   objectReleased b.0                         → [releaseObject b.0 at [w1]]
 *        tasks {}  objects {}   (back where it started, but for group f and its empty shape)
 *
 * Had w1 been lost while a ran, a would go back to the front of its priority
 * (if its retries allow) and run on the next worker that joins.
 *
 * Locality (locality.ts, copies.ts): workers w1 and w2 with 1 cpu each,
 * p a 20 MiB put on w1, and w1 busy running x (group f has no samples).
 *
 *   taskSubmitted t (deps [p])                 → []
 *        moving 20 MiB (≈1.4 s at 15 MB/s) costs more than waiting for w1
 *        (≈500 ms, one run of an unknown group): t waits in w1's affinity heap
 *        tasks {x: running on w1, t: ready, waiting for w1}   w2 idle
 *   taskFinished x on w1                       → [runTask t@w1 #1, inputs [p 20 MiB at [w1]]]
 *   objectDropped p at w1                      → [objectLost p]
 *        objects {p: lost, held}: t runs on (it started before); a task
 *        submitted now naming p fails at once with ERR_OBJECT_LOST
 */
import type { ObjectId, RemoteError, TaskId } from '@shoal/protocol';
import { IndexedHeap, type HeapItem, type KeyedHeap } from './heap.ts';
import type { Demand, Offer, Usage } from './resources.ts';
import type { SchedulerConfig, TaskSpec, TaskState, WorkerId } from './types.ts';

/**
 * Where a ready task waits: in its shape's heap (the common case), in a
 * worker's affinity heap (waiting for the worker that holds its inputs), or
 * 'fresh': its inputs are large and dispatch has yet to choose (locality.ts).
 */
export type ReadyQueue = 'shape' | 'affinity' | 'fresh';

export interface TaskRecord extends HeapItem {
  readonly spec: TaskSpec;
  /** 'waiting' | 'ready' | 'running' while kept; 'failed' for a cancelled run its worker still holds. */
  state: TaskState;
  /** How many of its inputs are still pending. */
  waitingOn: number;
  /** `spec.priority`, or 0 if it is not a number. */
  readonly priority: number;
  /** Order within its priority (see order.ts): submission order, moved ahead once retried. */
  rank: number;
  /** Runs started; the `attempt` of its latest `runTask`. */
  attempts: number;
  /** Runs whose worker was lost while running it (see `killedWorkersLimit`). */
  killed: number;
  /** Runs that could not fetch their inputs (tasks.ts `FETCH_RETRIES`). */
  fetchFailures: number;
  /** The worker it is assigned to (running, or a cancelled run not yet answered for). */
  worker: WorkerRecord | null;
  /** Waiting inside `ctx.get`: its demand does not count against its worker. */
  blocked: boolean;
  /** Its inputs' and outputs' records (an input's record lives while the task does: it is a consumer). */
  readonly inputs: ObjectRecord[];
  readonly outputs: ObjectRecord[];
  /**
   * Its shape (group + demand), from the first time it was ready; while
   * ready, the shape's heap holds it. Kept while it runs, for its demand and
   * group, even if the shape is swept meanwhile.
   */
  shape: ShapeRecord | null;
  /** `taskInfeasible` is reported at most once per task. */
  reportedInfeasible: boolean;
  /** While ready: which queue holds it; null otherwise. */
  queue: ReadyQueue | null;
  /** While in a worker's affinity heap: that worker (`heapIndex` is its place there). */
  affinity: WorkerRecord | null;
  /**
   * Extra runs besides `worker` (runs.ts): a speculative copy, or the other
   * runs of a `verify` task. Each counts in its worker's `assigned` and
   * usage (never blocked). Absent or empty for most tasks.
   */
  others?: WorkerRecord[];
}

/**
 * 'lost': it was ready, but every copy is gone and it cannot be recomputed
 * (it fails like 'failed', and a new copy stored makes it ready again).
 * 'evicted': nothing needs its value any more (it was released everywhere),
 * but the record is kept as lineage because a kept lineage names it as an
 * input (`dependents` > 0): if that consumer's output is lost, this object
 * is recomputed first. 'released' marks a deleted record that a task may
 * still point at (a ready output stored early).
 */
export type ObjectState = 'pending' | 'ready' | 'failed' | 'lost' | 'evicted' | 'released';

/**
 * A finished task's spec, kept while any of its outputs' records lives, so
 * lost outputs can be made again by running it again (lineage.ts). Shared by
 * all its outputs.
 */
export interface Lineage {
  readonly spec: TaskSpec;
  readonly inputs: ObjectRecord[];
  readonly outputs: ObjectRecord[];
  /** Output records not yet deleted; at 0 the lineage is dropped (`dropLineage`). */
  alive: number;
  /** Times it was run again to remake lost outputs; bounded by `spec.maxRetries`. */
  rebuilds: number;
}

export interface ObjectRecord {
  readonly objectId: ObjectId;
  state: ObjectState;
  /** The user's handle still exists (cleared by `objectReleased`). */
  held: boolean;
  /** Tasks that list it in deps and have neither finished nor failed. */
  consumers: number;
  /** The task that will produce it, or null (a put, or not yet known). */
  producer: TaskId | null;
  /** Its producer's spec once that finished (lineage.ts); null for a put. */
  lineage: Lineage | null;
  /** Kept lineages that name it as an input: while > 0, its record is kept ('evicted' once its value is released). */
  dependents: number;
  /** Encoded size in bytes, once ready. */
  size: number;
  /**
   * Where it is held: worker ids, null for the coordinator. Non-empty exactly
   * while ready. Copy-on-write: a change replaces the array, so `runTask`
   * and `releaseObject` commands may share it.
   */
  locations: ReadonlyArray<WorkerId | null>;
  /** Tasks waiting for it while pending (entries that are no longer waiting are skipped). */
  waiters: TaskRecord[] | null;
  /** Once failed: the task whose failure caused it (null once lost), and that failure's error (ERR_OBJECT_LOST once lost). */
  root: TaskId | null;
  error: RemoteError | null;
}

export interface WorkerRecord extends Usage, HeapItem {
  readonly workerId: WorkerId;
  /** Join order: breaks ties between equally loaded workers. */
  readonly joinSeq: number;
  /** What it offers; replaced by `workerUpdated` (workers.ts `updateWorker`). */
  offer: Offer;
  /** Paused by its volunteer: nothing new is placed on it (its runs go on). */
  paused: boolean;
  /** Its GPU is a software adapter: GPU tasks prefer other workers. */
  readonly gpuFallback: boolean;
  /** `cpuInFlight / offer.cpu` (0 for a worker that offers no cpu): its key in `byLoad`. */
  load: number;
  /**
   * How many tasks are assigned to it, blocked ones and unanswered cancelled
   * runs included. A count, not a set: keeping a set costs a hash update per
   * placement and per finish, while finding a lost worker's tasks by a scan
   * of `tasks` costs only when a worker is lost.
   */
  assigned: number;
  blockedCount: number;
  /** Ready tasks waiting for this worker because it holds their inputs (locality.ts); null until the first. */
  affinity: IndexedHeap<TaskRecord> | null;
  /** The cpu demand of the tasks in `affinity` (for the wait estimate). */
  affinityCpu: number;
}

export interface GroupRecord {
  readonly name: string;
  /** EWMA (alpha 0.2) of finished runs' `durationMs`; null before the first sample. */
  avgMs: number | null;
  /** clamp(1 + floor(roundTripMs / avgMs), 1, maxInFlightPerSlot); 1 without samples. */
  depth: number;
  /** The shape its latest task queued in: tasks of one group mostly share one demand. */
  latestShape: ShapeRecord | null;
}

export interface ShapeRecord extends HeapItem {
  readonly key: string;
  readonly group: GroupRecord;
  readonly demand: Demand;
  /** Its pipeline is at least this deep, whatever its group's (PREFETCH_DEPTH for tasks with `prefetch`, else 1; see pipeline.ts `depthOf`). */
  readonly minDepth: number;
  /**
   * Its ready tasks, best first. Removing a task from the middle (a cancel)
   * leaves a stale entry (its state is no longer 'ready') that is dropped
   * when it reaches the top or the shape empties; the top is always live.
   */
  readonly tasks: KeyedHeap<TaskRecord>;
  /** How many of `tasks` are live. 0: the shape is empty, neither runnable nor parked. */
  ready: number;
  /** No worker fits it now; parked in `state.blocked`, out of `state.runnable`. */
  blocked: boolean;
  /**
   * While parked: a deeper pipeline for its group might let it fit (some
   * worker has its other resources free and lacks only cpu room). False
   * only when that is known not to be so; then only a worker freeing room
   * or joining wakes it. See workers.ts `findWorker`.
   */
  cpuBound: boolean;
  /** Some present worker's whole offer fits it. */
  feasible: boolean;
  /** While infeasible: why (see resources.ts `infeasibleReason`), cached until workers change. */
  reason: string | null;
  /** Deleted from `shapes` (it was empty); tasks that point at it get a new shape when queued again. */
  swept: boolean;
}

export interface SchedulerState {
  readonly config: SchedulerConfig;
  readonly tasks: Map<TaskId, TaskRecord>;
  readonly objects: Map<ObjectId, ObjectRecord>;
  readonly workers: Map<WorkerId, WorkerRecord>;
  readonly groups: Map<string, GroupRecord>;
  readonly shapes: Map<string, ShapeRecord>;
  /** Unparked shapes with ready tasks, best task first: dispatch takes from here (and empties it every step). */
  readonly runnable: IndexedHeap<ShapeRecord>;
  /** Parked shapes: their best task fits no worker now (see queue.ts). */
  readonly blocked: Set<ShapeRecord>;
  /** Present workers, least loaded first. */
  readonly byLoad: IndexedHeap<WorkerRecord>;
  /** The most cpu any present worker offers (bounds the placement search). */
  maxCpu: number;
  /** Ready tasks with large inputs that the next dispatch places by locality, then empties (locality.ts). */
  fresh: TaskRecord[];
  /** Workers with affinity tasks that gained room since the last dispatch: it checks them first. */
  readonly due: Set<WorkerRecord>;
  /** Workers whose affinity heap is not empty. */
  readonly affine: Set<WorkerRecord>;
  /** Tasks in all affinity heaps together. */
  affinityTasks: number;
  /** Tasks per state (running excludes cancelled runs). */
  counts: { waiting: number; ready: number; running: number };
  nextSeq: number;
  nextJoinSeq: number;
}

export const DEFAULT_CONFIG: Readonly<SchedulerConfig> = {
  roundTripMs: 2,
  maxInFlightPerSlot: 64,
  localityMinBytes: 1024 * 1024,
  transferBytesPerMs: 15_000,
  killedWorkersLimit: 3,
};

/** A fresh state; `config` fields left out take their `DEFAULT_CONFIG` value. */

export function createState(config: Partial<SchedulerConfig> = {}): SchedulerState {
  return {
    config: {
      roundTripMs: config.roundTripMs ?? DEFAULT_CONFIG.roundTripMs,
      maxInFlightPerSlot: config.maxInFlightPerSlot ?? DEFAULT_CONFIG.maxInFlightPerSlot,
      localityMinBytes: config.localityMinBytes ?? DEFAULT_CONFIG.localityMinBytes,
      transferBytesPerMs: config.transferBytesPerMs ?? DEFAULT_CONFIG.transferBytesPerMs,
      killedWorkersLimit: config.killedWorkersLimit ?? DEFAULT_CONFIG.killedWorkersLimit,
    },
    tasks: new Map(),
    objects: new Map(),
    workers: new Map(),
    groups: new Map(),
    shapes: new Map(),
    runnable: new IndexedHeap(),
    blocked: new Set(),
    byLoad: new IndexedHeap(),
    maxCpu: 0,
    fresh: [],
    due: new Set(),
    affine: new Set(),
    affinityTasks: 0,
    counts: { waiting: 0, ready: 0, running: 0 },
    nextSeq: 0,
    nextJoinSeq: 0,
  };
}
