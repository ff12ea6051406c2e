/**
 * The worker tab's runtime: joins the room, greets the coordinator with its
 * capabilities, runs the tasks the coordinator sends in its Web Worker pool,
 * and relays its tasks' own cluster calls (nested submit/get/wait/put) to the
 * coordinator. Only the room's coordinator may send work; anything else is refused.
 */
import { FETCH_FAILED_PREFIX, LEAVE_WITH_HANDOVER, ShoalError, randomId, toRemoteError, type Capabilities, type ControlMessage, type PeerInfo, type Traffic, type WorkerPageStatus } from '@shoal/protocol';
import { ByteLinks, Mesh, type LinkStats } from '@shoal/transport';
import { detectCapabilities } from './capabilities.ts';
import { HEARTBEAT_INTERVAL_MS, Heartbeat } from './heartbeat.ts';
import type { HostReply } from './host.ts';
import { WorkerPool, type PoolHost } from './pool.ts';
import { ActorHost, type ActorCallOutcome } from './actorHost.ts';
import { DirectCalls, type DirectPort } from './directCalls.ts';
import { DirectLinks } from './directLinks.ts';
import { DirectPorts, portHost } from './directPorts.ts';
import { WorkerObjects, type InputBlobs } from './workerObjects.ts';
import { measureSpeed, type DeviceSpeed } from './deviceBench.ts';
import { corrupt, delay, type TestHooks } from './testHooks.ts';
import { CollectiveService } from '@shoal/collective';
import { transfer } from 'comlink';

export interface WorkerRuntimeOptions {
  /** ws(s):// URL of the signaling server. */
  url: string;
  room: string;
  name?: string | undefined;
  /** Web Workers to run tasks in; defaults to navigator.hardwareConcurrency. */
  slots?: number | null;
  /** User-defined resources this worker offers, e.g. {dataset: 1}. */
  custom?: Record<string, number>;
  /** Object store capacity in bytes (beyond it, objects spill to OPFS); default a share of device memory. */
  storeBytes?: number | null;
  /** Measure this device's speed once it has joined (see deviceBench.ts). Default true. */
  bench?: boolean;
  /** Offer this browser's GPU (if any) to the cluster. Default true. */
  gpu?: boolean;
  /** Reach tabs of this browser through the in-browser channel. Default true; false forces WebRTC. */
  colocated?: boolean;
  /** STUN/TURN servers; default: the ones the signaling server sends in its welcome (none: host candidates only). */
  iceServers?: RTCIceServer[];
  /** Called whenever the status changes (for the page to re-render). */
  onChange?: (status: WorkerPageStatus) => void;
  /** Runaway caps (pool.ts): longest a task may run, in s (default 600), and most binary memory per Web Worker, in MiB (default 1024); null: no cap. */
  taskSeconds?: number | null;
  taskMemoryMiB?: number | null;
  /** Test hooks: a slow or lying worker (testHooks.ts). */
  testHooks?: TestHooks;
}

type RunTask = Extract<ControlMessage, { type: 'runTask' }>;

/** The runaway caps' defaults (README.md "Runaway caps"): a task may run 10 minutes and hold 1 GiB of buffers. */
export const DEFAULT_TASK_SECONDS = 600;
export const DEFAULT_TASK_MEMORY_MIB = 1024;

/** Longest a leaving tab waits for the coordinator to copy its objects off it before it closes anyway. */
const LEAVE_GRACE_MS = 5000;

/** A consuming task's inputs are handed over only while they total at most this share of the task memory cap. */
const CONSUME_SHARE_OF_CAP = 1 / 4;

