/**
 * Actors on the coordinator (Ray's model): a stateful instance of a class,
 * living in a Web Worker of its own on one worker, whose method calls run
 * there in the order they were made.
 *
 * - Placement: the actor is a scheduler task that never finishes. The
 *   scheduler places it like any task (its resources are held while it
 *   lives) and re-places it when its worker is lost: that is a restart,
 *   bounded by `maxRestarts` (its `maxRetries` there). Cancelling the task
 *   kills the actor.
 * - Calls: each has its own object id (its result), announced to the
 *   scheduler as an external object (scheduler/src/external.ts) so tasks can
 *   take it as an input. Calls wait here, in order, until the actor is alive
 *   and the head call's inputs are ready, then go to the actor's worker
 *   (one ordered channel, so they arrive in order).
 * - A restart re-creates the instance from its constructor arguments; state
 *   is not kept, unless the class has `checkpoint()` (called after each call,
 *   its value kept here) and `restore(state)` (called on the new instance).
 *   Calls that were running fail with ERR_ACTOR_DIED, or run again on the new
 *   instance up to `maxTaskRetries` times; calls not yet sent just wait.
 * - Direct calls (runtime/src/directCalls.ts): a task's calls go peer to
 *   peer to the actor's worker. Workers ask where an actor lives
 *   (`locate`) and are told again on every change (`actorRoute`). The
 *   caller announces each direct call (`sent`, batched) and the actor's
 *   worker reports its outcome (`results`, batched, in either order): from
 *   then on it is held here as running at that worker, exactly like a call
 *   sent from here (dashboard counts, checkpoints, lineage, worker loss).
 */
import { DEFAULT_ACTOR_OPTIONS, ShoalError, type ActorOptions, type ControlMessage, type RemoteError } from '@shoal/protocol';
import { deathOf, dropLate, failCall, registerCall, settleCall, type ActorEntry, type ActorResult, type ActorsHost, type Announcement, type Call, type Report } from './actorCalls.ts';
import { wireRefIds } from './argsCodec.ts';
import type { ActorEvent, ActorState } from './coordinatorTypes.ts';

export type { ActorEvent, ActorState } from './coordinatorTypes.ts';
export type { ActorsHost } from './actorCalls.ts';

/** One actor as the dashboard lists it (`Actors.snapshot`). */
export interface ActorRow {
  actorId: string;
  className: string;
  name: string | null;
  state: ActorState;
  workerId: string | null;
  /** Starts so far: 1, plus one per restart. */
  starts: number;
  /** Calls waiting to be sent, and sent but not answered. */
  queued: number;
  running: number;
  callsDone: number;
  /** Calls that went peer to peer, from a task's worker to the actor's, not through the coordinator. */
  directCalls: number;
  /** Why it died (dead actors only). */
  death: string | null;
}

/** Dead actors kept for the dashboard (and for clear errors on late calls); older ones are forgotten. */
const KEEP_DEAD = 100;
/** Direct calls' outcomes that came before their announcement, kept at most (the oldest go first). */
const KEEP_EARLY = 10_000;

export class Actors {
  private readonly actors = new Map<string, ActorEntry>();
  private readonly names = new Map<string, string>();
  /** Workers told where each actor lives (`locate`), to be told again on each change. */
  private readonly watchers = new Map<string, Set<string>>();
  /** Direct calls' outcomes reported before their caller's announcement, by call id. */
  private readonly early = new Map<string, { workerId: string; report: Report; arrival: number }>();
  /** Calls a worker named while they waited there to be sent (direct, or relayed by `call`). */
  private readonly held = new Set<string>();
  /** Counts results as they arrive, so an early one applied later does not replace a newer checkpoint. */
  private arrivals = 0;
  /** Every actor's life, in order (bounded). */
  readonly log: ActorEvent[] = [];

  constructor(private readonly coordinator: ActorsHost) {}

