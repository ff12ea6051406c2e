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
 */
import { DEFAULT_ACTOR_OPTIONS, ShoalError, type ActorOptions, type ControlMessage, type RemoteError } from '@shoal/protocol';
import { wireRefIds } from './argsCodec.ts';
import type { ActorEvent, ActorState, EventPort, Records, SchedulerPort, Submitter, WorkerPort } from './coordinatorTypes.ts';
import { summarize } from './taskEvents.ts';
import { sizeOf } from './sizes.ts';
import { taskError } from './taskStatus.ts';

interface Call {
  callId: string;
  method: string;
  args: unknown[];
  deps: string[];
  retries: number;
}

export type { ActorEvent, ActorState } from './coordinatorTypes.ts';

/** What actors need of the coordinator. */
export type ActorsHost = Pick<Submitter, 'registerFunction' | 'newId' | 'submit'> & SchedulerPort & Pick<Records, 'objects' | 'holders' | 'failedNames' | 'plane' | 'holdContained'> & WorkerPort & Pick<EventPort, 'notify'>;

interface ActorEntry {
  actorId: string;
  className: string;
  name: string | null;
  args: unknown[];
  maxConcurrency: number;
  maxTaskRetries: number;
  state: ActorState;
  /** Where it lives, or is being started. */
  workerId: string | null;
  starts: number;
  /** Calls not yet sent, in order. */
  queue: Call[];
  /** Calls sent to its worker, not yet answered, in the order sent. */
  running: Map<string, Call>;
  /** The last `checkpoint()` value, given to `restore()` on a restart. */
  checkpoint: { value: unknown } | null;
  death: ShoalError | null;
  draining: boolean;
  /** Calls answered so far (successes and failures). */
  callsDone: number;
}

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
  /** Why it died (dead actors only). */
  death: string | null;
}

/** Dead actors kept for the dashboard (and for clear errors on late calls); older ones are forgotten. */
const KEEP_DEAD = 100;

type ActorResult = Extract<ControlMessage, { type: 'actorResult' }>;

export class Actors {
  private readonly actors = new Map<string, ActorEntry>();
  private readonly names = new Map<string, string>();
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

  /** Submits a call; its result will be `callId`. */
  call(actorId: string, method: string, wireArgs: unknown[], callId: string): void {
    const coordinator = this.coordinator;
    const entry = this.actors.get(actorId);
    coordinator.objects.pending(callId, null);
    coordinator.apply({ type: 'objectPending', objectId: callId });
    const name = `${entry?.className ?? 'actor'}.${method}`;
    const deps = [...wireRefIds(wireArgs)];
    coordinator.notify('task', { kind: 'submitted', t: Date.now(), taskId: callId, name, deps, parentTaskId: null });
    const call: Call = { callId, method, args: wireArgs, deps, retries: 0 };
    if (!entry) return this.fail(null, call, new ShoalError('ERR_ACTOR_DIED', `actor ${actorId} is unknown to this cluster (killed long ago, or from another cluster)`));
    if (entry.state === 'dead') return this.fail(entry, call, entry.death!);
    entry.queue.push(call);
    void this.drain(entry);
  }

