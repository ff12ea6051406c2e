/**
 * The coordinator's driver: it feeds events to the pure scheduler and carries
 * out the commands that come back.
 *
 *   job code ─ submit ─▶ scheduler.step ─ commands.ts ─ runTask ─▶ mesh.send(worker)
 *   worker ─ workerMessages.ts: taskDone ─▶ object table (settle refs) ─▶ scheduler.step ─ …
 *
 * Tasks' own cluster calls (ctx.remote/get/put/wait) arrive as nested*
 * messages and are handled in nested.ts with the same methods the job uses.
 *
 * Helpers take the narrow interface they use (coordinatorTypes.ts, or a
 * `…Host` type beside them), never this class, so imports point one way.
 *
 * The worker list is published as batched diffs (`workersDiff`, with
 * `workersChanged` beside it for listeners that redraw everything): a
 * finished task, a store report or a paused worker only marks that worker
 * changed, and one diff per `WORKERS_DIFF_MS` carries them all (workerDiffs.ts).
 * Runs to a worker whose pipeline is deep leave together (dispatchBuffer.ts).
 *
 * A worker declared lost while its link stays open (it fell silent under
 * load, then spoke again) is re-admitted as a fresh worker: its old runs were
 * already retried and its objects remade or lost, so late results from those
 * runs go the late-reply path (ignored by the scheduler, stored copies
 * released), and what it still held is released on it.
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
  type SchedulerEvent,
  type SchedulerState,
  type TaskSpec,
} from '@shoal/scheduler';
import { Emitter, type Mesh } from '@shoal/transport';
import { resolveArgs, wireRefIds } from './argsCodec.ts';
import { Actors, type ActorsHost } from './actors.ts';
import { CoordinatorObjects, type MemoryReport } from './coordinatorObjects.ts';
import { packValue, type Packed } from '@shoal/objects';
import { Holders } from './holders.ts';
import { offeredResources, resourcesOf, sizeOf } from './sizes.ts';
import { Handover } from './handover.ts';
import { TaskLineage } from './lineage.ts';
import { BULK_PATIENCE, BULK_PATIENCE_BYTES, HEARTBEAT_TIMEOUT_MS, Watchdog } from './watchdog.ts';
import { HeartbeatPace } from './heartbeatPace.ts';
import { WorkerDiffs } from './workerDiffs.ts';
import { Transfers } from './transfers.ts';
import { DispatchBuffer } from './dispatchBuffer.ts';
import { Readmission } from './readmission.ts';
import { WorkerRoster, waitForCount, workerSummary } from './workerRoster.ts';
import { handleWorkerMessage, type WorkerMessagesHost } from './workerMessages.ts';
import { executeCommand, type CommandHost } from './commands.ts';
import { summarize } from './taskEvents.ts';
import { Speculation } from './speculation.ts';
import { Verifier } from './verify.ts';
import { ObjectTable, waitForSettled } from './objectTable.ts';
import { taskError, taskStatusOf, type TaskStatus } from './taskStatus.ts';

export type { WorkerEntry, TaskEntry, TaskLog, CoordinatorOptions, WorkerLossReason, CoordinatorEvents, WorkersDiff } from './coordinatorTypes.ts';
import type { WorkerEntry, TaskEntry, CoordinatorOptions, WorkerLossReason, CoordinatorEvents } from './coordinatorTypes.ts';

/** The deps of a task whose arguments hold no refs: one shared, frozen empty list. */
const NO_DEPS: readonly string[] = Object.freeze([]);