  /** Creates an actor from a class's source; answers its id at once (it starts when the scheduler places it). */
  create(className: string, source: string, wireArgs: unknown[], options: ActorOptions): string {
    const name = options.name ?? null;
    if (name !== null && this.names.has(name)) throw new ShoalError('ERR_BAD_OPTION', `an actor named '${name}' already exists; names are unique among live actors`);
    const coordinator = this.coordinator;
    const fnId = coordinator.registerFunction(className, source);
    const actorId = coordinator.newId();
    const maxRestarts = options.maxRestarts ?? DEFAULT_ACTOR_OPTIONS.maxRestarts;
    this.actors.set(actorId, {
      actorId,
      className,
      name,
      args: wireArgs,
      maxConcurrency: options.maxConcurrency ?? DEFAULT_ACTOR_OPTIONS.maxConcurrency,
      maxTaskRetries: options.maxTaskRetries ?? DEFAULT_ACTOR_OPTIONS.maxTaskRetries,
      state: 'pending',
      workerId: null,
      starts: 0,
      queue: [],
      running: new Map(),
      checkpoint: null,
      death: null,
      draining: false,
      callsDone: 0,
      directCalls: 0,
    });
    if (name !== null) this.names.set(name, actorId);
    // By default an actor holds no task slot: it runs in a Web Worker of its own (Ray holds 0 CPUs for a live actor too).
    const resources = { cpu: 0, ...options.resources };
    coordinator.submit(actorId, fnId, `${className} (actor)`, wireArgs, { resources, maxRetries: maxRestarts }, null, { actorId, killedWorkersLimit: maxRestarts + 1 });
    coordinator.apply({ type: 'objectReleased', objectId: actorId }); // its task's output is never made: nobody holds it
    this.record(this.actors.get(actorId)!, 'pending');
    return actorId;
  }

  has(actorId: string): boolean {
    return this.actors.has(actorId);
  }

  byName(name: string): string | null {
    return this.names.get(name) ?? null;
  }

  className(actorId: string): string {
    return this.actors.get(actorId)?.className ?? 'actor';
  }

  state(actorId: string): ActorState | null {
    return this.actors.get(actorId)?.state ?? null;
  }

  /** The scheduler placed the actor's task on `workerId` (its first start, or a restart). */
  place(actorId: string, taskId: string, workerId: string, attempt: number, fnId: string): void {
    const entry = this.actors.get(actorId);
    if (!entry || entry.state === 'dead') return;
    entry.workerId = workerId;
    entry.starts = attempt;
    const { args, fetch } = this.coordinator.argsFor(entry.args, workerId);
    this.coordinator.sendTo(workerId, {
      type: 'createActor',
      actorId,
      taskId,
      fnId,
      args,
      ...(fetch.length > 0 ? { fetch } : {}),
      maxConcurrency: entry.maxConcurrency,
      ...(entry.checkpoint ? { restore: entry.checkpoint.value } : {}),
    });
  }

  /** The worker constructed the actor (or could not: then its task fails, and the actor with it). */
  started(workerId: string, message: Extract<ControlMessage, { type: 'actorStarted' }>): void {
    const entry = this.actors.get(message.actorId);
    if (!entry || entry.workerId !== workerId || entry.state === 'dead') return;
    if (message.error) {
      const error = { ...message.error, workerId };
      return this.coordinator.apply({ type: 'taskFailed', taskId: message.taskId, workerId, error, kind: 'exception' });
    }
    this.record(entry, 'alive');
    void this.drain(entry);
  }

  /** Whether `callId` was named by a worker (`sent` without `at`) and not yet sent. */
  isHeld(callId: string): boolean {
    return this.held.has(callId);
  }

  /** Submits a call; its result will be `callId`. */
  call(actorId: string, method: string, wireArgs: unknown[], callId: string): void {
    const coordinator = this.coordinator;
    const entry = this.actors.get(actorId);
    const deps = [...wireRefIds(wireArgs)];
    if (!this.held.delete(callId)) registerCall(this.coordinator, callId, `${entry?.className ?? 'actor'}.${method}`, deps);
    // The call holds its inputs until it settles (finish/fail release what it holds), as a task's inputs are held
    // while it waits: a put the job dropped while the actor was still starting was released, and the call waited on it forever.
    for (const id of deps) coordinator.holders.holdForParent(id, callId);
    const call: Call = { callId, method, args: wireArgs, deps, retries: 0 };
    if (!entry) return failCall(this.coordinator, null, call, new ShoalError('ERR_ACTOR_DIED', `actor ${actorId} is unknown to this cluster (killed long ago, or from another cluster)`));
    if (entry.state === 'dead') return failCall(this.coordinator, entry, call, entry.death!);
    entry.queue.push(call);
    void this.drain(entry);
  }

