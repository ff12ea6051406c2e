/**
 * A pool of Web Workers driven through comlink.
 *
 * - At most `size` tasks are active at once. A task waiting in ctx.get/wait
 *   is not active: its Web Worker's thread is free, so more tasks may run there.
 * - Queued tasks go out in batches (one message for many short tasks).
 * - A task with a timeout runs alone in its Web Worker; past the timeout the
 *   Web Worker is terminated and replaced. A forced cancel does the same.
 *   Other tasks caught in a terminated Web Worker are queued again, not lost.
 * - Functions are defined once per Web Worker, before their first run.
 * - Runaway caps (the volunteer's, `PoolLimits`; README.md "Runaway caps"):
 *   a Web Worker whose unblocked tasks make no progress for `taskMs` (a task
 *   runs that long), or whose binary memory passes `memoryBytes`
 *   (memoryGuard.ts), is terminated: its one running task fails with
 *   ERR_TASK_RUNAWAY or ERR_TASK_MEMORY. If several could be to blame, all
 *   are queued again to run alone, so the next stop names the right one.
 * - `resize` changes how many tasks may be active at once (the core cap).
 * - Web Workers start with the first tasks (or `warm`), not with the pool.
 */
import { proxy, transfer, wrap, type Remote } from 'comlink';
import { FETCH_FAILED_PREFIX, type ErrorCode, type GpuInfo, type TaskResult } from '@shoal/protocol';
import type { RunOutcome, TaskHost } from './host.ts';
import type { RunRequest, TaskWorkerApi } from './taskWorker.ts';

export interface PoolTask {
  taskId: string;
  fnId: string;
  fnName: string;
  fnSource: string;
  args: unknown[];
  /**
   * Fresh copies of the stored inputs' bytes, by object id (all but `skip`),
   * made when a Web Worker is handed the task and moved into it by transfer
   * (so a task requeued after its Web Worker died can be handed them again).
   * workerObjects.ts's maker also carries `ids`, naming every input, and `lent`, naming those whose
   * bytes are the store's own, lent: the Web Worker gives them back with the outcome (`returned`).
   */
  blobs?: (skip?: ReadonlySet<string>) => Record<string, ArrayBuffer>;
  attempt: number;
  numReturns: number;
  timeoutMs: number | null;
  /** Report an xxHash32 of each stored output (for `verify`). */
  checksum?: boolean;
  /** Called when a Web Worker is handed the task. */
  onStart?: () => void;
}

export interface PoolOutcome {
  result: TaskResult;
  durationMs: number;
  /** Stored outputs' encoded bytes, one per `result.stored` entry. */
  buffers?: ArrayBuffer[];
  /** Lent inputs' bytes the Web Worker gave back, by object id (see PoolTask.blobs). */
  returned?: Record<string, ArrayBuffer>;
}

/** The page's side of the host, minus what the pool handles itself. */
export type PoolHost = Omit<TaskHost, 'done' | 'setBlocked' | 'memoryExceeded'> & { blocked(taskId: string, blocked: boolean): void };

/** The volunteer's runaway caps; null or absent: no cap. */
export interface PoolLimits {
  /** Longest a task may run (wall time, while not blocked in ctx.get/wait), in ms. */
  taskMs?: number | null;
  /** Most binary memory (ArrayBuffers, typed arrays) live in one Web Worker, in bytes. */
  memoryBytes?: number | null;
}

interface Entry {
  task: PoolTask;
  settle: (outcome: PoolOutcome) => void;
  timer?: ReturnType<typeof setTimeout>;
  /** Caught in a runaway Web Worker with others: runs alone from now on, so a cap names the right task. */
  alone?: boolean;
}

interface Slot {
  index: number;
  worker: Worker;
  remote: Remote<TaskWorkerApi>;
  defined: Set<string>;
  tasks: Map<string, Entry>;
  blocked: Set<string>;
  /** Runs a task with a timeout, which must be alone in its Web Worker. */
  exclusive: boolean;
  /** The runaway clock: fires `limits.taskMs` after the slot last made progress with unblocked tasks. */
  clock?: ReturnType<typeof setTimeout>;
  /** When the slot last made progress (`arm`), in `performance.now()` ms: the clock checks it when it fires. */
  progressAt: number;
  /** Object ids its engine keeps as tables (Engine.keep), as of its last finished batch. */
  kept: ReadonlySet<string>;
  /** Functions that take kept inputs as refs (ctx.acceptKeptInputs()). */
  acceptKept: ReadonlySet<string>;
}

