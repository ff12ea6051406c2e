/**
 * An actor call's record and what its outcome does on the coordinator
 * (actors.ts keeps the actors and their queues): a call is an object id,
 * registered as pending when it is made, then resolved with its value (or
 * the worker that stores it) or rejected with a typed error. Each outcome
 * also releases what the call held and tells the dashboard and scheduler.
 */
import type { ControlMessage, RemoteError } from '@shoal/protocol';
import { ShoalError } from '@shoal/protocol';
import { wireRefIds } from './argsCodec.ts';
import type { ActorState, EventPort, Records, SchedulerPort, Submitter, WorkerPort } from './coordinatorTypes.ts';
import { sizeOf } from './sizes.ts';
import { summarize } from './taskEvents.ts';
import { taskError } from './taskStatus.ts';

/** What actors need of the coordinator. */
export type ActorsHost = Pick<Submitter, 'registerFunction' | 'newId' | 'submit'> & SchedulerPort & Pick<Records, 'objects' | 'holders' | 'failedNames' | 'plane' | 'holdContained'> & WorkerPort & Pick<EventPort, 'notify'>;

export type ActorResult = Extract<ControlMessage, { type: 'actorResult' }>;
export type Announcement = Extract<ControlMessage, { type: 'actorCallsSent' }>['calls'][number];
export type Report = Extract<ControlMessage, { type: 'actorResults' }>['results'][number];

export interface Call {
  callId: string;
  method: string;
  /** Null: a direct call announced without its arguments (its actor does not retry calls), so it cannot be sent again. */
  args: unknown[] | null;
  deps: string[];
  retries: number;
  /** A direct call its caller could not send, relayed from here: queued after others of its kind, ahead of the rest. */
  unsent?: boolean;
  /** Announced by its caller, which sent it peer to peer. */
  direct?: boolean;
}

export interface ActorEntry {
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
  checkpoint: { value: unknown; arrival: number } | null;
  death: ShoalError | null;
  draining: boolean;
  /** Calls answered so far (successes and failures). */
  callsDone: number;
  /** Of those, calls that went peer to peer (runtime/src/directCalls.ts). */
  directCalls: number;
}

/** A new call's object: pending in the object table and the scheduler, and submitted on the dashboard. */
export function registerCall(host: ActorsHost, callId: string, name: string, deps: string[]): void {
  host.objects.pending(callId, null);
  host.apply({ type: 'objectPending', objectId: callId });
  host.notify('task', { kind: 'submitted', t: Date.now(), taskId: callId, name, deps, parentTaskId: null });
}

/** A call that came back (already taken off `entry.running`): its value is kept, or its error is the call's. */
export function settleCall(host: ActorsHost, entry: ActorEntry, call: Call, workerId: string, message: ActorResult): void {
  const { result } = message;
  if (!result.ok) return failCall(host, entry, call, taskError(`${entry.className}.${call.method}`, { ...result.error, workerId }, null, call.callId), workerId);
  entry.callsDone += 1;
  const kept = result.stored?.[0];
  let size: number;
  if (kept) {
    size = kept.size;
    host.objects.resolveStored(call.callId, size, workerId);
    host.holdContained(call.callId, kept.refs);
  } else {
    size = sizeOf(result.value);
    host.objects.resolve(call.callId, result.value);
    host.holdContained(call.callId, wireRefIds(result.value));
  }
  host.holders.releaseChildren(call.callId);
  host.notify('task', { kind: 'finished', t: Date.now(), taskId: call.callId, workerId, durationMs: message.durationMs, bytes: size });
  host.apply({ type: 'objectStored', objectId: call.callId, size, workerId: kept ? workerId : null });
}

/** A call that failed, or will never run: its object is rejected with `error`. */
export function failCall(host: ActorsHost, entry: ActorEntry | null, call: Call, error: ShoalError, workerId: string | null = null): void {
  const name = `${entry?.className ?? 'actor'}.${call.method}`;
  if (entry) entry.callsDone += 1;
  host.failedNames.set(call.callId, name);
  host.objects.reject(call.callId, error);
  host.holders.releaseChildren(call.callId);
  host.notify('task', {
    kind: 'failed',
    t: Date.now(),
    taskId: call.callId,
    name,
    workerId: workerId ?? error.workerId ?? null,
    error: { code: error.code, message: error.message, stack: error.stack, remoteStack: error.remote?.stack },
    args: summarize(call.args ?? []),
  });
  host.apply({ type: 'objectFailed', objectId: call.callId, error: { ...error.toRemote(), stack: undefined } });
}

/** A result that came late (the actor was restarted or killed meanwhile): what it stored is not needed. */
export function dropLate(host: ActorsHost, workerId: string, message: ActorResult | Report): void {
  if (message.result.ok && message.result.stored?.length && !host.objects.holds(message.callId, workerId)) host.plane.release(message.callId, [workerId]);
}

/** Why an actor's task ended, as its death. */
export function deathOf(className: string, actorId: string, error: RemoteError): ShoalError {
  const why = error.code === 'ERR_WORKER_LOST' || error.code === 'ERR_TASK_KILLED_WORKERS' ? `its worker was lost and its restarts are spent (${error.message})` : `${error.name}: ${error.message}`;
  return new ShoalError('ERR_ACTOR_DIED', `actor ${className} (${actorId}) is dead: ${why}`, { remote: error });
}