  /** A call's result from the actor's worker. */
  result(workerId: string, message: ActorResult): void {
    const entry = this.actors.get(message.actorId);
    const call = entry?.running.get(message.callId);
    if (!entry || !call || entry.workerId !== workerId) return dropLate(this.coordinator, workerId, message);
    this.finish(entry, call, workerId, message);
  }


  /** Where the actor lives, for a worker that will call it directly; it is told again on every change. */
  locate(workerId: string, actorId: string): void {
    const entry = this.actors.get(actorId);
    if (entry && entry.state !== 'dead') {
      let watchers = this.watchers.get(actorId);
      if (!watchers) this.watchers.set(actorId, (watchers = new Set()));
      watchers.add(workerId);
    }
    this.coordinator.sendTo(workerId, this.routeOf(actorId, entry));
  }


  /** Direct calls a worker's tasks sent to the actor's worker `at` (announced after the fact), or only named while they wait there (no `at`). */
  sent(notice: Announcement): void {
    const coordinator = this.coordinator;
    const entry = this.actors.get(notice.actorId);
    const known = entry?.running.get(notice.callId);
    if (known) {
      // Announced before, and now said unsent: it never reached the actor's worker, so it is relayed from here.
      if (notice.unsent && notice.args) {
        entry!.running.delete(known.callId);
        this.requeue(entry!, { ...known, args: notice.args, unsent: true, direct: false });
      }
      return;
    }
    const wasHeld = this.held.delete(notice.callId);
    if (!wasHeld && coordinator.objects.has(notice.callId)) return; // settled already (its worker was lost meanwhile)
    if (!wasHeld) registerCall(this.coordinator, notice.callId, `${entry?.className ?? 'actor'}.${notice.method}`, []);
    if (notice.at === undefined) {
      this.held.add(notice.callId);
      return;
    }
    const call: Call = { callId: notice.callId, method: notice.method, args: notice.args ?? null, deps: [], retries: 0, direct: true };
    if (!entry) return failCall(this.coordinator, null, call, new ShoalError('ERR_ACTOR_DIED', `actor ${notice.actorId} is unknown to this cluster (killed long ago, or from another cluster)`));
    if (entry.state === 'dead') return failCall(this.coordinator, entry, call, entry.death!);
    if (notice.unsent && notice.args) return this.requeue(entry, { ...call, unsent: true, direct: false });
    const early = this.early.get(notice.callId);
    this.early.delete(notice.callId);
    coordinator.notify('task', { kind: 'dispatched', t: Date.now(), taskId: call.callId, workerId: notice.at, attempt: 1, fetchBytes: 0 });
    if (early && early.workerId === notice.at) return this.finish(entry, call, notice.at, { type: 'actorResult', ...early.report }, early.arrival);
    if (entry.workerId === notice.at && entry.state === 'alive') {
      entry.running.set(call.callId, call);
      return;
    }
    // Its worker was lost before this announcement came: as a call running there then.
    this.lost(entry, call, notice.at);
  }

  /** Outcomes of direct calls the actors of `workerId` ran (their callers announce them, before or after). */
  results(workerId: string, reports: Report[]): void {
    for (const report of reports) {
      const entry = this.actors.get(report.actorId);
      const call = entry?.running.get(report.callId);
      if (entry && call) {
        if (entry.workerId === workerId) this.finish(entry, call, workerId, { type: 'actorResult', ...report });
        else dropLate(this.coordinator, workerId, report);
        continue;
      }
      if (this.coordinator.objects.has(report.callId)) {
        dropLate(this.coordinator, workerId, report);
        continue;
      }
      this.early.set(report.callId, { workerId, report, arrival: ++this.arrivals });
      if (this.early.size > KEEP_EARLY) this.early.delete(this.early.keys().next().value!);
    }
  }

