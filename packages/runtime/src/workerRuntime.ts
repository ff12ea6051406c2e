/**
 * The worker tab's runtime: joins the room, greets the coordinator with its
 * capabilities, and runs the tasks the coordinator sends in its Web Worker
 * pool. Only the room's coordinator may send work; anything else is refused.
 */
import { ShoalError, type Capabilities, type ControlMessage, type PeerInfo, type WorkerPageStatus } from '@shoal/protocol';
import { Mesh } from '@shoal/transport';
import { detectCapabilities } from './capabilities.ts';
import { WorkerPool } from './pool.ts';

export interface WorkerRuntimeOptions {
  /** ws(s):// URL of the signaling server. */
  url: string;
  room: string;
  name?: string | undefined;
  /** Web Workers to run tasks in; defaults to navigator.hardwareConcurrency. */
  slots?: number | null;
  iceServers?: RTCIceServer[];
  /** Called whenever the status changes (for the page to re-render). */
  onChange?: (status: WorkerPageStatus) => void;
}

interface FunctionSource {
  name: string;
  source: string;
}

export class WorkerRuntime {
  private readonly functions = new Map<string, FunctionSource>();
  private readonly current = new Map<string, string>();
  private coordinator: PeerInfo | null = null;
  private coordinatorState: WorkerPageStatus['coordinator'] = 'none';
  private connection: WorkerPageStatus['connection'] = 'connected';
  private tasksRun = 0;
  /** Messages refused because they were malformed or came from a peer that may not send them. */
  rejected = 0;

  private readonly pool: WorkerPool;

  private constructor(
    private readonly mesh: Mesh,
    caps: Capabilities,
    private readonly options: WorkerRuntimeOptions,
  ) {
    this.pool = new WorkerPool(caps.slots, mesh.peerId, (taskId, level, text) => this.forwardLog(taskId, level, text));
  }

  static async start(options: WorkerRuntimeOptions): Promise<WorkerRuntime> {
    const caps = await detectCapabilities(options.slots ?? null);
    const mesh = await Mesh.join({ url: options.url, room: options.room, role: 'worker', name: options.name, iceServers: options.iceServers ?? [] });
    const runtime = new WorkerRuntime(mesh, caps, options);
    for (const view of mesh.peers()) if (view.info.role === 'coordinator') runtime.coordinatorState = 'connecting';
    mesh.on('peerOpen', (peer) => {
      if (peer.role !== 'coordinator') return;
      runtime.coordinator = peer;
      runtime.coordinatorState = 'open';
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
    const fromCoordinator = from.peerId === this.coordinator?.peerId;
    switch (message.type) {
      case 'defineFn':
        if (!fromCoordinator) return this.refuse(from, message);
        this.functions.set(message.fnId, { name: message.name, source: message.source });
        return;
      case 'runTask':
        if (!fromCoordinator) return this.refuse(from, message);
        return void this.run(from.peerId, message);
      case 'leaving':
        return;
      default:
        return this.refuse(from, message);
    }
  }

  private async run(coordinatorId: string, message: Extract<ControlMessage, { type: 'runTask' }>): Promise<void> {
    const fn = this.functions.get(message.fnId);
    const { taskId } = message;
    if (!fn) {
      const error = new ShoalError('ERR_BAD_MESSAGE', `runTask ${taskId} names function ${message.fnId}, which was never defined`);
      return this.reply(coordinatorId, { type: 'taskDone', taskId, result: { ok: false, error: error.toRemote() } });
    }
    const result = await this.pool.run({
      taskId,
      fnId: message.fnId,
      fnName: fn.name,
      fnSource: fn.source,
      args: message.args,
      attempt: 1,
      onStart: () => {
        this.current.set(taskId, fn.name);
        this.reply(coordinatorId, { type: 'taskStarted', taskId });
        this.changed();
      },
    });
    this.current.delete(taskId);
    this.tasksRun += 1;
    this.reply(coordinatorId, { type: 'taskDone', taskId, result });
    this.changed();
  }

  private reply(peerId: string, message: ControlMessage): void {
    if (!this.mesh.isOpen(peerId)) return; // the coordinator is gone; it will resubmit elsewhere
    try {
      this.mesh.send(peerId, message);
    } catch (error) {
      if (message.type !== 'taskDone' || !(error instanceof ShoalError)) throw error;
      // The result was too large for a control frame: report that instead.
      this.mesh.send(peerId, { type: 'taskDone', taskId: message.taskId, result: { ok: false, error: error.toRemote() } });
    }
  }

  private forwardLog(taskId: string, level: 'log' | 'info' | 'warn' | 'error', text: string): void {
    if (this.coordinator) this.reply(this.coordinator.peerId, { type: 'taskLog', taskId, level, text: text.slice(0, 64 * 1024) });
  }

  private refuse(from: PeerInfo, message: ControlMessage): void {
    this.rejected += 1;
    console.warn(`[shoal] refused '${message.type}' from ${from.role} ${from.peerId}: only the coordinator may send work`);
  }

  private changed(): void {
    this.options.onChange?.(this.status());
  }
}