export class Coordinator extends Emitter<CoordinatorEvents> implements ActorsHost, CommandHost, WorkerMessagesHost {
  readonly objects = new ObjectTable();
  readonly scheduler: SchedulerState = createState();
  readonly tasks = new Map<string, TaskEntry>();
  readonly holders = new Holders((id) => this.apply({ type: 'objectReleased', objectId: id }));
  /** Finished tasks' entries, kept as lineage to remake lost outputs (lineage.ts). */
  readonly lineage = new TaskLineage();
  private readonly watchdog: Watchdog;
  /** Workers that said `leaving`, while their objects are copied off them (handover.ts). */
  readonly handover: Handover;
  private readonly roster = new WorkerRoster();
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
  /** The worker list's changes, published as batched diffs (workerDiffs.ts). */
  private readonly diffs = new WorkerDiffs(
    (peerId) => {
      const worker = this.roster.get(peerId);
      return worker ? workerSummary(worker, this.scheduler, this.plane) : null;
    },
    (diff) => {
      this.emit('workersDiff', diff);
      this.emit('workersChanged');
    },
  );
  /** Runs to workers with deep pipelines leave together (dispatchBuffer.ts). */
  private readonly dispatch = new DispatchBuffer((workerId, message) => {
    try {
      this.mesh.send(workerId, message);
    } catch (thrown) {
      // As runTask does for a run it sends itself: an unreachable worker is lost, a run that cannot be sent fails.
      const error = thrown instanceof ShoalError ? thrown.toRemote() : { name: 'Error', message: String(thrown) };
      if (error.code === 'ERR_UNKNOWN_PEER') queueMicrotask(() => this.workerGone(workerId, 'unreachable'));
      else if (message.type === 'runTask') queueMicrotask(() => this.apply({ type: 'taskFailed', taskId: message.taskId, workerId, error, kind: 'exception' }));
    }
  });
  /** Workers declared lost while their link stayed open, by peer id (re-admitted if they speak again). */
  private readonly lostWorkers = new Readmission();
  /** Workers declared lost and re-admitted so far. */
  readmitted = 0;
  /** Peers moving object bytes for runs now, or whose last heartbeat said they run collectives: the watchdog gives them `BULK_PATIENCE`. */
  private readonly transfers = new Transfers();
  /** Heartbeats slow down in a big room, and the watchdog waits as much longer (heartbeatPace.ts). */
  private readonly pace = new HeartbeatPace();

  constructor(
    readonly mesh: Mesh,
    options: CoordinatorOptions = {},
  ) {
    super();
    this.watchdog = new Watchdog(
      options.heartbeatTimeoutMs ?? HEARTBEAT_TIMEOUT_MS,
      (peerId) => this.workerGone(peerId, 'silent'),
      undefined,
      (peerId) => (this.transfers.busy(peerId) ? BULK_PATIENCE : 1) * this.pace.factor,
    );
    this.handover = new Handover({
      scheduler: this.scheduler,
      workerIds: () => this.workers().map((worker) => worker.peerId).filter((id) => !this.handover.isDraining(id)),
      replicate: (target, objectId, size, from) => this.sendTo(target, { type: 'replicate', objectId, size, from }),
      finish: (peerId, handedOver, missed) => {
        console.info(`[shoal] worker ${peerId} left: ${handedOver} object(s) handed over${missed > 0 ? `, ${missed} not in time` : ''}`);
        this.sendTo(peerId, { type: 'leaving', reason: 'handover done' });
        this.workerGone(peerId, 'left', true);
      },
    });
    this.speculationDefault = options.speculation ?? false;
    this.plane = new CoordinatorObjects(mesh, this.objects, (objectId, size) => this.apply({ type: 'objectStored', objectId, size, workerId: null }));
    mesh.on('peerOpen', (peer) => {
      if (peer.role === 'worker') {
        this.lostWorkers.forget(peer.peerId);
        this.linked(peer);
        this.watchdog.beat(peer.peerId);
      }
    });
    mesh.on('peerClosed', (peer) => {
      this.lostWorkers.forget(peer.peerId);
      this.workerGone(peer.peerId, 'closed');
    });
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
    const refs = wireRefIds(wireArgs);
    const deps = refs.size === 0 ? NO_DEPS : [...refs];
    for (const dep of deps) {
      if (!this.objects.has(dep)) throw new ShoalError('ERR_OBJECT_LOST', `cannot call '${name}': an argument refers to object ${dep}, which this cluster does not know (freed, or from another cluster)`);
    }
    const numReturns = options.numReturns ?? DEFAULT_OPTIONS.numReturns;
    const outputs = numReturns === 1 ? [taskId] : Array.from({ length: numReturns }, (_, i) => `${taskId}.${i}`);
    // Built field by field, not with spreads of maybe-empty objects: this runs once per task (bench:tasks).
    const entry: TaskEntry = { fnId, name, args: wireArgs, outputs, timeoutMs: options.timeout ?? null, parentTaskId, infeasible: null, progress: null };
    if (actor) entry.actorId = actor.actorId;
    if (options.consumeInputs) entry.consume = true;
    else if (options.lendInputs) entry.lend = true;
    this.tasks.set(taskId, entry);
    for (const output of outputs) this.objects.pending(output, taskId);
    this.emit('task', { kind: 'submitted', t: Date.now(), taskId, name, deps, parentTaskId });
    const resources = resourcesOf(options, this.gpuFree);
    if (resources.gpu > 0) this.gpuTasks.add(taskId);
    const verify = options.verify ?? 1;
    const speculative = verify === 1 && (options.speculation ?? this.speculationDefault);
    if (speculative) this.speculation.track(taskId, fnId);
    this.verifier.track(taskId, verify);
    const spec: TaskSpec = {
      taskId,
      group: fnId,
      outputs,
      deps,
      resources,
      priority: options.priority ?? DEFAULT_OPTIONS.priority,
      maxRetries: options.maxRetries ?? DEFAULT_OPTIONS.maxRetries,
      retryExceptions: options.retryExceptions ?? DEFAULT_OPTIONS.retryExceptions,
    };
    if (speculative) spec.speculative = speculative;
    if (verify > 1) spec.verify = verify;
    if (options.prefetch) spec.prefetch = true;
    if (actor) spec.killedWorkersLimit = actor.killedWorkersLimit;
    this.apply({ type: 'taskSubmitted', task: spec });
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
    return this.roster.summaries(this.scheduler, this.plane);
  }