  private finish(entry: ActorEntry, call: Call, workerId: string, message: ActorResult, arrival = ++this.arrivals): void {
    entry.running.delete(call.callId);
    if (call.direct) entry.directCalls += 1;
    if (message.checkpoint !== undefined && arrival >= (entry.checkpoint?.arrival ?? 0)) entry.checkpoint = { value: message.checkpoint, arrival };
    settleCall(this.coordinator, entry, call, workerId, message);
  }

  /**
   * The actor's worker is gone (called before the scheduler hears of it, which
   * then restarts the actor elsewhere, or fails its task if restarts are spent).
   */
  workerLost(workerId: string): void {
    for (const entry of this.actors.values()) {
      if (entry.workerId !== workerId || entry.state === 'dead') continue;
      entry.workerId = null;
      const retry: Call[] = [];
      for (const call of entry.running.values()) if (!this.failOrRetry(entry, call, workerId)) retry.push(call);
      entry.running.clear();
      entry.queue.unshift(...retry);
      this.record(entry, 'restarting', `worker ${workerId} was lost`);
    }
  }

  /**
   * A call running at `workerId` when it was lost: it fails with ERR_ACTOR_DIED, or is counted a retry
   * (`call.retries` goes up) under maxTaskRetries. Answers whether it failed.
   */
  private failOrRetry(entry: ActorEntry, call: Call, workerId: string): boolean {
    if (call.retries < entry.maxTaskRetries && call.args !== null) {
      call.retries += 1;
      call.direct = false;
      return false;
    }
    const message = `actor ${entry.className} (${entry.actorId}) died while running '${call.method}': its worker ${workerId} was lost (maxTaskRetries: ${entry.maxTaskRetries})`;
    failCall(this.coordinator, entry, call, new ShoalError('ERR_ACTOR_DIED', message, { workerId }));
    return true;
  }

  /** A direct call announced after its worker was lost: as if it had been running there. */
  private lost(entry: ActorEntry, call: Call, workerId: string): void {
    if (this.failOrRetry(entry, call, workerId)) return;
    entry.queue.unshift(call);
    void this.drain(entry);
  }

  /** Queues a call its caller could not send: after the others like it, ahead of calls relayed later. */
  private requeue(entry: ActorEntry, call: Call): void {
    let at = 0;
    while (at < entry.queue.length && entry.queue[at]!.unsent) at += 1;
    entry.queue.splice(at, 0, call);
    void this.drain(entry);
  }

  private routeOf(actorId: string, entry: ActorEntry | undefined): Extract<ControlMessage, { type: 'actorRoute' }> {
    if (!entry || entry.state === 'dead') return { type: 'actorRoute', actorId, workerId: null, dead: true };
    const retries = entry.maxTaskRetries > 0 ? { retries: true as const } : {};
    return { type: 'actorRoute', actorId, workerId: entry.state === 'alive' ? entry.workerId : null, ...retries };
  }

  /** The actor's task failed or was cancelled: the actor is dead, and so are its pending calls. */
  ended(actorId: string, error: RemoteError): void {
    const entry = this.actors.get(actorId);
    if (!entry || entry.state === 'dead') return;
    this.bury(entry, deathOf(entry.className, actorId, error));
  }

  /** `cluster.kill(handle)`: the actor's Web Worker is terminated; pending calls fail with ERR_ACTOR_KILLED. */
  kill(actorId: string): void {
    const entry = this.actors.get(actorId);
    if (!entry || entry.state === 'dead') return;
    this.bury(entry, new ShoalError('ERR_ACTOR_KILLED', `actor ${entry.className} (${actorId}) was killed`));
    this.coordinator.apply({ type: 'taskCancelled', taskId: actorId, force: true });
  }

  /** Every actor, live ones first, for the dashboard. */
  snapshot(): ActorRow[] {
    const rows = [...this.actors.values()].map((entry) => ({
      actorId: entry.actorId,
      className: entry.className,
      name: entry.name,
      state: entry.state,
      workerId: entry.workerId,
      starts: entry.starts,
      queued: entry.queue.length,
      running: entry.running.size,
      callsDone: entry.callsDone,
      directCalls: entry.directCalls,
      death: entry.death?.message ?? null,
    }));
    return [...rows.filter((row) => row.state !== 'dead'), ...rows.filter((row) => row.state === 'dead')];
  }

