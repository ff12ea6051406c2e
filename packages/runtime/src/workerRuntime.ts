/**
 * The worker tab's runtime: joins the room, greets the coordinator with its
 * capabilities, runs the tasks the coordinator sends in its Web Worker pool,
 * and relays its tasks' own cluster calls (nested submit/get/wait/put) to the
 * coordinator. Only the room's coordinator may send work; anything else is refused.
 */
import { ShoalError, randomId, type Capabilities, type ControlMessage, type PeerInfo, type WorkerPageStatus } from '@shoal/protocol';
import { Mesh } from '@shoal/transport';
import { detectCapabilities } from './capabilities.ts';
import type { HostReply } from './host.ts';
import { WorkerPool, type PoolHost } from './pool.ts';

export interface WorkerRuntimeOptions {
  /** ws(s):// URL of the signaling server. */
  url: string;
  room: string;
  name?: string | undefined;
  /** Web Workers to run tasks in; defaults to navigator.hardwareConcurrency. */
  slots?: number | null;
  /** User-defined resources this worker offers, e.g. {dataset: 1}. */
  custom?: Record<string, number>;
  iceServers?: RTCIceServer[];
  /** Called whenever the status changes (for the page to re-render). */
  onChange?: (status: WorkerPageStatus) => void;
}

type RunTask = Extract<ControlMessage, { type: 'runTask' }>;

export class WorkerRuntime {
  private readonly functions = new Map<string, { name: string; source: string }>();
  private readonly current = new Map<string, string>();
  /** Functions whose source this worker already sent with a nested submit. */
  private readonly sentSources = new Set<string>();
  private readonly requests = new Map<string, (reply: HostReply) => void>();
  private readonly pool: WorkerPool;
  private coordinator: PeerInfo | null = null;
  private coordinatorState: WorkerPageStatus['coordinator'] = 'none';
  private connection: WorkerPageStatus['connection'] = 'connected';
  private tasksRun = 0;
  /** Messages refused because they were malformed or came from a peer that may not send them. */
  rejected = 0;

  private constructor(
    private readonly mesh: Mesh,
    caps: Capabilities,
    private readonly options: WorkerRuntimeOptions,
  ) {
    this.pool = new WorkerPool(caps.slots, mesh.peerId, this.poolHost());
  }

  static async start(options: WorkerRuntimeOptions): Promise<WorkerRuntime> {
    const caps = await detectCapabilities(options.slots ?? null, options.custom ?? {});
    const mesh = await Mesh.join({ url: options.url, room: options.room, role: 'worker', name: options.name, iceServers: options.iceServers ?? [] });
    const runtime = new WorkerRuntime(mesh, caps, options);
    for (const view of mesh.peers()) if (view.info.role === 'coordinator') runtime.coordinatorState = 'connecting';
    mesh.on('peerOpen', (peer) => {
      if (peer.role !== 'coordinator') return;
      runtime.coordinator = peer;
      runtime.coordinatorState = 'open';
      runtime.sentSources.clear();
      mesh.send(peer.peerId, { type: 'hello', caps });
      runtime.changed();
    });
    mesh.on('peerClosed', (peer) => {
      if (peer.peerId !== runtime.coordinator?.peerId) return;
      runtime.coordinator = null;
      runtime.coordinatorState = 'none';
      runtime.changed();
    });
    mesh.on('message', (from, message) => runtime.receive(from, message));
    mesh.on('badMessage', () => {
      runtime.rejected += 1;
    });
    mesh.on('closed', () => {
      if (runtime.connection !== 'left') runtime.connection = 'failed';
      runtime.pool.terminate();
      runtime.changed();
    });
    runtime.changed();
    return runtime;
  }

  status(): WorkerPageStatus {
    return {
      peerId: this.mesh.peerId,
      connection: this.connection,
      coordinator: this.coordinatorState,
      tasksRun: this.tasksRun,
      currentTask: this.current.size === 0 ? null : [...new Set(this.current.values())].join(', '),
    };
  }

  /** Leaves the room for good: tells the peers, stops the Web Workers. */
  leave(): void {
    this.connection = 'left';
    this.mesh.close('the volunteer left');
    this.pool.terminate();
    this.changed();
  }

