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
  ShoalError,
  hashSource,
  randomId,
  type Capabilities,
  type ControlMessage,
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
  type SchedulerCommand,
  type SchedulerEvent,
  type SchedulerState,
} from '@shoal/scheduler';
import { Emitter, type Mesh } from '@shoal/transport';
import { resolveArgs, wireRefIds } from './argsCodec.ts';
import { Holders } from './holders.ts';
import { handleNested, type NestedMessage } from './nested.ts';
import { ObjectTable, waitForSettled } from './objectTable.ts';
import { taskError, taskStatusOf, type TaskStatus } from './taskStatus.ts';

interface WorkerEntry {
  info: PeerInfo;
  caps: Capabilities | null;
  tasksDone: number;
  /** Functions this worker has been sent. */
  defined: Set<string>;
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
}

export interface TaskLog {
  taskId: string;
  taskName: string;
  workerId: string;
  level: 'log' | 'info' | 'warn' | 'error';
  text: string;
}

export type CoordinatorEvents = {
  workersChanged: [];
  taskLog: [log: TaskLog];
  taskEnded: [taskId: string, ok: boolean];
  taskInfeasible: [taskId: string, name: string, reason: string];
  taskProgress: [taskId: string, fraction: number];
  rejected: [from: PeerInfo, reason: string];
};

export class Coordinator extends Emitter<CoordinatorEvents> {
  readonly objects = new ObjectTable();
  readonly scheduler: SchedulerState = createState();
  readonly tasks = new Map<string, TaskEntry>();
  readonly holders = new Holders((id) => this.apply({ type: 'objectReleased', objectId: id }));
  private readonly workersById = new Map<string, WorkerEntry>();
  private readonly functions = new Map<string, { name: string; source: string }>();
  /** Names of failed tasks, which their dependents' errors cite. */
  readonly failedNames = new Map<string, string>();
  private readonly prefix = randomId(6);
  private counter = 0;
  /** Control messages refused (malformed, or not allowed from that peer). */
  rejected = 0;