  /** How many workers have said hello (O(workers), without building summaries). */
  workerCount(): number {
    return this.roster.admitted();
  }

  /**
   * @internal Something shown in `peerId`'s row of the worker list changed (a
   * task finished there, it reported its store, it was paused): O(1); one
   * `workersDiff` (and `workersChanged`) per `WORKERS_DIFF_MS` carries every change.
   */
  workerChanged(peerId: string): void {
    this.diffs.changed(peerId);
  }

  /** Publishes the worker list's gathered changes now, rather than at the end of the tick. */
  flushWorkers(): void {
    this.diffs.flush();
  }

  /** Whether a `gpu: 'prefer'` task submitted now gets a GPU (resourcesOf). */
  private readonly gpuFree = (): boolean => this.roster.withGpu() > this.gpuTasks.size;

  memory(): MemoryReport[] {
    return this.plane.memory(new Map(this.workers().map((worker) => [worker.peerId, worker.name ?? worker.peerId])));
  }

  /** Resolves once `count` workers have said hello. */
  waitForWorkers(count: number, timeoutMs: number): Promise<void> {
    return waitForCount(() => this.workerCount(), count, timeoutMs, (listener) => this.on('workersChanged', listener));
  }

  /** Sends a message to a worker if it is still connected. */
  /**
   * The job running now (null: none), for worker pages to show their
   * volunteers: sent to every worker now, and to each that joins while it runs.
   */
  setJob(job: { name: string; codeHash: string } | null): void {
    this.job = job;
    for (const peerId of this.roster.admittedIds()) this.sendJobInfo(peerId);
  }

  /** Tells one worker which job runs (nothing while none has run). */
  sendJobInfo(workerId: string): void {
    if (this.job !== undefined) this.sendTo(workerId, { type: 'jobInfo', job: this.job });
  }

  sendTo(workerId: string, message: ControlMessage): void {
    this.dispatch.flush(workerId); // runs held for it go first, so messages keep their order
    if (this.mesh.isOpen(workerId)) this.mesh.send(workerId, message);
  }

  apply(event: SchedulerEvent): void {
    for (const command of step(this.scheduler, event)) executeCommand(this, command);
  }

  /** @internal Sends a task (or an actor's start) to the worker the scheduler chose. */
  runTask(taskId: string, workerId: string, attempt: number): void {
    const task = this.tasks.get(taskId);
    const worker = this.roster.get(workerId);
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
      const fetchBytes = fetch.reduce((sum, spec) => sum + spec.size, 0);
      this.transfers.mark(taskId, fetchBytes < BULK_PATIENCE_BYTES ? null : [workerId, ...fetch.map((spec) => spec.from[0]!).filter((peer) => peer !== workerId)]);
      this.dispatch.run(workerId, {
        type: 'runTask',
        taskId,
        fnId: task.fnId,
        args,
        ...(fetch.length > 0 ? { fetch } : {}),
        attempt,
        numReturns: task.outputs.length,
        timeoutMs: task.timeoutMs,
        ...(this.verifier.wants(taskId) ? { checksum: true as const } : {}),
        ...(task.consume ? { consume: true as const } : {}),
        ...(task.lend ? { lend: true as const } : {}),
      });
      this.emit('task', { kind: 'dispatched', t: Date.now(), taskId, workerId, attempt, fetchBytes });
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
    this.transfers.clear(taskId);
    this.tasks.delete(taskId);
    this.gpuTasks.delete(taskId);
    if (ok) this.lineage.keep(taskId, task);
    this.holders.releaseChildren(taskId);
    this.emit('taskEnded', taskId, ok);
  }