  private receive(from: PeerInfo, message: ControlMessage): void {
    if (message.type === 'leaving') return;
    if (from.peerId !== this.coordinator?.peerId) return this.refuse(from, message);
    switch (message.type) {
      case 'defineFn':
        this.functions.set(message.fnId, { name: message.name, source: message.source });
        return;
      case 'runTask':
        return void this.run(from.peerId, message);
      case 'cancelTask':
        return this.pool.cancel(message.taskId, message.force);
      case 'nestedReply': {
        const resolve = this.requests.get(message.requestId);
        this.requests.delete(message.requestId);
        return resolve?.(message.result);
      }
      default:
        return this.refuse(from, message);
    }
  }

  private async run(coordinatorId: string, message: RunTask): Promise<void> {
    const fn = this.functions.get(message.fnId);
    const { taskId } = message;
    if (!fn) {
      const error = new ShoalError('ERR_BAD_MESSAGE', `runTask ${taskId} names function ${message.fnId}, which was never defined`);
      return this.send(coordinatorId, { type: 'taskDone', taskId, result: { ok: false, error: error.toRemote() }, durationMs: 0 });
    }
    const outcome = await this.pool.run({
      taskId,
      fnId: message.fnId,
      fnName: fn.name,
      fnSource: fn.source,
      args: message.args,
      attempt: message.attempt,
      numReturns: message.numReturns,
      timeoutMs: message.timeoutMs,
      onStart: () => {
        this.current.set(taskId, fn.name);
        this.changed();
      },
    });
    this.current.delete(taskId);
    this.tasksRun += 1;
    this.send(coordinatorId, { type: 'taskDone', taskId, result: outcome.result, durationMs: outcome.durationMs });
    this.changed();
  }

  /** What the pool's Web Workers may ask of this page. */
  private poolHost(): PoolHost {
    const toCoordinator = (message: ControlMessage) => {
      if (this.coordinator) this.send(this.coordinator.peerId, message);
    };
    const request = (make: (requestId: string) => ControlMessage) =>
      new Promise<HostReply>((resolve) => {
        if (!this.coordinator) return resolve({ ok: false, error: { name: 'ShoalError', code: 'ERR_WORKER_LOST', message: 'the coordinator is not connected' } });
        const requestId = randomId(12);
        this.requests.set(requestId, resolve);
        toCoordinator(make(requestId));
      });
    return {
      log: (taskId, level, text) => toCoordinator({ type: 'taskLog', taskId, level, text: text.slice(0, 64 * 1024) }),
      progress: (taskId, fraction) => toCoordinator({ type: 'taskProgress', taskId, fraction }),
      blocked: (taskId, blocked) => toCoordinator({ type: blocked ? 'taskBlocked' : 'taskUnblocked', taskId }),
      submit: (parentTaskId, taskId, fnId, _name, source, args, options) => {
        const first = !this.sentSources.has(fnId);
        this.sentSources.add(fnId);
        toCoordinator({ type: 'nestedSubmit', parentTaskId, taskId, fnId, source: first ? source : null, args, options });
      },
      put: (parentTaskId, objectId, value) => toCoordinator({ type: 'nestedPut', parentTaskId, objectId, value }),
      get: (parentTaskId, ids, timeoutMs) => request((requestId) => ({ type: 'nestedGet', requestId, parentTaskId, ids, timeoutMs })),
      wait: (parentTaskId, ids, numReturns, timeoutMs) => request((requestId) => ({ type: 'nestedWait', requestId, parentTaskId, ids, numReturns, timeoutMs })),
      free: (ids) => toCoordinator({ type: 'nestedFree', ids }),
      cancel: (objectId, force) => toCoordinator({ type: 'nestedCancel', objectId, force }),
    };
  }

  private send(peerId: string, message: ControlMessage): void {
    if (!this.mesh.isOpen(peerId)) return; // the coordinator is gone; it will resubmit elsewhere
    try {
      this.mesh.send(peerId, message);
    } catch (error) {
      if (message.type !== 'taskDone' || !(error instanceof ShoalError)) throw error;
      // The result was too large for a control frame: report that instead.
      this.mesh.send(peerId, { type: 'taskDone', taskId: message.taskId, result: { ok: false, error: error.toRemote() }, durationMs: message.durationMs });
    }
  }

  private refuse(from: PeerInfo, message: ControlMessage): void {
    this.rejected += 1;
    console.warn(`[shoal] refused '${message.type}' from ${from.role} ${from.peerId}: only the coordinator may send work`);
  }

  private changed(): void {
    this.options.onChange?.(this.status());
  }
}
