/**
 * The coordinator's driver: it feeds events to the pure scheduler and carries
 * out the commands that come back.
 *
 *   job code ─ submit ─▶ scheduler.step ─ runTask ─▶ mesh.send(worker)
 *   worker ─ taskDone ─▶ object table (settle refs) ─▶ scheduler.step ─ …
 *
 * Tasks' own cluster calls (ctx.remote/get/put/wait) arrive as nested*
 * messages and are handled in nested.ts with the same methods the job uses.
 */
import {
  DEFAULT_OPTIONS,
  FETCH_KEY,
  ShoalError,
  hashSource,
  randomId,
  type ControlMessage,
  type FetchSpec,
  type PeerInfo,
  type RemoteError,
  type RemoteOptions,
  type WorkerSummary,
} from '@shoal/protocol';
import {
  createState,
  explainPending,
  step,
  taskInfo,
  workerLoad,
  type FailureKind,
  type Resources,
  type SchedulerEvent,
  type SchedulerState,
} from '@shoal/scheduler';
import { Emitter, type Mesh } from '@shoal/transport';
import { resolveArgs, wireRefIds } from './argsCodec.ts';
import { Actors } from './actors.ts';
import { CoordinatorObjects, type MemoryReport } from './coordinatorObjects.ts';
import { packValue, type Packed } from '@shoal/objects';
import { Holders } from './holders.ts';
import { offeredResources, resourcesOf, sizeOf } from './sizes.ts';
import { handoverFor, type Handover } from './handover.ts';
import { TaskLineage } from './lineage.ts';
import { HEARTBEAT_TIMEOUT_MS, Watchdog } from './watchdog.ts';
import { handleWorkerMessage } from './workerMessages.ts';
import { executeCommand } from './commands.ts';
import { summarize } from './taskEvents.ts';
import { Speculation } from './speculation.ts';
import { Verifier } from './verify.ts';
import { ObjectTable, waitForSettled } from './objectTable.ts';
import { taskError, taskStatusOf, type TaskStatus } from './taskStatus.ts';

export type { WorkerEntry, TaskEntry, TaskLog, CoordinatorOptions, WorkerLossReason, CoordinatorEvents } from './coordinatorTypes.ts';
import type { WorkerEntry, TaskEntry, CoordinatorOptions, WorkerLossReason, CoordinatorEvents } from './coordinatorTypes.ts';

export class Coordinator extends Emitter<CoordinatorEvents> {
  readonly objects = new ObjectTable();
  readonly scheduler: SchedulerState = createState();
  readonly tasks = new Map<string, TaskEntry>();
  readonly holders = new Holders((id) => this.apply({ type: 'objectReleased', objectId: id }));
  /** Finished tasks' entries, kept as lineage to remake lost outputs (lineage.ts). */
  readonly lineage = new TaskLineage();
  private readonly watchdog: Watchdog;
  /** Workers that said `leaving`, while their objects are copied off them (handover.ts). */
  readonly handover: Handover;
  private readonly workersById = new Map<string, WorkerEntry>();
  private readonly functions = new Map<string, { name: string; source: string }>();
  /** Names of failed tasks, which their dependents' errors cite. */
  readonly failedNames = new Map<string, string>();
  private readonly prefix = randomId(6);
  private counter = 0;
  /** Control messages refused (malformed, or not allowed from that peer). */
  rejected = 0;
  /** The job running now, for worker pages (`setJob`); undefined before the first. */
  private job: { name: string; codeHash: string } | null | undefined = undefined;
  /** Unfinished tasks that asked for a GPU (for `gpu: 'prefer'`). */
  private readonly gpuTasks = new Set<string>();
  /** The coordinator's object store, and fetching and releasing objects held by workers. */
  readonly plane: CoordinatorObjects;
  /** Finds straggling runs of speculative tasks (speculation.ts). */
  readonly speculation: Speculation = new Speculation(this);
  /** Compares the results of `verify` tasks' runs (verify.ts). */
  readonly verifier: Verifier = new Verifier(this);
  /** Whether tasks that do not say get speculative execution (`CoordinatorOptions.speculation`). */
  speculationDefault = false;
  /** Live actors and their calls (actors.ts). */
  readonly actors: Actors = new Actors(this);