export class WorkerRuntime {
  private readonly functions = new Map<string, { name: string; source: string }>();
  private readonly current = new Map<string, string>();
  /** Functions whose source this worker already sent with a nested submit. */
  private readonly sentSources = new Set<string>();
  private readonly requests = new Map<string, (reply: HostReply) => void>();
  private readonly pool: WorkerPool;
  /** Consuming tasks whose inputs total more than this get copies (CONSUME_SHARE_OF_CAP). */
  private readonly consumeLimitBytes: number;
  /** Actors living on this worker, each in a Web Worker of its own. */
  private readonly actors: ActorHost;
  /** Actor calls peer to peer, both ways (directCalls.ts). */
  readonly direct: DirectCalls;
  private readonly directLinks: DirectLinks;
  /** Ports straight from task Web Workers to actors' Web Workers (directPorts.ts). */
  private readonly ports: DirectPorts;
  private readonly heartbeat = new Heartbeat();
  /** How often to beat: every second, unless the coordinator of a big room says slower (`heartbeatEvery`). */
  private beatMs = HEARTBEAT_INTERVAL_MS;
  /** Set while leaving, until the coordinator has taken this tab's objects (see `leave`). */
  private leaveTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly links: ByteLinks;
  readonly objects: WorkerObjects;
  /** Collectives of the group members running here (@shoal/collective): rings over the bulk links. */
  readonly collective: CollectiveService;
  private coordinator: PeerInfo | null = null;
  private speed: Promise<DeviceSpeed> | null = null;
  private coordinatorState: WorkerPageStatus['coordinator'] = 'none';
  private connection: WorkerPageStatus['connection'] = 'connected';
  private tasksRun = 0;
  /** Messages refused because they were malformed or came from a peer that may not send them. */
  rejected = 0;
  /** A status for the page is due at the end of this turn (`changed`). */
  private changeQueued = false;

  /** Paused by the volunteer: the coordinator places no new tasks here (`pause`). */
  private paused = false;
  /** The job the coordinator runs now (`jobInfo`). */
  private job: WorkerPageStatus['job'] = null;

  private constructor(
    private readonly mesh: Mesh,
    private readonly caps: Capabilities,
    private readonly options: WorkerRuntimeOptions,
  ) {
    const taskSeconds = options.taskSeconds === undefined ? DEFAULT_TASK_SECONDS : options.taskSeconds;
    const taskMemoryMiB = options.taskMemoryMiB === undefined ? DEFAULT_TASK_MEMORY_MIB : options.taskMemoryMiB;
    const limits = { taskMs: taskSeconds === null ? null : taskSeconds * 1000, memoryBytes: taskMemoryMiB === null ? null : taskMemoryMiB * 2 ** 20 };
    this.pool = new WorkerPool(caps.slots, mesh.peerId, this.poolHost(), caps.gpu, limits);
    this.consumeLimitBytes = limits.memoryBytes === null ? Infinity : limits.memoryBytes * CONSUME_SHARE_OF_CAP;
    this.actors = new ActorHost(mesh.peerId, this.poolHost(), caps.gpu, (fetch) => this.objects.inputs(fetch));
    this.direct = new DirectCalls(this.directPort());
    this.directLinks = new DirectLinks(mesh, (from, message) => this.direct.receive(from, false, message), (peerId) => this.direct.peerLost(peerId), options.colocated ?? true);
    this.ports = new DirectPorts({
      self: mesh.peerId,
      direct: this.direct,
      colocated: options.colocated ?? true,
      acceptHere: (actorId, port) => this.actors.acceptPort(actorId, port),
      keep: (report) => {
        if (report.result.ok && report.result.stored && report.buffers) void this.objects.keepOutputs(() => report.callId, report.result.stored, report.buffers);
      },
    });
    this.objects = new WorkerObjects({
      peerId: mesh.peerId,
      capacityBytes: options.storeBytes ?? null,
      deviceMemoryGiB: caps.deviceMemoryGiB,
      connect: (peerId) => this.links.fetcher(peerId),
      toCoordinator: (message) => {
        if (this.coordinator) this.send(this.coordinator.peerId, message);
      },
      onStats: () => this.changed(),
    });
    this.collective = new CollectiveService({
      self: mesh.peerId,
      // The ring never touches a chunk it sent again: handed over, a co-located port transfers it instead of cloning it.
      push: async (peerId, objectId, data) => (await this.links.fetcher(peerId)).push(objectId, data, { handOver: true }),
      // A beat at once when collectives start, flagged `bulk`: the coordinator then waits longer for this tab's next ones.
      onBusy: (busy) => {
        if (busy && this.coordinator) this.send(this.coordinator.peerId, { type: 'heartbeat', bulk: true });
      },
    });
    this.links = new ByteLinks(mesh, (objectId) => this.objects.plane.serve(objectId), {
      colocated: options.colocated ?? true,
      onPushed: (objectId, buffer) => void this.collective.onPushed(objectId, buffer),
    });
  }