  /** Kills every live actor (a job ended). */
  killAll(): void {
    for (const actorId of [...this.actors.keys()]) this.kill(actorId);
  }

  private bury(entry: ActorEntry, death: ShoalError): void {
    entry.state = 'dead';
    entry.death = death;
    this.coordinator.holders.releaseChildren(entry.actorId); // what its constructor's handles called
    if (entry.name !== null && this.names.get(entry.name) === entry.actorId) this.names.delete(entry.name);
    const calls = [...entry.running.values(), ...entry.queue];
    entry.running.clear();
    entry.queue = [];
    for (const call of calls) failCall(this.coordinator, entry, call, death);
    this.record(entry, 'dead', death.message);
    this.prune();
  }

  /** Sends queued calls in order while the actor is alive; the head call waits for its inputs. */
  private async drain(entry: ActorEntry): Promise<void> {
    if (entry.draining) return;
    entry.draining = true;
    try {
      while (entry.state === 'alive' && entry.queue.length > 0) {
        const call = entry.queue[0]!;
        const objects = this.coordinator.objects;
        // Unknown (released) inputs count as settled: failedInput fails the call. Waiting on them would resolve at
        // once and loop here in microtasks forever, freezing the coordinator's tab.
        const unsettled = call.deps.filter((id) => objects.has(id) && !objects.isSettled(id));
        if (unsettled.length > 0) {
          await Promise.all(unsettled.map((id) => new Promise<void>((resolve) => objects.whenSettled(id, () => resolve()))));
          continue; // the actor may have died, or the queue changed, meanwhile
        }
        entry.queue.shift();
        const failed = await this.failedInput(call);
        if (failed) failCall(this.coordinator, entry, call, failed);
        else this.send(entry, call);
      }
    } finally {
      entry.draining = false;
    }
  }

  private async failedInput(call: Call): Promise<ShoalError | null> {
    for (const id of call.deps) {
      try {
        this.coordinator.objects.value(id);
      } catch {
        const error = await this.coordinator.objects.wait(id).then(
          () => null,
          (thrown: unknown) => thrown,
        );
        const reason = error instanceof Error ? error.message : `object ${id} is not available`;
        return new ShoalError('ERR_DEPENDENCY_FAILED', `actor call '${call.method}' did not run: its input ${id} failed: ${reason}`);
      }
    }
    return null;
  }

  private send(entry: ActorEntry, call: Call): void {
    const workerId = entry.workerId!;
    const { args, fetch } = this.coordinator.argsFor(call.args ?? [], workerId);
    entry.running.set(call.callId, call);
    this.coordinator.sendTo(workerId, { type: 'actorCall', actorId: entry.actorId, callId: call.callId, method: call.method, args, ...(fetch.length > 0 ? { fetch } : {}) });
    const fetchBytes = fetch.reduce((sum, spec) => sum + spec.size, 0);
    this.coordinator.notify('task', { kind: 'dispatched', t: Date.now(), taskId: call.callId, workerId, attempt: call.retries + 1, fetchBytes });
  }


  /** Keeps at most `KEEP_DEAD` dead actors (the newest), so a long session's list stays bounded. */
  private prune(): void {
    let dead = 0;
    for (const entry of this.actors.values()) if (entry.state === 'dead') dead += 1;
    for (const [actorId, entry] of this.actors) {
      if (dead <= KEEP_DEAD) return;
      if (entry.state !== 'dead') continue;
      this.actors.delete(actorId);
      dead -= 1;
    }
  }

  private record(entry: ActorEntry, state: ActorState, reason?: string): void {
    entry.state = state;
    const event: ActorEvent = { t: Date.now(), actorId: entry.actorId, className: entry.className, state, workerId: entry.workerId, ...(reason ? { reason } : {}) };
    this.log.push(event);
    if (this.log.length > 10_000) this.log.splice(0, this.log.length - 10_000);
    this.coordinator.notify('actor', event);
    const watchers = this.watchers.get(entry.actorId);
    if (!watchers) return;
    const route = this.routeOf(entry.actorId, entry);
    for (const workerId of watchers) this.coordinator.sendTo(workerId, route);
    if (state === 'dead') this.watchers.delete(entry.actorId);
  }
}