  constructor(
    readonly mesh: Mesh,
    options: CoordinatorOptions = {},
  ) {
    super();
    this.watchdog = new Watchdog(options.heartbeatTimeoutMs ?? HEARTBEAT_TIMEOUT_MS, (peerId) => this.workerGone(peerId, 'silent'));
    this.handover = handoverFor(this);
    this.speculationDefault = options.speculation ?? false;
    this.plane = new CoordinatorObjects(mesh, this.objects, (objectId, size) => this.apply({ type: 'objectStored', objectId, size, workerId: null }));
    mesh.on('peerOpen', (peer) => {
      if (peer.role === 'worker') {
        this.workersById.set(peer.peerId, { info: peer, caps: null, tasksDone: 0, defined: new Set() });
        this.watchdog.beat(peer.peerId);
      }
      this.emit('workersChanged');
    });
    mesh.on('peerClosed', (peer) => this.workerGone(peer.peerId, 'closed'));
    mesh.on('message', (from, message) => this.receive(from, message));
    mesh.on('badMessage', (from, error) => this.refuse(from, error.message));
  }

  /** Registers a function's source; its id is a hash of the source, so it ships once per worker. */
  registerFunction(name: string, source: string): string {
    const fnId = hashSource(source);
    if (!this.functions.has(fnId)) this.functions.set(fnId, { name, source });
    return fnId;
  }

  hasFunction(fnId: string): boolean {
    return this.functions.has(fnId);
  }

  newId(): string {
    return `${this.prefix}-${(++this.counter).toString(36)}`;
  }

  /**
   * Submits a task whose arguments are already in wire form. Returns its output
   * ids. Throws ERR_OBJECT_LOST for a ref this cluster does not know.
   */
  submit(taskId: string, fnId: string, name: string, wireArgs: unknown[], options: RemoteOptions, parentTaskId: string | null = null, actor: { actorId: string; killedWorkersLimit: number } | null = null): string[] {
    const deps = [...wireRefIds(wireArgs)];
    for (const dep of deps) {
      if (!this.objects.has(dep)) throw new ShoalError('ERR_OBJECT_LOST', `cannot call '${name}': an argument refers to object ${dep}, which this cluster does not know (freed, or from another cluster)`);
    }
    const numReturns = options.numReturns ?? DEFAULT_OPTIONS.numReturns;
    const outputs = numReturns === 1 ? [taskId] : Array.from({ length: numReturns }, (_, i) => `${taskId}.${i}`);
    this.tasks.set(taskId, { fnId, name, args: wireArgs, outputs, timeoutMs: options.timeout ?? null, parentTaskId, infeasible: null, progress: null, ...(actor ? { actorId: actor.actorId } : {}) });
    for (const output of outputs) this.objects.pending(output, taskId);
    this.emit('task', { kind: 'submitted', t: Date.now(), taskId, name, deps, parentTaskId });
    const resources = resourcesOf(options, () => this.gpuWorkerCount() > this.gpuTasks.size);
    if (resources.gpu > 0) this.gpuTasks.add(taskId);
    const verify = options.verify ?? 1;
    const speculative = verify === 1 && (options.speculation ?? this.speculationDefault);
    if (speculative) this.speculation.track(taskId, fnId);
    this.verifier.track(taskId, verify);
    this.apply({
      type: 'taskSubmitted',
      task: {
        taskId,
        group: fnId,
        outputs,
        deps,
        resources,
        priority: options.priority ?? DEFAULT_OPTIONS.priority,
        maxRetries: options.maxRetries ?? DEFAULT_OPTIONS.maxRetries,
        retryExceptions: options.retryExceptions ?? DEFAULT_OPTIONS.retryExceptions,
        ...(speculative ? { speculative } : {}),
        ...(verify > 1 ? { verify } : {}),
        ...(actor ? { killedWorkersLimit: actor.killedWorkersLimit } : {}),
      },
    });
    return outputs;
  }

  /**
   * Stores a wire-form value made outside any task: inline if small, else in
   * this tab's object store. `broadcast` also copies it to every worker.
   * Throws ERR_NOT_SERIALIZABLE for what cannot be stored.
   */
  put(objectId: string, wireValue: unknown, broadcast = false): void {
    this.putPacked(objectId, packValue(wireValue), broadcast);
  }

  /** `put` for a value already packed (@shoal/objects' packValue decided how it travels). */
  putPacked(objectId: string, packed: Packed, broadcast = false): void {
    if (packed.inline) {
      this.objects.resolve(objectId, packed.value);
      this.holdContained(objectId, wireRefIds(packed.value));
      this.apply({ type: 'objectStored', objectId, size: sizeOf(packed.value), workerId: null });
      return;
    }
    const { size, refs } = this.plane.keep(objectId, packed);
    this.objects.resolveStored(objectId, size, this.mesh.peerId);
    this.holdContained(objectId, refs);
    this.apply({ type: 'objectStored', objectId, size, workerId: null });
    if (broadcast) this.plane.broadcast(objectId, size, this.workers().map((worker) => worker.peerId));
  }

