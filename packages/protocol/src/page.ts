/**
 * The contract between Node tools (the `shoal` CLI, e2e helpers) and the pages
 * they drive through Playwright. The coordinator page sets
 * `window.shoalCoordinator`; the worker page sets `window.shoalWorker`.
 * Everything here crosses `page.evaluate`, so it is plain data.
 */
import type { ErrorCode, RemoteError } from './errors.ts';
import type { Capabilities, StoreStats } from './wire.ts';

export type JobOutcome =
  | { ok: true; result: unknown; elapsedMs: number }
  | { ok: false; error: { code: ErrorCode; message: string; stack?: string | undefined; remote?: RemoteError | undefined }; elapsedMs: number };

export type WorkerState = 'connecting' | 'idle' | 'busy' | 'lost';

export interface WorkerSummary {
  peerId: string;
  name?: string | undefined;
  state: WorkerState;
  caps: Capabilities | null;
  running: number;
  tasksDone: number;
  /** Its object store's figures, as last reported (null until the first report). */
  store: StoreStats | null;
  /** Its volunteer paused it: it takes no new tasks. */
  paused?: boolean;
}

/** Bytes a tab moved: control messages, and objects served to and fetched from peers. */
export interface Traffic {
  controlBytesIn: number;
  controlBytesOut: number;
  objectsServed: number;
  objectBytesServed: number;
  objectsFetched: number;
  objectBytesFetched: number;
  /** How this tab reaches each peer's object bytes: the in-browser channel or WebRTC data channels. */
  bulkPaths: Record<string, 'colocated' | 'webrtc'>;
}

export interface CoordinatorPageApi {
  /** This tab's peer id once it has joined the room, else null. */
  peerId(): string | null;
  /** Workers whose data channel is open and who said hello. */
  workers(): WorkerSummary[];
  /** Resolves when at least `count` workers are ready; rejects with ERR_TIMEOUT. */
  waitForWorkers(count: number, timeoutMs: number): Promise<void>;
  /** Imports `source` (an ES module) and runs its default export with the cluster; `label` names it (on worker pages too). */
  runJob(source: string, label?: string): Promise<JobOutcome>;
  /** What this tab has sent and received so far. */
  traffic(): Traffic;
  /** The last finished job's history as the dashboard exports it (one JSON file), or null. */
  lastJobRecord?(): string | null;
  /** Every actor's life so far, in order: created (pending), alive, restarting, dead. */
  actorLog?(): Array<{ t: number; actorId: string; className: string; state: 'pending' | 'alive' | 'restarting' | 'dead'; workerId: string | null; reason?: string }>;
  /**
   * Task counts per name that changed after `since` (0: all), as totals since
   * the page loaded, with the `seq` to pass next time. `shoal run` polls it
   * for its progress bars.
   */
  taskProgress?(since: number): TaskProgressUpdate;
  /** The operators of the newest `cluster.data` run (sources first), for `shoal run`'s progress bars; [] before any. */
  datasetProgress?(): DatasetOperatorProgress[];
  /** What the dashboard shows now (for tests; the coordinator page's dashboard provides it). */
  dashboard?(): DashboardSnapshot;
  /** Where a task's bar is on the task stream canvas (CSS px inside it), if in view. */
  dashboardBarAt?(taskId: string): { x: number; y: number } | null;
  /** The DataFrame queries the dashboard's Queries view lists, oldest first. */
  queries?(): QueryRecordSummary[];
  /**
   * Adds (or, same id in the current job, replaces) a query record as if the
   * running job's DataFrame session had published it (a @shoal/dataframe
   * `QueryRecord`): for tests of the Queries view.
   */
  recordQuery?(record: object): void;
}

/** One DataFrame action (collect, count, write...) as the Queries view lists it. */
export interface QueryRecordSummary {
  /** The job that ran it: its number on this page (1, 2, ...) and its label. */
  job: number;
  jobLabel: string;
  /** The query's id within that job's session (1, 2, ...). */
  id: number;
  action: string;
  state: 'running' | 'done' | 'failed';
  ms: number;
  /** Rows the last (root) stage put out: the result's rows. */
  rowsOut: number;
  error: { code: string; message: string; stage?: number } | null;
  stages: Array<{
    stage: number;
    name: string;
    state: 'waiting' | 'running' | 'done' | 'failed';
    tasks: number;
    tasksDone: number;
    /** Rows the stages it reads put out (0 for a stage that reads none: a scan). */
    rowsIn: number;
    rowsOut: number;
    /** Bytes its tasks read from other stages (exchange bytes). */
    bytesIn: number;
    bytesOut: number;
    /** Wall time, and the time inside its task functions summed over its tasks. */
    ms: number;
    taskMs: number;
    /** Input blocks its tasks read in place from their engines' kept tables (a cached DataFrame after its first use). */
    keptBlocks: number;
    /** `taskMs` split into getting and loading inputs, running the SQL, and exporting output blocks. */
    phaseMs: { load: number; run: number; export: number };
    /** The stages it reads and how (shuffle, all, pointwise, concat). */
    reads: Array<{ stage: number; mode: string }>;
    notes: string[];
    error: string | null;
  }>;
}