  private receive(from: PeerInfo, message: ControlMessage): void {
    let worker = this.roster.get(from.peerId);
    if (!worker) {
      if (message.type === 'leaving') return; // a worker already dropped, saying goodbye
      const readmitted = this.readmit(from);
      if (!readmitted) {
        if (message.type === 'heartbeat') return;
        return this.refuse(from, `'${message.type}' from a peer that is not a worker`);
      }
      worker = readmitted;
    }
    this.watchdog.beat(from.peerId);
    if (message.type === 'heartbeat') this.transfers.report(from.peerId, message.bulk === true);
    if (message.type === 'taskDone') this.dispatch.answered(from.peerId);
    handleWorkerMessage(this, worker, message);
    if (message.type === 'hello' && worker.caps === message.caps) this.paced(from.peerId);
  }

  /** A worker was admitted (or re-admitted): past 32 workers the room's heartbeats slow down (heartbeatPace.ts), and it hears the pace. */
  private paced(peerId: string): void {
    const tell = (to: string): void => this.sendTo(to, { type: 'heartbeatEvery', ms: this.pace.intervalMs });
    if (this.pace.update(this.roster.linked)) {
      for (const id of this.roster.admittedIds()) tell(id);
    } else if (this.pace.factor > 1) tell(peerId);
  }

  /** A worker whose link just opened (or that starts over): known, not yet admitted until its hello. */
  private linked(peer: PeerInfo): WorkerEntry {
    const entry: WorkerEntry = { info: peer, caps: null, tasksDone: 0, defined: new Set() };
    this.roster.set(entry);
    this.workerChanged(peer.peerId);
    return entry;
  }

  /**
   * A worker declared lost (silent, or unreachable for a moment) spoke again
   * over a link that never closed: it is admitted afresh. Its old runs were
   * retried elsewhere and its objects remade or lost when it was declared
   * lost; what it still holds is released on it, and results of its old runs
   * that arrive now are late replies (workerMessages.ts: ignored by the
   * scheduler, their stored outputs released), so nothing is counted twice.
   */
  private readmit(from: PeerInfo): WorkerEntry | null {
    const lost = this.lostWorkers.take(from.peerId);
    if (!lost || !this.mesh.isOpen(from.peerId)) return null;
    // Declared lost before its hello (its tab starved in a join storm): it was never admitted, so it starts over (its hello follows).
    if (lost.entry.caps === null) return this.linked(from);
    // Functions are sent again (cheap, and the worker may have been reset meanwhile); its paused state and counts are kept.
    const entry: WorkerEntry = { ...lost.entry, info: from, defined: new Set() };
    this.roster.set(entry);
    this.readmitted += 1;
    for (let i = 0; i < lost.held.length; i += 2000) this.sendTo(from.peerId, { type: 'releaseObjects', ids: lost.held.slice(i, i + 2000) }); // frames stay well under the size limit
    console.info(`[shoal] worker ${from.peerId} spoke again after it was declared lost: re-admitted as a fresh worker`);
    this.apply({ type: 'workerJoined', workerId: from.peerId, resources: offeredResources(entry.caps!), gpuFallback: entry.caps!.gpu?.isFallback === true });
    if (entry.paused) this.apply({ type: 'workerUpdated', workerId: from.peerId, paused: true });
    this.sendJobInfo(from.peerId);
    this.paced(from.peerId);
    this.emit('workerReadmitted', from.peerId);
    this.workerChanged(from.peerId);
    return entry;
  }

  /** @internal Emits an event (for workerMessages.ts). */
  notify<K extends keyof CoordinatorEvents>(event: K, ...args: CoordinatorEvents[K]): void {
    this.emit(event, ...args);
  }

  /** @internal */
  /** `graceful`: it left after a handover, so its runs' retries do not count it as killed (scheduler `killedWorkersLimit`). */
  workerGone(peerId: string, reason: WorkerLossReason, graceful = false): void {
    const entry = this.roster.remove(peerId);
    if (!entry) return;
    this.watchdog.forget(peerId);
    this.handover.forget(peerId);
    this.plane.peerLeft(peerId);
    // The scheduler decides what its last copies mean: remade from lineage (reconstructTask) or lost (objectLost).
    const held: string[] = [];
    this.objects.dropLocation(peerId, held);
    // Declared lost with its link open (silent, unreachable): it may speak again, and is then re-admitted (readmit).
    if ((reason === 'silent' || reason === 'unreachable') && this.mesh.isOpen(peerId)) this.lostWorkers.remember(peerId, { entry, held });
    this.actors.workerLost(peerId);
    this.apply({ type: 'workerLost', workerId: peerId, graceful });
    this.emit('workerLost', peerId, reason);
    this.dispatch.forget(peerId);
    this.diffs.removed(peerId);
  }

  /** @internal */
  refuse(from: PeerInfo, reason: string): void {
    this.rejected += 1;
    this.emit('rejected', from, reason);
  }
}