  static async start(options: WorkerRuntimeOptions): Promise<WorkerRuntime> {
    const caps = await detectCapabilities(options.slots ?? null, options.custom ?? {}, options.gpu ?? true);
    const mesh = await Mesh.join({ url: options.url, room: options.room, role: 'worker', name: options.name, iceServers: options.iceServers });
    const runtime = new WorkerRuntime(mesh, caps, options);
    for (const view of mesh.peers()) if (view.info.role === 'coordinator') runtime.coordinatorState = 'connecting';
    mesh.on('peerOpen', (peer) => {
      if (peer.role !== 'coordinator') return;
      runtime.coordinator = peer;
      runtime.coordinatorState = 'open';
      runtime.direct.reset();
      runtime.sentSources.clear();
      mesh.send(peer.peerId, { type: 'hello', caps });
      if (runtime.paused) mesh.send(peer.peerId, { type: 'availability', paused: true, slots: caps.slots });
      mesh.send(peer.peerId, { type: 'storeStats', stats: runtime.objects.stats() });
      if (options.bench !== false) {
        // Not on a software adapter (SwiftShader): a tab that has used WebGPU there costs the
        // browser's GPU process 0.5–6 s to tear down when it closes, freezing every tab of that
        // browser meanwhile (the coordinator's included), and its figure is the CPU's anyway.
        runtime.speed ??= measureSpeed(caps.gpu !== null && !caps.gpu.isFallback);
        void runtime.speed.then((speed) => {
          if (runtime.coordinator?.peerId === peer.peerId) runtime.send(peer.peerId, { type: 'benchmark', ...speed });
        });
      }
      runtime.beatMs = HEARTBEAT_INTERVAL_MS; // a coordinator that wants slower beats says so after the hello
      runtime.beat(peer.peerId);
      runtime.changed();
    });
    mesh.on('peerClosed', (peer, _reason, retired) => {
      runtime.direct.peerLost(peer.peerId); // direct calls out to it are left to the coordinator
      if (retired) return; // an idle on-demand link closed to stay within the cap; the peer is still there
      runtime.collective.peerLost(peer.peerId);
      if (peer.peerId !== runtime.coordinator?.peerId) return;
      runtime.coordinator = null;
      runtime.coordinatorState = 'none';
      runtime.direct.reset();
      runtime.heartbeat.stop();
      runtime.changed();
    });
    mesh.on('message', (from, message) => runtime.receive(from, message));
    mesh.on('badMessage', () => {
      runtime.rejected += 1;
    });
    mesh.on('closed', () => {
      if (runtime.connection !== 'left') runtime.connection = 'failed';
      runtime.heartbeat.stop();
      runtime.pool.terminate();
      runtime.actors.terminate();
      runtime.directLinks.close();
      runtime.ports.close();
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
      store: this.objects.stats(),
      traffic: this.traffic(),
      paused: this.paused,
      coreCap: this.caps.slots,
      job: this.job,
      taskSeconds: this.options.taskSeconds === undefined ? DEFAULT_TASK_SECONDS : (this.options.taskSeconds ?? 0),
      taskMemoryMiB: this.options.taskMemoryMiB === undefined ? DEFAULT_TASK_MEMORY_MIB : (this.options.taskMemoryMiB ?? 0),
    };
  }

  /**
   * Pauses (true) or resumes (false): paused, the coordinator sends no new
   * tasks (running ones, and any already on their way, finish).
   */
  setPaused(paused: boolean): void {
    this.paused = paused;
    this.announce();
  }

  /** Uses `cores` task slots from now on (1 … the device's cores, or the slots it started with if more); answers the cap set. */
  setCores(cores: number): number {
    const most = Math.max(this.caps.cores, this.pool.size, this.caps.slots);
    this.caps.slots = Math.max(1, Math.min(most, Math.floor(cores) || 1));
    this.pool.resize(this.caps.slots);
    this.announce();
    return this.caps.slots;
  }

  /** This tab's peer links (on demand, against the cap; pinned to the coordinator). */
  linkStats(): LinkStats {
    return this.mesh.linkStats();
  }

  /** Tells the coordinator what this worker offers now (the scheduler follows), and re-renders. */
  private announce(): void {
    if (this.coordinator) this.send(this.coordinator.peerId, { type: 'availability', paused: this.paused, slots: this.caps.slots });
    this.changed();
  }

  traffic(): Traffic {
    const { fetches, fetchedBytes, served, servedBytes } = this.objects.plane.traffic;
    return { ...this.links.controlTraffic(), objectsServed: served, objectBytesServed: servedBytes, objectsFetched: fetches, objectBytesFetched: fetchedBytes, bulkPaths: Object.fromEntries(this.links.paths) };
  }

  /**
   * Leaves the room for good. It stops taking work at once (running tasks
   * are stopped and retried elsewhere) and tells the coordinator, which
   * copies the objects only this tab holds to other workers — this tab
   * keeps serving them meanwhile — and says `leaving` back when done
   * (client/src/handover.ts); then, or after `LEAVE_GRACE_MS`, it closes.
   */
  leave(options: { handover?: boolean } = {}): void {
    if (this.connection === 'left' || this.leaveTimer !== null) return;
    this.pool.terminate(); // actors serve calls until the tab goes: the coordinator restarts them elsewhere then
    const coordinator = this.coordinator;
    // Without a handover (the tab is closing), the goodbye that closing sends is all there is.
    if (options.handover === false || !coordinator || !this.mesh.isOpen(coordinator.peerId)) return this.close();
    this.send(coordinator.peerId, { type: 'leaving', reason: LEAVE_WITH_HANDOVER });
    this.leaveTimer = setTimeout(() => this.close(), LEAVE_GRACE_MS);
  }

  private close(): void {
    if (this.leaveTimer !== null) clearTimeout(this.leaveTimer);
    this.connection = 'left';
    this.heartbeat.stop();
    this.mesh.close('the volunteer left');
    this.pool.terminate();
    this.actors.terminate();
    this.changed();
  }

  private receive(from: PeerInfo, message: ControlMessage): void {
    if (message.type === 'leaving') {
      // The coordinator has taken this tab's objects: it may go now.
      if (this.leaveTimer !== null && from.peerId === this.coordinator?.peerId) this.close();
      return;
    }
    if (this.leaveTimer !== null && message.type === 'runTask') return; // leaving: it is retried elsewhere
    if (this.direct.receive(from.peerId, from.peerId === this.coordinator?.peerId, message)) return; // direct actor calls come from any worker
    if (from.peerId !== this.coordinator?.peerId) return this.refuse(from, message);
    switch (message.type) {
      case 'jobInfo':
        this.job = message.job;
        return this.changed();
      case 'heartbeatEvery':
        this.beatMs = message.ms;
        return this.beat(from.peerId);
      case 'defineFn':
        this.functions.set(message.fnId, { name: message.name, source: message.source });
        this.pool.warm(); // a task of it follows: its Web Worker starts while the task's inputs are fetched (not on jobInfo, which every tab hears at once)
        return;
      case 'runTask':
        return void this.run(from.peerId, message);
      case 'cancelTask': {
        // An actor's placement task cancelled: the actor is killed.
        const actorId = this.actors.actorOfTask(message.taskId);
        if (actorId === null) return this.pool.cancel(message.taskId, message.force);
        this.actors.kill(actorId);
        const error = { name: 'ShoalError', code: 'ERR_CANCELLED' as const, message: 'the actor was killed', workerId: this.mesh.peerId };
        return this.send(from.peerId, { type: 'taskDone', taskId: message.taskId, result: { ok: false, error }, durationMs: 0 });
      }
      case 'createActor':
        return void this.createActor(from.peerId, message);
      case 'actorCall':
        return void this.callActor(from.peerId, message);
      case 'nestedReply': {
        const resolve = this.requests.get(message.requestId);
        this.requests.delete(message.requestId);
        if (!resolve) return;
        if (!message.result.ok || !message.fetch?.length) return resolve(message.result);
        const { value } = message.result;
        return void this.objects.blobsFor(message.fetch).then(
          (blobs) => resolve(blobs ? { ok: true, value, blobs } : { ok: true, value }),
          (error: unknown) => resolve({ ok: false, error: toRemoteError(error, this.mesh.peerId) }),
        );
      }
      case 'releaseObjects':
        return this.objects.release(message.ids);
      case 'replicate':
        return this.objects.replicate(message.objectId, message.size, message.from);
      default:
        return this.refuse(from, message);
    }
  }

  /** (Re)starts the heartbeats to the coordinator at the current pace. */
  private beat(coordinatorId: string): void {
    this.heartbeat.start(() => this.send(coordinatorId, this.collective.busy ? { type: 'heartbeat', bulk: true } : { type: 'heartbeat' }), this.beatMs);
  }

  private async run(coordinatorId: string, message: RunTask): Promise<void> {
    const fn = this.functions.get(message.fnId);
    const { taskId } = message;
    if (!fn) {
      const error = new ShoalError('ERR_BAD_MESSAGE', `runTask ${taskId} names function ${message.fnId}, which was never defined`);
      return this.send(coordinatorId, { type: 'taskDone', taskId, result: { ok: false, error: error.toRemote() }, durationMs: 0 });
    }
    let blobs: InputBlobs | null;
    try {
      // Inputs too big for the task memory cap's share are copied even so: a task that big may run out of memory,
      // and inputs it consumed would then have to be made again (the split of a partition that did not fit reads them).
      // Lent inputs likewise: lost with a Web Worker that ran out of memory, they would have to be made again.
      const small = (message.fetch ?? []).reduce((n, f) => n + f.size, 0) <= this.consumeLimitBytes;
      blobs = await this.objects.inputs(message.fetch, !small ? 'copy' : message.consume ? 'consume' : message.lend ? 'lend' : 'copy');
    } catch (error) {
      const remote = toRemoteError(error, this.mesh.peerId);
      const failure = { ...remote, message: `${FETCH_FAILED_PREFIX} ${taskId}: ${remote.message}` };
      return this.send(coordinatorId, { type: 'taskDone', taskId, result: { ok: false, error: failure }, durationMs: 0 });
    }
    const hooks = this.options.testHooks;
    if (hooks?.delayMs) await delay(hooks.delayMs);
    const outcome = await this.pool.run({
      taskId,
      fnId: message.fnId,
      fnName: fn.name,
      fnSource: fn.source,
      args: message.args,
      ...(blobs ? { blobs } : {}),
      attempt: message.attempt,
      numReturns: message.numReturns,
      checksum: message.checksum === true,
      timeoutMs: message.timeoutMs,
      onStart: () => {
        this.current.set(taskId, fn.name);
        this.changed();
      },
    });
    this.current.delete(taskId);
    const lost = blobs?.done(outcome.returned) ?? []; // lent inputs back to the store; those that did not come back are gone
    if (!outcome.result.ok && blobs && blobs.moved.length > 0) this.objects.consumedByFailure(blobs.moved);
    if (lost.length > 0) this.objects.consumedByFailure(lost);
    this.collective.taskEnded(taskId, outcome.result.ok); // a group member that failed must not leave the others waiting
    if (this.leaveTimer !== null || this.connection === 'left') return; // stopped by leaving: the coordinator retries it elsewhere
    this.tasksRun += 1;
    if (outcome.result.ok && outcome.result.stored && outcome.buffers) {
      const outputId = (index: number) => (message.numReturns === 1 ? taskId : `${taskId}.${index}`);
      void this.objects.keepOutputs(outputId, outcome.result.stored, outcome.buffers);
    }
    const result = hooks?.corruptResults ? corrupt(outcome.result) : outcome.result;
    this.send(coordinatorId, { type: 'taskDone', taskId, result, durationMs: outcome.durationMs });
    this.changed();
  }

  private async createActor(coordinatorId: string, message: Extract<ControlMessage, { type: 'createActor' }>): Promise<void> {
    const cls = this.functions.get(message.fnId);
    const missing = { name: 'ShoalError', code: 'ERR_BAD_MESSAGE' as const, message: `createActor ${message.actorId} names class ${message.fnId}, which was never defined` };
    const error = cls ? await this.actors.create(message, cls.name, cls.source) : missing;
    this.send(coordinatorId, { type: 'actorStarted', actorId: message.actorId, taskId: message.taskId, ...(error ? { error } : {}) });
    this.changed();
  }

  private async callActor(coordinatorId: string, message: Extract<ControlMessage, { type: 'actorCall' }>): Promise<void> {
    const outcome = await this.runActorCall(message);
    const checkpoint = outcome.checkpoint === undefined ? {} : { checkpoint: outcome.checkpoint };
    this.send(coordinatorId, { type: 'actorResult', actorId: message.actorId, callId: message.callId, result: outcome.result, durationMs: outcome.durationMs, ...checkpoint });
    this.changed();
  }

  /** Runs a call on an actor living here (sent by the coordinator, or direct); its stored output stays in this store. */
  private async runActorCall(message: { actorId: string; callId: string; method: string; args: unknown[]; fetch?: Extract<ControlMessage, { type: 'actorCall' }>['fetch'] }): Promise<ActorCallOutcome> {
    this.current.set(message.callId, message.method);
    this.changed();
    const outcome = await this.actors.call({ type: 'actorCall', ...message });
    this.current.delete(message.callId);
    this.collective.taskEnded(message.callId, outcome.result.ok);
    this.tasksRun += 1;
    if (outcome.result.ok && outcome.result.stored && outcome.buffers) void this.objects.keepOutputs(() => message.callId, outcome.result.stored, outcome.buffers);
    return outcome;
  }

  /** What direct actor calls need of this page (directCalls.ts). */
  private directPort(): DirectPort {
    return {
      self: this.mesh.peerId,
      toCoordinator: (message) => {
        if (!this.coordinator || !this.mesh.isOpen(this.coordinator.peerId)) return false;
        this.mesh.send(this.coordinator.peerId, message);
        return true;
      },
      toPeer: (peerId, message) => this.directLinks.send(peerId, message),
      waitSettled: async (ids) => {
        await this.poolHost().wait(ids[0]!, ids, ids.length, null);
      },
      hosts: (actorId) => this.actors.has(actorId),
      run: (call) => this.runActorCall(call),
    };
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
      put: (parentTaskId, objectId, value, stored) => {
        if (!stored) return toCoordinator({ type: 'nestedPut', parentTaskId, objectId, value });
        void this.objects.plane.put(objectId, stored.buffer);
        toCoordinator({ type: 'nestedPut', parentTaskId, objectId, value: null, stored: { size: stored.size, refs: stored.refs } });
      },
      get: (parentTaskId, ids, timeoutMs) => {
        const ask = () => request((requestId) => ({ type: 'nestedGet', requestId, parentTaskId, ids, timeoutMs }));
        return this.direct.get(ids, timeoutMs, ask) ?? ask(); // direct calls' results are answered here
      },
      wait: (parentTaskId, ids, numReturns, timeoutMs) => request((requestId) => ({ type: 'nestedWait', requestId, parentTaskId, ids, numReturns, timeoutMs })),
      free: (ids) => toCoordinator({ type: 'nestedFree', ids }),
      cancel: (objectId, force) => toCoordinator({ type: 'nestedCancel', objectId, force }),
      actorCall: (parentTaskId, callId, actorId, method, args) => this.direct.call(parentTaskId, callId, actorId, method, args),
      actorCallsAndGet: (parentTaskId, calls, ids, timeoutMs) => {
        for (const call of calls) this.direct.call(call.parentTaskId, call.callId, call.actorId, call.method, call.args);
        const ask = () => request((requestId) => ({ type: 'nestedGet', requestId, parentTaskId, ids, timeoutMs }));
        return this.direct.get(ids, timeoutMs, ask) ?? ask();
      },
      ...portHost(() => this.ports),
      collective: async (request) => {
        const reply = await this.collective.run(request);
        return reply.ok ? transfer(reply, reply.data) : reply;
      },
    };
  }

  private send(peerId: string, message: ControlMessage): void {
    if (!this.mesh.isOpen(peerId)) return; // the coordinator is gone; it will resubmit elsewhere
    if (peerId === this.coordinator?.peerId) this.direct.flush(); // direct calls' notices first: what follows may name them
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

  /**
   * The page is told once per turn, however many things changed in it: a
   * batch of tasks starting or finishing used to build the whole status
   * (store stats, traffic, the running set) twice per task.
   */
  private changed(): void {
    if (this.changeQueued || !this.options.onChange) return;
    this.changeQueued = true;
    queueMicrotask(() => {
      this.changeQueued = false;
      this.options.onChange?.(this.status());
    });
  }
}
