/**
 * The coordinator's driver: it feeds mesh events to the pure scheduler and
 * carries out the commands that come back (send a task, fail a ref).
 *
 *   job code ─ submit ─▶ scheduler.step ─ runTask ─▶ mesh.send(worker)
 *   worker ─ taskDone ─▶ object table (resolve refs) ─▶ scheduler.step ─ …
 */
import {
  ShoalError,
  findNonJsonable,
  randomId,
  type Capabilities,
  type ControlMessage,
  type PeerInfo,
  type RemoteError,
  type WorkerSummary,
} from '@shoal/protocol';
import { createState, step, type SchedulerCommand, type SchedulerEvent, type SchedulerState } from '@shoal/scheduler';
import { Emitter, type Mesh } from '@shoal/transport';
import { ObjectRef, collectRefs, replaceRefs } from './objectRef.ts';
import { ObjectTable } from './objectTable.ts';
import { DEFAULT_OPTIONS, type RemoteOptions } from './options.ts';

interface WorkerEntry {
  info: PeerInfo;
  caps: Capabilities | null;
  tasksDone: number;
  /** Functions this worker has been sent. */
  defined: Set<string>;
}

interface TaskEntry {
  fnId: string;
  name: string;
  args: unknown[];
  output: string;
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
  rejected: [from: PeerInfo, reason: string];
};

export class Coordinator extends Emitter<CoordinatorEvents> {
  readonly objects = new ObjectTable();
  private readonly scheduler: SchedulerState = createState();
  private readonly workersById = new Map<string, WorkerEntry>();
  private readonly functions = new Map<string, { name: string; source: string }>();
  private readonly fnIdBySource = new Map<string, string>();
  private readonly tasks = new Map<string, TaskEntry>();
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

  /** Registers a function's source once; the same source gets the same id. */
  registerFunction(name: string, source: string): string {
    let fnId = this.fnIdBySource.get(source);
    if (!fnId) {
      fnId = `${this.prefix}-f${++this.counter}`;
      this.fnIdBySource.set(source, fnId);
      this.functions.set(fnId, { name, source });
    }
    return fnId;
  }

  /** Submits one task. Throws at once if an argument cannot be sent. */
  submit(fnId: string, name: string, args: unknown[], options: RemoteOptions): ObjectRef {
    const refs = collectRefs(args);
    const problem = findNonJsonable(replaceRefs(args, () => null), 'argument');
    if (problem) throw new ShoalError('ERR_NOT_SERIALIZABLE', `cannot call '${name}': ${problem}`);
    for (const ref of refs) {
      if (!this.objects.has(ref.id)) throw new ShoalError('ERR_OBJECT_LOST', `cannot call '${name}': ${ref} does not belong to this cluster`);
    }
    const taskId = `${this.prefix}-t${++this.counter}`;
    const output = taskId;
    this.tasks.set(taskId, { fnId, name, args, output });
    this.objects.pending(output);
    const deps = [...new Set(refs.map((ref) => ref.id))];
    this.apply({ type: 'taskSubmitted', task: { taskId, output, deps, maxRetries: options.maxRetries ?? DEFAULT_OPTIONS.maxRetries } });
    return new ObjectRef(output, name);
  }

  workers(): WorkerSummary[] {
    return [...this.workersById.values()]
      .filter((worker) => worker.caps !== null)
      .map((worker) => {
        const running = this.scheduler.workers.get(worker.info.peerId)?.assigned.size ?? 0;
        return { peerId: worker.info.peerId, name: worker.info.name, state: running > 0 ? 'busy' : 'idle', caps: worker.caps, running, tasksDone: worker.tasksDone };
      });
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

  private apply(event: SchedulerEvent): void {
    for (const command of step(this.scheduler, event)) this.execute(command);
  }

  private execute(command: SchedulerCommand): void {
    if (command.type === 'failTask') return this.failTask(command.taskId, command.error, command.upstream);
    const task = this.tasks.get(command.taskId);
    const worker = this.workersById.get(command.workerId);
    if (!task || !worker) return;
    try {
      if (!worker.defined.has(task.fnId)) {
        const fn = this.functions.get(task.fnId)!;
        this.mesh.send(command.workerId, { type: 'defineFn', fnId: task.fnId, name: fn.name, source: fn.source });
        worker.defined.add(task.fnId);
      }
      const args = replaceRefs(task.args, (ref) => this.objects.value(ref.id)) as unknown[];
      this.mesh.send(command.workerId, { type: 'runTask', taskId: command.taskId, fnId: task.fnId, args });
    } catch (thrown) {
      const error = thrown instanceof ShoalError ? thrown.toRemote() : { name: 'Error', message: String(thrown) };
      if (error.code === 'ERR_UNKNOWN_PEER') return this.workerGone(command.workerId);
      queueMicrotask(() => this.apply({ type: 'taskFailed', taskId: command.taskId, workerId: command.workerId, error }));
    }
  }

  private failTask(taskId: string, error: RemoteError, upstream: string | null): void {
    const task = this.tasks.get(taskId);
    if (!task) return;
    const upstreamName = upstream ? this.tasks.get(upstream)?.name ?? upstream : null;
    const where = error.workerId ? ` on worker ${error.workerId}` : '';
    const shoalError = upstreamName
      ? new ShoalError('ERR_DEPENDENCY_FAILED', `task '${task.name}' did not run: its input from task '${upstreamName}' failed${where}: ${error.name}: ${error.message}`, { remote: error, taskId })
      : new ShoalError(error.code ?? 'ERR_TASK_FAILED', `task '${task.name}' failed${where}: ${error.name}: ${error.message}`, { remote: error, taskId, workerId: error.workerId });
    this.objects.reject(task.output, shoalError);
    // Keep the entry (for its name, which dependents' errors cite) but drop the arguments.
    task.args = [];
    this.emit('taskEnded', taskId, false);
  }

  private receive(from: PeerInfo, message: ControlMessage): void {
    const worker = this.workersById.get(from.peerId);
    if (!worker) return this.refuse(from, `'${message.type}' from a peer that is not a worker`);
    switch (message.type) {
      case 'hello':
        if (worker.caps) return this.refuse(from, 'a second hello');
        worker.caps = message.caps;
        this.apply({ type: 'workerJoined', workerId: from.peerId, slots: message.caps.slots });
        this.emit('workersChanged');
        return;
      case 'taskStarted':
        return;
      case 'taskDone': {
        const task = this.tasks.get(message.taskId);
        if (!task || this.scheduler.tasks.get(message.taskId)?.workerId !== from.peerId) return; // stale
        if (message.result.ok) {
          worker.tasksDone += 1;
          this.objects.resolve(task.output, message.result.value);
          this.tasks.delete(message.taskId);
          this.apply({ type: 'taskFinished', taskId: message.taskId, workerId: from.peerId });
          this.emit('taskEnded', message.taskId, true);
        } else {
          this.apply({ type: 'taskFailed', taskId: message.taskId, workerId: from.peerId, error: { ...message.result.error, workerId: from.peerId } });
        }
        this.emit('workersChanged');
        return;
      }
      case 'taskLog': {
        const taskName = this.tasks.get(message.taskId)?.name ?? message.taskId;
        this.emit('taskLog', { taskId: message.taskId, taskName, workerId: from.peerId, level: message.level, text: message.text });
        return;
      }
      case 'leaving':
        return this.workerGone(from.peerId);
      default:
        return this.refuse(from, `'${message.type}' is not a worker's message`);
    }
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