  constructor(readonly mesh: Mesh) {
    super();
    mesh.on('peerOpen', (peer) => {
      if (peer.role === 'worker') this.workersById.set(peer.peerId, { info: peer, caps: null, tasksDone: 0, defined: new Set() });
      this.emit('workersChanged');
    });
    mesh.on('peerClosed', (peer) => this.workerGone(peer.peerId));
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
  submit(taskId: string, fnId: string, name: string, wireArgs: unknown[], options: RemoteOptions, parentTaskId: string | null = null): string[] {
    const deps = [...wireRefIds(wireArgs)];
    for (const dep of deps) {
      if (!this.objects.has(dep)) throw new ShoalError('ERR_OBJECT_LOST', `cannot call '${name}': an argument refers to object ${dep}, which this cluster does not know (freed, or from another cluster)`);
    }
    const numReturns = options.numReturns ?? DEFAULT_OPTIONS.numReturns;
    const outputs = numReturns === 1 ? [taskId] : Array.from({ length: numReturns }, (_, i) => `${taskId}.${i}`);
    this.tasks.set(taskId, { fnId, name, args: wireArgs, outputs, timeoutMs: options.timeout ?? null, parentTaskId, infeasible: null, progress: null });
    for (const output of outputs) this.objects.pending(output, taskId);
    this.apply({
      type: 'taskSubmitted',
      task: {
        taskId,
        group: fnId,
        outputs,
        deps,
        resources: resourcesOf(options),
        priority: options.priority ?? DEFAULT_OPTIONS.priority,
        maxRetries: options.maxRetries ?? DEFAULT_OPTIONS.maxRetries,
        retryExceptions: options.retryExceptions ?? DEFAULT_OPTIONS.retryExceptions,
      },
    });
    return outputs;
  }

  /** Stores a wire-form value made outside any task. */
  put(objectId: string, wireValue: unknown): void {
    this.objects.resolve(objectId, wireValue);
    this.holdContained(objectId, wireValue);
    this.apply({ type: 'objectStored', objectId, size: sizeOf(wireValue), workerId: null });
  }

  /** Refs inside a stored value keep their objects alive as long as the value lives. */
  private holdContained(objectId: string, wireValue: unknown): void {
    if (wireValue === null || typeof wireValue !== 'object') return;
    for (const id of wireRefIds(wireValue)) this.holders.holdForParent(id, objectId);
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
      summaries.push({ peerId: worker.info.peerId, name: worker.info.name, state: running > 0 ? 'busy' : 'idle', caps: worker.caps, running, tasksDone: worker.tasksDone });
    }
    return summaries;
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
  sendTo(workerId: string, message: ControlMessage): void {
    if (this.mesh.isOpen(workerId)) this.mesh.send(workerId, message);
  }

  apply(event: SchedulerEvent): void {
    for (const command of step(this.scheduler, event)) this.execute(command);
  }

  private execute(command: SchedulerCommand): void {
    switch (command.type) {
      case 'runTask':
        return this.runTask(command.taskId, command.workerId, command.attempt);
      case 'failTask':
        return this.failTask(command.taskId, command.error, command.upstream);
      case 'cancelTask':
        return this.sendTo(command.workerId, { type: 'cancelTask', taskId: command.taskId, force: command.force });
      case 'releaseObject':
        this.objects.drop(command.objectId);
        return this.holders.releaseChildren(command.objectId);
      case 'taskInfeasible': {
        const task = this.tasks.get(command.taskId);
        if (!task) return;
        task.infeasible = command.reason;
        return this.emit('taskInfeasible', command.taskId, task.name, command.reason);
      }
    }
  }

  private runTask(taskId: string, workerId: string, attempt: number): void {
    const task = this.tasks.get(taskId);
    const worker = this.workersById.get(workerId);
    if (!task || !worker) return;
    try {
      if (!worker.defined.has(task.fnId)) {
        const fn = this.functions.get(task.fnId)!;
        this.mesh.send(workerId, { type: 'defineFn', fnId: task.fnId, name: fn.name, source: fn.source });
        worker.defined.add(task.fnId);
      }
      const args = resolveArgs(task.args, (id) => this.objects.value(id));
      this.mesh.send(workerId, { type: 'runTask', taskId, fnId: task.fnId, args, attempt, numReturns: task.outputs.length, timeoutMs: task.timeoutMs });
    } catch (thrown) {
      const error = thrown instanceof ShoalError ? thrown.toRemote() : { name: 'Error', message: String(thrown) };
      if (error.code === 'ERR_UNKNOWN_PEER') return this.workerGone(workerId);
      queueMicrotask(() => this.apply({ type: 'taskFailed', taskId, workerId, error, kind: 'exception' }));
    }
  }

  private failTask(taskId: string, error: RemoteError, upstream: string | null): void {
    const task = this.tasks.get(taskId);
    if (!task) return;
    this.failedNames.set(taskId, task.name);
    const shoalError = taskError(task.name, error, upstream === null ? null : this.failedNames.get(upstream) ?? upstream, taskId);
    for (const output of task.outputs) this.objects.reject(output, shoalError);
    this.finishTask(taskId, task, false);
  }

  private finishTask(taskId: string, task: TaskEntry, ok: boolean): void {
    this.tasks.delete(taskId);
    this.holders.releaseChildren(taskId);
    this.emit('taskEnded', taskId, ok);
  }

  private receive(from: PeerInfo, message: ControlMessage): void {
    const worker = this.workersById.get(from.peerId);
    if (!worker) return this.refuse(from, `'${message.type}' from a peer that is not a worker`);
    switch (message.type) {
      case 'hello':
        if (worker.caps) return this.refuse(from, 'a second hello');
        worker.caps = message.caps;
        this.apply({ type: 'workerJoined', workerId: from.peerId, resources: offeredResources(message.caps) });
        this.emit('workersChanged');
        return;
      case 'taskDone':
        return this.taskDone(worker, message);
      case 'taskLog': {
        const taskName = this.tasks.get(message.taskId)?.name ?? message.taskId;
        return this.emit('taskLog', { taskId: message.taskId, taskName, workerId: from.peerId, level: message.level, text: message.text });
      }
      case 'taskProgress': {
        const task = this.tasks.get(message.taskId);
        if (task) task.progress = message.fraction;
        return this.emit('taskProgress', message.taskId, message.fraction);
      }
      case 'taskBlocked':
      case 'taskUnblocked':
        return this.apply({ type: message.type, taskId: message.taskId, workerId: from.peerId });
      case 'nestedSubmit':
      case 'nestedPut':
      case 'nestedGet':
      case 'nestedWait':
      case 'nestedFree':
      case 'nestedCancel': {
        const problem = handleNested(this, from.peerId, message as NestedMessage);
        return problem ? this.refuse(from, problem) : undefined;
      }
      case 'leaving':
        return this.workerGone(from.peerId);
      default:
        return this.refuse(from, `'${message.type}' is not a worker's message`);
    }
  }

  private taskDone(worker: WorkerEntry, message: Extract<ControlMessage, { type: 'taskDone' }>): void {
    const { taskId, result } = message;
    const workerId = worker.info.peerId;
    const task = this.tasks.get(taskId);
    if (!task || taskInfo(this.scheduler, taskId)?.workerId !== workerId) {
      // A late reply (the task was cancelled, or retried elsewhere): it frees the worker's slot.
      if (result.ok) this.apply({ type: 'taskFinished', taskId, workerId, sizes: [], durationMs: message.durationMs });
      else this.apply({ type: 'taskFailed', taskId, workerId, error: result.error, kind: 'cancelled' });
      return;
    }
    if (!result.ok) {
      const kind: FailureKind = result.error.code === 'ERR_TIMEOUT' ? 'timeout' : result.error.code === 'ERR_CANCELLED' ? 'cancelled' : 'exception';
      this.apply({ type: 'taskFailed', taskId, workerId, error: { ...result.error, workerId }, kind });
      return;
    }
    const values = task.outputs.length === 1 ? [result.value] : (result.value as unknown[]);
    worker.tasksDone += 1;
    task.outputs.forEach((output, i) => {
      this.objects.resolve(output, values[i], taskId);
      this.holdContained(output, values[i]);
    });
    this.finishTask(taskId, task, true);
    this.apply({ type: 'taskFinished', taskId, workerId, sizes: values.map(sizeOf), durationMs: message.durationMs });
    this.emit('workersChanged');
  }

  private workerGone(peerId: string): void {
    if (!this.workersById.delete(peerId)) return;
    this.apply({ type: 'workerLost', workerId: peerId });
    this.emit('workersChanged');
  }

  private refuse(from: PeerInfo, reason: string): void {
    this.rejected += 1;
    this.emit('rejected', from, reason);
  }
}

function resourcesOf(options: RemoteOptions): Resources {
  const r = options.resources ?? {};
  return { cpu: r.cpu ?? 1, gpu: r.gpu ?? 0, memory: r.memory ?? 0, custom: r.custom ?? {} };
}

/** What a worker offers: a slot per Web Worker, its GPU, half its memory (1 GiB if unknown), its custom resources. */
function offeredResources(caps: Capabilities): Resources {
  const gib = 1024 ** 3;
  return { cpu: caps.slots, gpu: caps.gpu ? 1 : 0, memory: caps.deviceMemoryGiB ? (caps.deviceMemoryGiB * gib) / 2 : gib, custom: caps.custom };
}

/** The encoded size of a wire-form value, in bytes (UTF-16 units of its JSON, close enough for placement). */
export function sizeOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? value.length + 2 : 8;
  return JSON.stringify(value).length;
}