/** The object ids of a task's inputs lent by the store, once its maker has run (see PoolTask.blobs). */
function lentIds(task: PoolTask): readonly string[] {
  return (task.blobs as { lent?: readonly string[] } | undefined)?.lent ?? [];
}

/** The object ids of a task's stored inputs (see PoolTask.blobs). */
function inputIds(task: PoolTask): readonly string[] {
  return (task.blobs as { ids?: readonly string[] } | undefined)?.ids ?? [];
}

const MAX_BATCH = 64;

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Entry[] = [];
  private spawned = 0;
  private closed = false;

  constructor(
    /** Tasks active at once (see `resize`). */
    public size: number,
    private readonly workerId: string,
    private readonly host: PoolHost,
    /** The worker's GPU adapter, or null: tasks then get `ctx.gpu === null`. */
    private readonly gpuInfo: GpuInfo | null = null,
    private readonly limits: PoolLimits = {},
  ) {}

  /**
   * Starts a Web Worker now if the pool has none, so the first task does not
   * wait for one (the page calls it when a job starts). The pool otherwise
   * starts its Web Workers with its first tasks: a tab that joins and sits in
   * the room costs no Web Worker (a V8 isolate and the task bundle) until
   * work comes.
   */
  warm(): void {
    if (!this.closed && this.slots.length === 0) this.slots.push(this.spawn());
  }

  /** Tasks running and not blocked. */
  get active(): number {
    return this.slots.reduce((sum, slot) => sum + slot.tasks.size - slot.blocked.size, 0);
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Runs a task (queueing it if the pool is full). Never rejects. */
  run(task: PoolTask): Promise<PoolOutcome> {
    return new Promise((settle) => {
      this.queue.push({ task, settle });
      this.pump();
    });
  }

  /** Cancels a queued or running task; `force` terminates a running task's Web Worker. */
  cancel(taskId: string, force: boolean): void {
    const queued = this.queue.findIndex((entry) => entry.task.taskId === taskId);
    if (queued >= 0) {
      const [entry] = this.queue.splice(queued, 1);
      return entry!.settle(failure('ERR_CANCELLED', 'the task was cancelled before it started', this.workerId));
    }
    const slot = this.slots.find((candidate) => candidate.tasks.has(taskId));
    if (!slot) return;
    if (!force) return void slot.remote.abort(taskId);
    this.kill(slot, taskId, failure('ERR_CANCELLED', 'the task was cancelled (forced): its Web Worker was terminated', this.workerId));
  }

  terminate(): void {
    this.closed = true;
    for (const slot of this.slots.splice(0)) {
      slot.worker.terminate();
      for (const entry of slot.tasks.values()) entry.settle(failure('ERR_CANCELLED', 'the worker is shutting down', this.workerId));
    }
    for (const entry of this.queue.splice(0)) entry.settle(failure('ERR_CANCELLED', 'the worker is shutting down', this.workerId));
  }

  /** Sets how many tasks may be active at once; running ones go on, idle Web Workers beyond it close. */
  resize(size: number): void {
    this.size = Math.max(1, Math.floor(size));
    for (const slot of [...this.slots]) {
      if (this.slots.length <= this.size) break;
      if (slot.tasks.size > 0) continue;
      this.slots.splice(this.slots.indexOf(slot), 1);
      slot.worker.terminate();
    }
    this.pump();
  }

  /**
   * The slot made progress: its runaway clock starts again from now while it
   * has unblocked tasks. Lazily: the one timer, when it fires, looks at when
   * the slot last made progress and waits out the rest, rather than a timer
   * cleared and set again for every batch of short tasks.
   */
  private arm(slot: Slot): void {
    slot.progressAt = performance.now();
    const capMs = this.limits.taskMs;
    if (capMs === null || capMs === undefined || slot.clock !== undefined || slot.tasks.size === slot.blocked.size) return;
    slot.clock = setTimeout(() => this.clockFired(slot, capMs), capMs);
  }

  private clockFired(slot: Slot, capMs: number): void {
    slot.clock = undefined;
    if (!this.slots.includes(slot) || slot.tasks.size === slot.blocked.size) return; // gone, idle or all blocked: the next arm starts it again
    const left = slot.progressAt + capMs - performance.now();
    if (left > 0) slot.clock = setTimeout(() => this.clockFired(slot, capMs), left);
    else this.overCap(slot, 'ERR_TASK_RUNAWAY', runawayMessage(capMs));
  }

  /**
   * A cap was hit in `slot`: with one unblocked task it is to blame and fails
   * with `code`; with several, all run again alone (see the header).
   */
  private overCap(slot: Slot, code: 'ERR_TASK_RUNAWAY' | 'ERR_TASK_MEMORY', message: string): void {
    if (!this.slots.includes(slot)) return;
    const running = [...slot.tasks.keys()].filter((id) => !slot.blocked.has(id));
    if (running.length === 1) return this.kill(slot, running[0]!, failure(code, message, this.workerId));
    for (const entry of slot.tasks.values()) entry.alone = true;
    this.kill(slot, '', failure(code, message, this.workerId));
  }

  private pump(): void {
    while (!this.closed && this.queue.length > 0) {
      const free = this.size - this.active;
      if (free <= 0) return;
      const idle = (candidate: Slot) => !candidate.exclusive && candidate.tasks.size === candidate.blocked.size;
      // A free Web Worker whose engine keeps the next task's inputs first: they need not be copied, sent or loaded.
      const wanted = inputIds(this.queue[0]!.task);
      let slot = (wanted.length > 0 ? this.slots.find((candidate) => idle(candidate) && wanted.some((id) => candidate.kept.has(id))) : undefined) ?? this.slots.find(idle);
      if (!slot) this.slots.push((slot = this.spawn()));
      const batch: Entry[] = [];
      if (runsAlone(this.queue[0]!)) {
        batch.push(this.queue.shift()!);
        slot.exclusive = true;
      } else {
        const take = Math.min(MAX_BATCH, Math.ceil(this.queue.length / free));
        while (batch.length < take && this.queue.length > 0 && !runsAlone(this.queue[0]!)) batch.push(this.queue.shift()!);
      }
      this.dispatch(slot, batch);
    }
  }

  private dispatch(slot: Slot, batch: Entry[]): void {
    const requests: RunRequest[] = [];
    const transfers: ArrayBuffer[] = [];
    for (const entry of batch) {
      const { task } = entry;
      const asRefs = slot.acceptKept.has(task.fnId) ? inputIds(task).filter((id) => slot.kept.has(id)) : [];
      let blobs: Record<string, ArrayBuffer> | undefined;
      try {
        blobs = task.blobs?.(asRefs.length > 0 ? new Set(asRefs) : undefined);
      } catch (error) {
        // An input consumed by an earlier run of this task (run again after its Web Worker died): the
        // coordinator was told, and retries it once the input is fetched elsewhere or made again.
        const message = error instanceof Error ? error.message : String(error);
        entry.settle(failure('ERR_OBJECT_LOST', `${FETCH_FAILED_PREFIX} ${task.taskId}: ${message}`, this.workerId));
        continue;
      }
      if (!slot.defined.has(task.fnId)) {
        void slot.remote.define(task.fnId, task.fnName, task.fnSource); // ordered before run on the same port
        slot.defined.add(task.fnId);
      }
      slot.tasks.set(task.taskId, entry);
      if (task.timeoutMs !== null) {
        const ms = task.timeoutMs;
        entry.timer = setTimeout(() => this.kill(slot, task.taskId, failure('ERR_TIMEOUT', `the task ran past its timeout of ${ms} ms; its Web Worker was terminated`, this.workerId)), ms);
      }
      task.onStart?.();
      const lend = lentIds(task);
      requests.push({ taskId: task.taskId, fnId: task.fnId, args: task.args, blobs, attempt: task.attempt, numReturns: task.numReturns, checksum: task.checksum ?? false, ...(asRefs.length > 0 ? { asRefs } : {}), ...(lend.length > 0 ? { lend: [...lend] } : {}) });
      if (blobs) transfers.push(...Object.values(blobs));
    }
    if (requests.length === 0) return this.pump(); // every one of them failed above
    this.arm(slot);
    slot.remote.run(transfers.length === 0 ? requests : transfer(requests, transfers)).then((summary) => {
      slot.kept = new Set(summary.kept);
      slot.acceptKept = new Set(summary.acceptKept);
    }, (error: unknown) => {
      // The arguments could not be cloned, or the Web Worker died.
      const message = error instanceof Error ? error.message : String(error);
      this.finish(slot, requests.map((request) => ({ taskId: request.taskId, ...failure('ERR_TASK_FAILED', `the task could not run in a Web Worker: ${message}`, this.workerId) })));
    });
  }

  private finish(slot: Slot, outcomes: RunOutcome[]): void {
    for (const outcome of outcomes) {
      const entry = slot.tasks.get(outcome.taskId);
      if (!entry) continue;
      clearTimeout(entry.timer);
      slot.tasks.delete(outcome.taskId);
      slot.blocked.delete(outcome.taskId);
      entry.settle({ result: outcome.result, durationMs: outcome.durationMs, ...(outcome.buffers ? { buffers: outcome.buffers } : {}), ...(outcome.returned ? { returned: outcome.returned } : {}) });
    }
    if (slot.tasks.size === 0) slot.exclusive = false;
    this.arm(slot);
    this.pump();
  }

  /** Terminates a slot's Web Worker: `taskId` gets `outcome`, the others are queued again. */
  private kill(slot: Slot, taskId: string, outcome: PoolOutcome): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    slot.worker.terminate();
    clearTimeout(slot.clock);
    for (const [id, entry] of slot.tasks) {
      clearTimeout(entry.timer);
      if (slot.blocked.has(id)) this.host.blocked(id, false);
      if (id === taskId) entry.settle(outcome);
      else this.queue.unshift(entry);
    }
    // Replies the dead Web Worker had already posted must find nothing to settle.
    slot.tasks.clear();
    slot.blocked.clear();
    this.pump(); // starts a Web Worker for whatever is queued again
  }

  private spawn(): Slot {
    const index = ++this.spawned;
    const worker = new Worker(new URL('./taskWorker.ts', import.meta.url), { type: 'module', name: `shoal-task-${index}` });
    const remote = wrap<TaskWorkerApi>(worker);
    const slot: Slot = { index, worker, remote, defined: new Set(), tasks: new Map(), blocked: new Set(), exclusive: false, progressAt: performance.now(), kept: new Set(), acceptKept: new Set() };
    const host: TaskHost = {
      ...this.host,
      done: (outcomes) => this.finish(slot, outcomes),
      memoryExceeded: (liveBytes) => this.overCap(slot, 'ERR_TASK_MEMORY', memoryMessage(this.limits.memoryBytes ?? 0, liveBytes)),
      setBlocked: (taskId, blocked) => {
        if (!slot.tasks.has(taskId) || slot.blocked.has(taskId) === blocked) return;
        if (blocked) slot.blocked.add(taskId);
        else slot.blocked.delete(taskId);
        this.arm(slot);
        this.host.blocked(taskId, blocked);
        this.pump();
      },
    };
    void remote.init(proxy(host), this.workerId, `${this.workerId}.${index}.`, this.gpuInfo, this.limits.memoryBytes ?? null);
    worker.addEventListener('error', (event) => {
      // An uncaught error in a task's callback: the Web Worker lives on.
      const only = slot.tasks.size === 1 ? [...slot.tasks.keys()][0]! : '';
      this.host.log(only, 'error', `uncaught error in a task's Web Worker: ${event.message}`);
    });
    return slot;
  }
}

/** A task with a timeout, or one caught in a runaway Web Worker with others, runs alone in its Web Worker. */
function runsAlone(entry: Entry): boolean {
  return entry.task.timeoutMs !== null || entry.alone === true;
}

function runawayMessage(capMs: number): string {
  return `the task ran for more than this worker's cap of ${capMs / 1000} s per task, so its Web Worker was terminated (the cap stops runaway code on volunteers' machines, whether or not the task sets a timeout). Make the task shorter (split it into smaller tasks), or run it on workers whose join link sets a higher taskSeconds=<seconds>`;
}

function memoryMessage(capBytes: number, liveBytes: number): string {
  const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;
  return `the task allocated more binary memory (ArrayBuffers, typed arrays: ${mib(liveBytes)} live) than this worker's cap of ${mib(capBytes)}, so its Web Worker was terminated. Use less memory per task (smaller partitions), or run it on workers whose join link sets a higher taskMemory=<MiB>`;
}

function failure(code: ErrorCode, message: string, workerId: string): PoolOutcome {
  return { result: { ok: false, error: { name: 'ShoalError', code, message, workerId } }, durationMs: 0 };
}