  /** A call's result from the actor's worker. */
  result(workerId: string, message: ActorResult): void {
    const coordinator = this.coordinator;
    const entry = this.actors.get(message.actorId);
    const call = entry?.running.get(message.callId);
    if (!entry || !call || entry.workerId !== workerId) {
      // Late (the actor was restarted or killed meanwhile): what it stored is not needed.
      if (message.result.ok && message.result.stored?.length && !coordinator.objects.holds(message.callId, workerId)) coordinator.plane.release(message.callId, [workerId]);
      return;
    }
    entry.running.delete(call.callId);
    if (message.checkpoint !== undefined) entry.checkpoint = { value: message.checkpoint };
    const { result } = message;
    if (!result.ok) return this.fail(entry, call, taskError(`${entry.className}.${call.method}`, { ...result.error, workerId }, null, call.callId), workerId); // fail() counts it
    entry.callsDone += 1;
    const kept = result.stored?.[0];
    let size: number;
    if (kept) {
      size = kept.size;
      coordinator.objects.resolveStored(call.callId, size, workerId);
      coordinator.holdContained(call.callId, kept.refs);
    } else {
      size = sizeOf(result.value);
      coordinator.objects.resolve(call.callId, result.value);
      coordinator.holdContained(call.callId, wireRefIds(result.value));
    }
    coordinator.holders.releaseChildren(call.callId);
    coordinator.notify('task', { kind: 'finished', t: Date.now(), taskId: call.callId, workerId, durationMs: message.durationMs, bytes: size });
    coordinator.apply({ type: 'objectStored', objectId: call.callId, size, workerId: kept ? workerId : null });
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
      for (const call of entry.running.values()) {
        if (call.retries < entry.maxTaskRetries) {
          call.retries += 1;
          retry.push(call);
        } else {
          const message = `actor ${entry.className} (${entry.actorId}) died while running '${call.method}': its worker ${workerId} was lost (maxTaskRetries: ${entry.maxTaskRetries})`;
          this.fail(entry, call, new ShoalError('ERR_ACTOR_DIED', message, { workerId }));
        }
      }
      entry.running.clear();
      entry.queue.unshift(...retry);
      this.record(entry, 'restarting', `worker ${workerId} was lost`);
    }
  }

  /** The actor's task failed or was cancelled: the actor is dead, and so are its pending calls. */
  ended(actorId: string, error: RemoteError): void {
    const entry = this.actors.get(actorId);
    if (!entry || entry.state === 'dead') return;
    const why = error.code === 'ERR_WORKER_LOST' || error.code === 'ERR_TASK_KILLED_WORKERS' ? `its worker was lost and its restarts are spent (${error.message})` : `${error.name}: ${error.message}`;
    this.bury(entry, new ShoalError('ERR_ACTOR_DIED', `actor ${entry.className} (${actorId}) is dead: ${why}`, { remote: error }));
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
    for (const call of calls) this.fail(entry, call, death);
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
        const unsettled = call.deps.filter((id) => !this.coordinator.objects.isSettled(id));
        if (unsettled.length > 0) {
          await Promise.allSettled(unsettled.map((id) => this.coordinator.objects.wait(id)));
          continue; // the actor may have died, or the queue changed, meanwhile
        }
        entry.queue.shift();
        const failed = await this.failedInput(call);
        if (failed) this.fail(entry, call, failed);
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
    const { args, fetch } = this.coordinator.argsFor(call.args, workerId);
    entry.running.set(call.callId, call);
    this.coordinator.sendTo(workerId, { type: 'actorCall', actorId: entry.actorId, callId: call.callId, method: call.method, args, ...(fetch.length > 0 ? { fetch } : {}) });
    const fetchBytes = fetch.reduce((sum, spec) => sum + spec.size, 0);
    this.coordinator.notify('task', { kind: 'dispatched', t: Date.now(), taskId: call.callId, workerId, attempt: call.retries + 1, fetchBytes });
  }

  private fail(entry: ActorEntry | null, call: Call, error: ShoalError, workerId: string | null = null): void {
    const coordinator = this.coordinator;
    const name = `${entry?.className ?? 'actor'}.${call.method}`;
    if (entry) entry.callsDone += 1;
    coordinator.failedNames.set(call.callId, name);
    coordinator.objects.reject(call.callId, error);
    coordinator.holders.releaseChildren(call.callId);
    coordinator.notify('task', {
      kind: 'failed',
      t: Date.now(),
      taskId: call.callId,
      name,
      workerId: workerId ?? error.workerId ?? null,
      error: { code: error.code, message: error.message, stack: error.stack, remoteStack: error.remote?.stack },
      args: summarize(call.args),
    });
    coordinator.apply({ type: 'objectFailed', objectId: call.callId, error: { ...error.toRemote(), stack: undefined } });
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
  }
}