  /** An object a task put that stayed in its worker's store. */
  putStored(objectId: string, size: number, refs: readonly string[], workerId: string): void {
    this.objects.resolveStored(objectId, size, workerId);
    this.holdContained(objectId, refs);
    this.apply({ type: 'objectStored', objectId, size, workerId });
  }

  /** Refs inside a stored value keep their objects alive as long as the value lives. */
  /** @internal */
  holdContained(objectId: string, refs: Iterable<string>): void {
    // Keyed apart from task ids: an output's id is its task's id when numReturns is 1, and the task's own holds go when it ends.
    for (const id of refs) this.holders.holdForParent(id, `object:${objectId}`);
  }

  /** `free()`: the value goes once queued consumers are done; get() fails from now on. */
  free(objectId: string): void {
    this.objects.markFreed(objectId);
    this.holders.releaseAll(objectId);
  }

  cancel(objectId: string, force: boolean): void {
    const taskId = this.objects.producer(objectId);
    if (taskId) this.apply({ type: 'taskCancelled', taskId, force });
  }

  waitFor(ids: string[], count: number, timeoutMs: number | null): Promise<Set<string>> {
    return waitForSettled(this.objects, ids, count, timeoutMs);
  }

  taskStatus(objectId: string): TaskStatus {
    return taskStatusOf(this, objectId);
  }

  explainPending(taskId: string): string | null {
    return explainPending(this.scheduler, taskId);
  }

  workers(): WorkerSummary[] {
    const summaries: WorkerSummary[] = [];
    for (const worker of this.workersById.values()) {
      if (!worker.caps) continue;
      const running = workerLoad(this.scheduler, worker.info.peerId)?.assigned ?? 0;
      const store = this.plane.workerStats.get(worker.info.peerId) ?? null;
      summaries.push({ peerId: worker.info.peerId, name: worker.info.name, state: running > 0 ? 'busy' : 'idle', caps: worker.caps, running, tasksDone: worker.tasksDone, store, paused: worker.paused === true });
    }
    return summaries;
  }

  private gpuWorkerCount(): number {
    let count = 0;
    for (const worker of this.workersById.values()) if (worker.caps?.gpu) count += 1;
    return count;
  }

  memory(): MemoryReport[] {
    return this.plane.memory(new Map(this.workers().map((worker) => [worker.peerId, worker.name ?? worker.peerId])));
  }

