/** The coordinator's records and events: what coordinator.ts and its helpers share. */
import type { Capabilities, PeerInfo } from '@shoal/protocol';
import type { ActorEvent } from './actors.ts';
import type { TaskEvent } from './taskEvents.ts';

export interface WorkerEntry {
  info: PeerInfo;
  caps: Capabilities | null;
  tasksDone: number;
  /** Functions this worker has been sent. */
  defined: Set<string>;
  /** Its volunteer paused it (an `availability` message). */
  paused?: boolean;
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
  /** Set on an actor's task (which holds its place until the actor dies; actors.ts). */
  actorId?: string;
}

export interface TaskLog {
  taskId: string;
  taskName: string;
  workerId: string;
  level: 'log' | 'info' | 'warn' | 'error';
  text: string;
}

export interface CoordinatorOptions {
  /** A worker silent this long (no heartbeat, no message) is declared lost (watchdog.ts). Default 3000; Infinity turns it off. */
  heartbeatTimeoutMs?: number;
  /** Speculative execution for tasks that do not set the `speculation` option (speculation.ts). Default false. */
  speculation?: boolean;
}

/** Why a worker was declared lost: its channel closed, it fell silent (heartbeats stopped), it said it was leaving, or it could not be reached. */
export type WorkerLossReason = 'closed' | 'silent' | 'left' | 'unreachable';

export type CoordinatorEvents = {
  workersChanged: [];
  /** A worker was declared lost (its runs are retried, its objects remade or lost). */
  workerLost: [peerId: string, reason: WorkerLossReason];
  taskLog: [log: TaskLog];
  taskEnded: [taskId: string, ok: boolean];
  taskInfeasible: [taskId: string, name: string, reason: string];
  taskProgress: [taskId: string, fraction: number];
  rejected: [from: PeerInfo, reason: string];
  /** Every step of every task (see taskEvents.ts). */
  task: [event: TaskEvent];
  /** An actor started, is restarting, or died (actors.ts). */
  actor: [event: ActorEvent];
};
