/**
 * The worker page's actors: each lives in a Web Worker of its own (the task
 * Web Worker script, driven through comlink like the pool's), so its state
 * survives between calls and a killed actor takes nothing else down.
 *
 * Calls are handed to the actor's Web Worker in the order they arrive, from
 * the coordinator or peer to peer from a caller's worker (directCalls.ts):
 * each fetches its stored inputs first, but waits for the calls before it to
 * be handed over (not to finish) before it goes.
 */
import { proxy, transfer, wrap, type Remote } from 'comlink';
import { FETCH_FAILED_PREFIX, toRemoteError, type ControlMessage, type GpuInfo, type RemoteError, type TaskResult } from '@shoal/protocol';
import type { TaskHost } from './host.ts';
import type { PoolHost } from './pool.ts';
import type { TaskWorkerApi } from './taskWorker.ts';

type CreateActor = Extract<ControlMessage, { type: 'createActor' }>;
type ActorCall = Extract<ControlMessage, { type: 'actorCall' }>;

/** Fetches a message's stored inputs; answers a maker of fresh copies, or null if it has none. */
export type FetchInputs = (fetch: CreateActor['fetch']) => Promise<(() => Record<string, ArrayBuffer>) | null>;

export interface ActorCallOutcome {
  result: TaskResult;
  durationMs: number;
  buffers?: ArrayBuffer[];
  checkpoint?: unknown;
}

interface HostedActor {
  taskId: string;
  worker: Worker;
  remote: Remote<TaskWorkerApi>;
  /** The last call handed over (calls are handed over in order). */
  handedOver: Promise<void>;
}

export class ActorHost {
  private readonly actors = new Map<string, HostedActor>();
  private spawned = 0;

  constructor(
    private readonly workerId: string,
    private readonly host: PoolHost,
    private readonly gpuInfo: GpuInfo | null,
    private readonly fetchInputs: FetchInputs,
  ) {}

  get size(): number {
    return this.actors.size;
  }

  /** Whether the actor lives here (direct calls go only to actors that do). */
  has(actorId: string): boolean {
    return this.actors.has(actorId);
  }

  /** Starts the actor in a new Web Worker; answers the error, or null. A second start of the same actor replaces the first. */
  async create(message: CreateActor, className: string, source: string): Promise<RemoteError | null> {
    this.kill(message.actorId);
    const index = ++this.spawned;
    const worker = new Worker(new URL('./taskWorker.ts', import.meta.url), { type: 'module', name: `shoal-actor-${className}-${index}` });
    const remote = wrap<TaskWorkerApi>(worker);
    const hosted: HostedActor = { taskId: message.taskId, worker, remote, handedOver: Promise.resolve() };
    this.actors.set(message.actorId, hosted);
    const host: TaskHost = { ...this.host, done: () => {}, setBlocked: () => {} };
    void remote.init(proxy(host), this.workerId, `${this.workerId}.a${index}.`, this.gpuInfo);
    // A Web Worker whose script fails to load answers nothing: its error event ends the start instead of a hang.
    const failedToLoad = new Promise<RemoteError>((resolve) => {
      worker.addEventListener('error', (event) => resolve({ name: 'ShoalError', code: 'ERR_ACTOR_DIED', message: `the actor's Web Worker failed: ${event.message || 'its script did not load'}`, workerId: this.workerId }), { once: true });
    });
    try {
      const make = await this.fetchInputs(message.fetch);
      const blobs = make?.();
      const request = { actorId: message.actorId, className, source, args: message.args, maxConcurrency: message.maxConcurrency, restore: 'restore' in message ? { value: message.restore } : null, ...(blobs ? { blobs } : {}) };
      const error = await Promise.race([remote.createActor(blobs ? transfer(request, Object.values(blobs)) : request), failedToLoad]);
      if (error) this.kill(message.actorId);
      return error;
    } catch (thrown) {
      this.kill(message.actorId);
      return toRemoteError(thrown, this.workerId);
    }
  }

  /** Runs a call; never rejects. */
  call(message: ActorCall): Promise<ActorCallOutcome> {
    const hosted = this.actors.get(message.actorId);
    if (!hosted) return Promise.resolve(failure(`actor ${message.actorId} does not live on this worker`, this.workerId));
    const inputs = this.fetchInputs(message.fetch);
    let handOver!: () => void;
    const previous = hosted.handedOver;
    hosted.handedOver = new Promise((resolve) => (handOver = resolve));
    return (async (): Promise<ActorCallOutcome> => {
      let make: (() => Record<string, ArrayBuffer>) | null;
      try {
        make = await inputs;
      } catch (error) {
        const remote = toRemoteError(error, this.workerId);
        await previous;
        handOver();
        return { result: { ok: false, error: { ...remote, message: `${FETCH_FAILED_PREFIX} ${message.callId}: ${remote.message}` } }, durationMs: 0 };
      }
      await previous;
      const blobs = make?.();
      const request = { actorId: message.actorId, callId: message.callId, method: message.method, args: message.args, ...(blobs ? { blobs } : {}) };
      const running = hosted.remote.callActor(blobs ? transfer(request, Object.values(blobs)) : request);
      handOver();
      try {
        const { durationMs, buffers, checkpoint, ...result } = await running;
        return { result: result as TaskResult, durationMs, ...(buffers ? { buffers } : {}), ...(checkpoint !== undefined ? { checkpoint } : {}) };
      } catch (error) {
        return failure(`the actor's Web Worker failed: ${error instanceof Error ? error.message : String(error)}`, this.workerId);
      }
    })();
  }

  /** Hands a direct port from a caller's Web Worker to the actor's Web Worker (actorPortServer.ts); false if the actor does not live here. */
  acceptPort(actorId: string, port: MessagePort): boolean {
    const hosted = this.actors.get(actorId);
    if (!hosted) return false;
    void hosted.remote.acceptPort(actorId, transfer(port, [port]));
    return true;
  }

  /** The actor whose placement task is `taskId`, if it lives here. */
  actorOfTask(taskId: string): string | null {
    for (const [actorId, hosted] of this.actors) if (hosted.taskId === taskId) return actorId;
    return null;
  }

  /** Terminates the actor's Web Worker (calls in it are lost; the coordinator has failed them). */
  kill(actorId: string): void {
    const hosted = this.actors.get(actorId);
    if (!hosted) return;
    this.actors.delete(actorId);
    hosted.worker.terminate();
  }

  terminate(): void {
    for (const actorId of [...this.actors.keys()]) this.kill(actorId);
  }
}

function failure(message: string, workerId: string): ActorCallOutcome {
  return { result: { ok: false, error: { name: 'ShoalError', code: 'ERR_ACTOR_DIED', message, workerId } }, durationMs: 0 };
}