  /** Resolves once `count` workers have said hello. */
  waitForWorkers(count: number, timeoutMs: number): Promise<void> {
    if (this.workers().length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new ShoalError('ERR_TIMEOUT', `only ${this.workers().length} of ${count} workers joined within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.on('workersChanged', () => {
        if (this.workers().length < count) return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  /** Sends a message to a worker if it is still connected. */
  /**
   * The job running now (null: none), for worker pages to show their
   * volunteers: sent to every worker now, and to each that joins while it runs.
   */
  setJob(job: { name: string; codeHash: string } | null): void {
    this.job = job;
    for (const worker of this.workersById.values()) if (worker.caps) this.sendJobInfo(worker.info.peerId);
  }

  /** Tells one worker which job runs (nothing while none has run). */
  sendJobInfo(workerId: string): void {
    if (this.job !== undefined) this.sendTo(workerId, { type: 'jobInfo', job: this.job });
  }

  sendTo(workerId: string, message: ControlMessage): void {
    if (this.mesh.isOpen(workerId)) this.mesh.send(workerId, message);
  }

  apply(event: SchedulerEvent): void {
    for (const command of step(this.scheduler, event)) executeCommand(this, command);
  }

  /** @internal Sends a task (or an actor's start) to the worker the scheduler chose. */
  runTask(taskId: string, workerId: string, attempt: number): void {
    const task = this.tasks.get(taskId);
    const worker = this.workersById.get(workerId);
    if (!task || !worker || this.handover.isDraining(workerId)) return; // a draining worker's runs are retried when it goes
    try {
      if (!worker.defined.has(task.fnId)) {
        const fn = this.functions.get(task.fnId)!;
        this.mesh.send(workerId, { type: 'defineFn', fnId: task.fnId, name: fn.name, source: fn.source });
        worker.defined.add(task.fnId);
      }
      if (task.actorId) {
        this.actors.place(task.actorId, taskId, workerId, attempt, task.fnId);
        return this.emit('task', { kind: 'dispatched', t: Date.now(), taskId, workerId, attempt, fetchBytes: 0 });
      }
      const { args, fetch } = this.argsFor(task.args, workerId);
      this.mesh.send(workerId, {
        type: 'runTask',
        taskId,
        fnId: task.fnId,
        args,
        ...(fetch.length > 0 ? { fetch } : {}),
        attempt,
        numReturns: task.outputs.length,
        timeoutMs: task.timeoutMs,
        ...(this.verifier.wants(taskId) ? { checksum: true as const } : {}),
      });
      this.emit('task', { kind: 'dispatched', t: Date.now(), taskId, workerId, attempt, fetchBytes: fetch.reduce((sum, spec) => sum + spec.size, 0) });
    } catch (thrown) {
      const error = thrown instanceof ShoalError ? thrown.toRemote() : { name: 'Error', message: String(thrown) };
      if (error.code === 'ERR_UNKNOWN_PEER') return this.workerGone(workerId, 'unreachable');
      queueMicrotask(() => this.apply({ type: 'taskFailed', taskId, workerId, error, kind: 'exception' }));
    }
  }

  /**
   * Values for `forPeer` in place of the refs in `wire`: inline values as they
   * are, stored objects as `{"$shoalFetch": id}` with where to fetch them.
   */
  argsFor<T>(wire: T, forPeer: string): { args: T; fetch: FetchSpec[] } {
    const fetch = new Map<string, FetchSpec>();
    const args = resolveArgs(wire as unknown[], (id) => {
      const located = this.objects.value(id);
      if (located.kind === 'inline') return located.value;
      if (!fetch.has(id)) fetch.set(id, this.plane.fetchSpec(id, located, forPeer));
      return { [FETCH_KEY]: id };
    }) as T;
    return { args, fetch: [...fetch.values()] };
  }

  /** @internal */
  failTask(taskId: string, error: RemoteError, upstream: string | null): void {
    const task = this.tasks.get(taskId);
    if (!task) return;
    this.failedNames.set(taskId, task.name);
    if (task.actorId) this.actors.ended(task.actorId, error);
    const shoalError = taskError(task.name, error, upstream === null ? null : this.failedNames.get(upstream) ?? upstream, taskId);
    for (const output of task.outputs) this.objects.reject(output, shoalError);
    const killedActor = task.actorId !== undefined && error.code === 'ERR_CANCELLED';
    if (killedActor) {
      // An actor killed (by the job, or as its job ended) is its normal end, not an error for the dashboard.
      this.emit('task', { kind: 'finished', t: Date.now(), taskId, workerId: taskInfo(this.scheduler, taskId)?.workerId ?? '', durationMs: 0, bytes: 0 });
      return this.finishTask(taskId, task, false);
    }
    this.emit('task', {
      kind: 'failed',
      t: Date.now(),
      taskId,
      name: task.name,
      workerId: error.workerId ?? null,
      error: { code: shoalError.code, message: shoalError.message, stack: shoalError.stack, remoteStack: error.stack },
      args: summarize(task.args),
    });
    this.finishTask(taskId, task, false);
  }

  /** @internal */
  finishTask(taskId: string, task: TaskEntry, ok: boolean): void {
    this.tasks.delete(taskId);
    this.gpuTasks.delete(taskId);
    if (ok) this.lineage.keep(taskId, task);
    this.holders.releaseChildren(taskId);
    this.emit('taskEnded', taskId, ok);
  }

  private receive(from: PeerInfo, message: ControlMessage): void {
    const worker = this.workersById.get(from.peerId);
    if (!worker) {
      if (message.type === 'leaving' || message.type === 'heartbeat') return; // a worker already dropped, saying goodbye
      return this.refuse(from, `'${message.type}' from a peer that is not a worker`);
    }
    this.watchdog.beat(from.peerId);
    handleWorkerMessage(this, worker, message);
  }

  /** @internal Emits an event (for workerMessages.ts). */
  notify<K extends keyof CoordinatorEvents>(event: K, ...args: CoordinatorEvents[K]): void {
    this.emit(event, ...args);
  }

  /** @internal */
  /** `graceful`: it left after a handover, so its runs' retries do not count it as killed (scheduler `killedWorkersLimit`). */
  workerGone(peerId: string, reason: WorkerLossReason, graceful = false): void {
    if (!this.workersById.delete(peerId)) return;
    this.watchdog.forget(peerId);
    this.handover.forget(peerId);
    this.plane.peerLeft(peerId);
    // The scheduler decides what its last copies mean: remade from lineage (reconstructTask) or lost (objectLost).
    this.objects.dropLocation(peerId);
    this.actors.workerLost(peerId);
    this.apply({ type: 'workerLost', workerId: peerId, graceful });
    this.emit('workerLost', peerId, reason);
    this.emit('workersChanged');
  }

  /** @internal */
  refuse(from: PeerInfo, reason: string): void {
    this.rejected += 1;
    this.emit('rejected', from, reason);
  }
}