/** One task name's counts: tasks submitted, finished and failed (for good: retries are not failures). */
export interface TaskNameCounts {
  name: string;
  submitted: number;
  done: number;
  failed: number;
}

/** One operator of a running dataset: its name (its tasks' name), rows out and rows/s so far, blocks running and queued for the next operator. */
export interface DatasetOperatorProgress {
  name: string;
  rowsOut: number;
  rowsPerSec: number;
  running: number;
  queued: number;
  finished: boolean;
}

/** `taskProgress(since)`'s answer: the names whose counts changed after `since`. */
export interface TaskProgressUpdate {
  seq: number;
  names: TaskNameCounts[];
}

/** The coordinator dashboard's state, as plain data. */
export interface DashboardSnapshot {
  /** The history record on show, or null for the live job. */
  viewing: string | null;
  /** The id of the live job (running or last run), if any. */
  liveJobId: string | null;
  running: boolean;
  /** Bars drawn on the task stream canvas since its last full redraw, per worker id. */
  streamBars: Record<string, number>;
  /** Runs the task stream keeps (the newest, at most its cap), and runs it has dropped. */
  streamRuns: { kept: number; dropped: number };
  /** Rows (worker slots) in the task stream. */
  lanes: number;
  /** Per task name. */
  progress: Record<string, { submitted: number; done: number; running: number; queued: number; failed: number }>;
  dag: { mode: 'tasks' | 'groups'; nodes: number; edges: number };
  /** Failed tasks shown in detail in the errors view. */
  errors: number;
  /** Jobs listed in the history view. */
  historyJobs: number;
  /** Rows of the actors view, as drawn: live actors first, then the newest dead ones. */
  actors: Array<{
    actorId: string;
    className: string;
    name: string | null;
    state: 'pending' | 'alive' | 'restarting' | 'dead';
    workerId: string | null;
    /** The worker's name, where the dashboard knows it. */
    workerName: string | null;
    restarts: number;
    callsDone: number;
    /** Of the calls done, those that went peer to peer from a task's worker (not through the coordinator). */
    directCalls: number;
    running: number;
    queued: number;
    /** Why it died (dead actors only). */
    death: string | null;
  }>;
}

export interface WorkerPageStatus {
  peerId: string | null;
  connection: 'joining' | 'connected' | 'left' | 'failed';
  coordinator: 'none' | 'connecting' | 'open';
  tasksRun: number;
  currentTask: string | null;
  store: StoreStats | null;
  traffic: Traffic | null;
  /** The volunteer paused this worker: the coordinator sends it no new tasks. */
  paused: boolean;
  /** Task slots (Web Workers) in use now: the volunteer's core cap. */
  coreCap: number;
  /** The job the coordinator runs now (its name and its source's SHA-256), or null. */
  job: { name: string; codeHash: string } | null;
  /** Runaway caps: a task running longer, or holding more binary memory, is stopped (its Web Worker terminated). */
  taskSeconds: number;
  taskMemoryMiB: number;
}

export interface WorkerPageApi {
  status(): WorkerPageStatus;
  leave(): void;
  /** Takes no new tasks (running ones finish) until `resume`. */
  pause(): void;
  resume(): void;
  /** Uses `cores` task slots from now on (clamped to 1 … the device's cores); answers the cap set. */
  setCores(cores: number): number;
  /** This tab's peer links: on-demand ones against the cap, pinned ones (to the coordinator); null before it joins. */
  links?(): PageLinkStats | null;
}

/** What `WorkerPageApi.links` answers (the transport's LinkStats). */
export interface PageLinkStats {
  cap: number;
  onDemand: number;
  pinned: number;
  maxOnDemand: number;
  opened: number;
  retired: number;
}

declare global {
  interface Window {
    shoalCoordinator?: CoordinatorPageApi;
    shoalWorker?: WorkerPageApi;
  }
}
