/**
 * What a task's Web Worker asks of its page: the cluster API for nested work,
 * logs and progress. The page implements it (workerRuntime.ts) and forwards
 * over the data channel to the coordinator.
 */
import type { RemoteError, TaskResult, WireTaskOptions } from '@shoal/protocol';
import type { CollectiveReply, CollectiveRequest } from '@shoal/collective';

export type LogLevel = 'log' | 'info' | 'warn' | 'error';

/** `blobs`: stored objects fetched for the reply, by id (the value holds `{"$shoalFetch": id}` for each). */
export type HostReply = { ok: true; value: unknown; blobs?: Record<string, ArrayBuffer> } | { ok: false; error: RemoteError };

export interface RunOutcome {
  taskId: string;
  result: TaskResult;
  durationMs: number;
  /** Encoded outputs that stay in the store, one per `result.stored` entry; transferred, not copied. */
  buffers?: ArrayBuffer[];
  /** Lent inputs' bytes given back (RunRequest.lend), by object id; transferred. */
  returned?: Record<string, ArrayBuffer>;
}

/** An actor call a task made (see TaskHost.actorCall). */
export interface ActorCallRequest {
  parentTaskId: string;
  callId: string;
  actorId: string;
  method: string;
  args: unknown[];
}

/** Route changes since a watcher's last look: `all` (the coordinator changed), or the actors moved and the workers lost (actorPorts.ts). */
export interface PortEvents {
  seq: number;
  all: boolean;
  actors: string[];
  peers: string[];
}

/** A direct port to an actor's Web Worker at worker `at`, granted when the page's route events stood at `seq`. */
export interface PortGrant {
  port: MessagePort;
  at: string;
  seq: number;
}

/** A call a Web Worker sent on a port to the actor at worker `at`; `unsent`: it bounced (the actor is not there) and the coordinator must send it. */
export interface PortCallNotice extends ActorCallRequest {
  at: string;
  unsent?: true;
}

/** The outcome of a call an actor's Web Worker ran from a port; stored outputs' buffers move by transfer. */
export interface PortReport {
  actorId: string;
  callId: string;
  result: TaskResult;
  durationMs: number;
  checkpoint?: unknown;
  buffers?: ArrayBuffer[];
}

/** A value a task put that is too big or binary to travel inline: it goes to the store. */
export interface StoredPut {
  size: number;
  refs: string[];
  buffer: ArrayBuffer;
}

/**
 * Every call from a Web Worker to its page goes through this one comlink
 * proxy, so it arrives in order: a nested submit always precedes the result
 * that returns its ref.
 */
export interface TaskHost {
  /** Runs finished, in completion order. */
  done(outcomes: RunOutcome[]): void;
  /** A task entered (true) or left (false) ctx.get/ctx.wait. */
  setBlocked(taskId: string, blocked: boolean): void;
  log(taskId: string, level: LogLevel, text: string): void;
  progress(taskId: string, fraction: number): void;
  submit(parentTaskId: string, taskId: string, fnId: string, name: string, source: string, args: unknown[], options: WireTaskOptions): void;
  /** `stored` set: `value` is null and the buffer goes to the page's store. */
  put(parentTaskId: string, objectId: string, value: unknown, stored: StoredPut | null): void;
  /** Resolves with the values of `ids`, in order. */
  get(parentTaskId: string, ids: string[], timeoutMs: number | null): Promise<HostReply>;
  /** Resolves with the ids that are ready. */
  wait(parentTaskId: string, ids: string[], numReturns: number, timeoutMs: number | null): Promise<HostReply>;
  free(ids: string[]): void;
  cancel(objectId: string, force: boolean): void;
  /** The Web Worker's binary memory passed the volunteer's cap (memoryGuard.ts): the pool terminates it. */
  memoryExceeded?(liveBytes: number): void;
  /** Calls a method of an actor whose handle the task holds; the result will be object `callId`. */
  actorCall(parentTaskId: string, callId: string, actorId: string, method: string, args: unknown[]): void;
  /** `actorCall` for each of `calls` (of any task in this Web Worker), in order, then `get(ids)`: one message for `ctx.get(handle.method())` (context.ts). */
  actorCallsAndGet?(parentTaskId: string, calls: ActorCallRequest[], ids: string[], timeoutMs: number | null): Promise<HostReply>;
  /**
   * Direct ports (actorPorts.ts): a MessagePort straight to actor `actorId`'s Web Worker (at worker `at`), or null
   * (then its calls go through the page). `actorPortWatch(since)` answers the route changes after event `since`
   * (waiting for one); `actorPortCalls` tells the page of calls sent on ports (it announces them to the coordinator);
   * `actorPortServed` hands the page the outcomes of calls an actor's Web Worker ran from its ports.
   */
  actorPort?(actorId: string): Promise<PortGrant | null>;
  actorPortWatch?(since: number): Promise<PortEvents>;
  actorPortCalls?(calls: PortCallNotice[]): void;
  actorPortServed?(reports: PortReport[]): void;
  /** Runs one collective of a group member on the page (@shoal/collective service.ts); `request.data` is transferred both ways. */
  collective?(request: CollectiveRequest): Promise<CollectiveReply>;
}
