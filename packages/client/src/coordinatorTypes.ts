/**
 * The coordinator's records and events, and the narrow interfaces its helpers
 * take. Each helper (actors, handover, commands, lineage, verify, speculation,
 * nested, workerMessages, taskStatus, cluster) names the few of these it uses;
 * the Coordinator implements them all and hands itself over as that interface.
 * Helpers never import coordinator.ts, so the imports point one way:
 *
 *   coordinatorTypes ◀── helpers ◀── coordinator ◀── cluster / apps
 */
import type { Capabilities, ControlMessage, FetchSpec, PeerInfo, RemoteOptions, WorkerSummary } from '@shoal/protocol';
import type { SchedulerEvent, SchedulerState } from '@shoal/scheduler';
import type { CoordinatorObjects } from './coordinatorObjects.ts';
import type { Holders } from './holders.ts';
import type { ObjectTable } from './objectTable.ts';
import type { TaskEvent } from './taskEvents.ts';

export interface WorkerEntry {
  info: PeerInfo;
  caps: Capabilities | null;
  tasksDone: number;
  /** Functions this worker has been sent. */
  defined: Set<string>;
  /** Its volunteer paused it (an `availability` message). */
  paused?: boolean;
}

export interface TaskEntry {
  fnId: string;
  name: string;
  /** Wire-form arguments (refs as {"$shoalRef": id}), kept for retries. */
  args: unknown[];
  outputs: string[];
  timeoutMs: number | null;
  parentTaskId: string | null;
  infeasible: string | null;
  progress: number | null;
  /** Set on an actor's task (which holds its place until the actor dies; actors.ts). */
  actorId?: string;
  /** RemoteOptions `consumeInputs`: runTask says so. */
  consume?: true;
  /** RemoteOptions `lendInputs`: runTask says so. */
  lend?: true;
}

export interface TaskLog {
  taskId: string;
  taskName: string;
  workerId: string;
  level: 'log' | 'info' | 'warn' | 'error';
  text: string;
}

export interface CoordinatorOptions {
  /** A worker silent this long (no heartbeat, no message) is declared lost (watchdog.ts). Default 3000; Infinity turns it off. */
  heartbeatTimeoutMs?: number;
  /** Speculative execution for tasks that do not set the `speculation` option (speculation.ts). Default false. */
  speculation?: boolean;
}

/** Why a worker was declared lost: its channel closed, it fell silent (heartbeats stopped), it said it was leaving, or it could not be reached. */
export type WorkerLossReason = 'closed' | 'silent' | 'left' | 'unreachable';

export type ActorState = 'pending' | 'alive' | 'restarting' | 'dead';

/** One step of an actor's life, for the event log and tests. */
export interface ActorEvent {
  t: number;
  actorId: string;
  className: string;
  state: ActorState;
  workerId: string | null;
  reason?: string;
}

/**
 * What changed in the worker list since the last `workersDiff` (batched: at
 * most one per `WORKERS_DIFF_MS`). `changed` holds workers added or updated
 * (their state, load, store or caps), `removed` the peer ids that left.
 */
export interface WorkersDiff {
  changed: WorkerSummary[];
  removed: string[];
}

export type CoordinatorEvents = {
  /** The worker list changed: a worker joined, left, or was updated. Batched (at most once per tick); `workersDiff` says what changed. */
  workersChanged: [];
  /** The same changes as `workersChanged`, as a diff of the list (see WorkersDiff). */
  workersDiff: [diff: WorkersDiff];
  /** A worker was declared lost (its runs are retried, its objects remade or lost). */
  workerLost: [peerId: string, reason: WorkerLossReason];
  /** A worker declared lost spoke again and was admitted afresh (its old runs were already retried elsewhere). */
  workerReadmitted: [peerId: string];
  taskLog: [log: TaskLog];
  taskEnded: [taskId: string, ok: boolean];
  taskInfeasible: [taskId: string, name: string, reason: string];
  taskProgress: [taskId: string, fraction: number];
  rejected: [from: PeerInfo, reason: string];
  /** Every step of every task (see taskEvents.ts). */
  task: [event: TaskEvent];
  /** An actor started, is restarting, or died (actors.ts). */
  actor: [event: ActorEvent];
};

// ---------------------------------------------------------------- the narrow interfaces

/** Driving the pure scheduler: its state to read, and events to feed it (their commands are carried out before `apply` returns). */
export interface SchedulerPort {
  readonly scheduler: SchedulerState;
  apply(event: SchedulerEvent): void;
}

/** The coordinator's records of tasks and objects. */
export interface Records {
  /** Live tasks (queued or running). */
  readonly tasks: Map<string, TaskEntry>;
  readonly objects: ObjectTable;
  readonly holders: Holders;
  /** Names of failed tasks, which their dependents' errors cite. */
  readonly failedNames: Map<string, string>;
  /** The object plane: this tab's store, fetch specs, releases to holders. */
  readonly plane: CoordinatorObjects;
  /** Refs inside a stored value keep their objects alive as long as the value lives. */
  holdContained(objectId: string, refs: Iterable<string>): void;
}

/** Messages to workers. */
export interface WorkerPort {
  /** Sends if the worker is still connected; drops the message otherwise. */
  sendTo(workerId: string, message: ControlMessage): void;
  /** `wire` with its refs replaced for `forPeer`: inline values as they are, stored ones to fetch (with where from). */
  argsFor<T>(wire: T, forPeer: string): { args: T; fetch: FetchSpec[] };
}

/** The coordinator's events: helpers emit some (`notify`) and follow others (`on`). */
export interface EventPort {
  notify<K extends keyof CoordinatorEvents>(event: K, ...args: CoordinatorEvents[K]): void;
  on<K extends keyof CoordinatorEvents>(event: K, handler: (...args: CoordinatorEvents[K]) => void): () => void;
}

/** Submitting tasks and putting objects, as the job does. */
export interface Submitter {
  registerFunction(name: string, source: string): string;
  hasFunction(fnId: string): boolean;
  newId(): string;
  submit(taskId: string, fnId: string, name: string, wireArgs: unknown[], options: RemoteOptions, parentTaskId?: string | null, actor?: { actorId: string; killedWorkersLimit: number } | null): string[];
  put(objectId: string, wireValue: unknown, broadcast?: boolean): void;
  putStored(objectId: string, size: number, refs: readonly string[], workerId: string): void;
  free(objectId: string): void;
  cancel(objectId: string, force: boolean): void;
  waitFor(ids: string[], count: number, timeoutMs: number | null): Promise<Set<string>>;
}
