/**
 * Graceful leave: a worker that says `leaving` (its volunteer pressed
 * "leave") is drained before it is dropped. Objects whose only copy it holds
 * and that something may still need are handed over: the coordinator tells
 * another worker to `replicate` each from the leaving one (which keeps
 * serving its store until told to go), spreading the bytes over the others.
 * Once every copy is confirmed (`objectCopied`), or after
 * `HANDOVER_DEADLINE_MS`, the worker is dropped (`workerLost`, graceful: its
 * runs are retried without counting as a kill) and told `leaving` back, so
 * it closes. Whatever was not handed over in time is remade from lineage or
 * lost, as for a crash. No new work is sent to a draining worker; runs the
 * scheduler places there meanwhile are retried when it is dropped.
 *
 * A tab that closes at once (pagehide) has no time for this: it is noticed
 * when its channel closes, and its objects are remade.
 */
import type { SchedulerState } from '@shoal/scheduler';

/** Longest a leaving worker is kept for its objects to be copied off it. */
export const HANDOVER_DEADLINE_MS = 3000;

/** What the handover needs from the coordinator. */
export interface HandoverHost {
  readonly scheduler: SchedulerState;
  /** Workers that may take objects (present, greeted), by peer id. */
  workerIds(): string[];
  replicate(target: string, objectId: string, size: number, from: string): void;
  /** Drop the worker now (graceful) and tell it to go. */
  finish(peerId: string, handedOver: number, missed: number): void;
}

interface Drain {
  pending: Set<string>;
  handedOver: number;
  timer: ReturnType<typeof setTimeout>;
}

export class Handover {
  private readonly draining = new Map<string, Drain>();

  constructor(private readonly host: HandoverHost) {}

  isDraining(peerId: string): boolean {
    return this.draining.has(peerId);
  }

  /** `peerId` said it is leaving: copy its sole copies elsewhere, then drop it. */
  start(peerId: string): void {
    if (this.draining.has(peerId)) return;
    const targets = this.host.workerIds().filter((id) => id !== peerId);
    const load = new Map(targets.map((id) => [id, 0]));
    const pending = new Set<string>();
    if (targets.length > 0) {
      for (const object of this.host.scheduler.objects.values()) {
        if (object.state !== 'ready' || object.locations.length !== 1 || object.locations[0] !== peerId) continue;
        const target = targets.reduce((best, id) => (load.get(id)! < load.get(best)! ? id : best));
        load.set(target, load.get(target)! + object.size);
        pending.add(object.objectId);
        this.host.replicate(target, object.objectId, object.size, peerId);
      }
    }
    const drain: Drain = { pending, handedOver: 0, timer: setTimeout(() => this.end(peerId), HANDOVER_DEADLINE_MS) };
    this.draining.set(peerId, drain);
    if (pending.size === 0) this.end(peerId);
  }

  /** A worker confirmed a copy of `objectId`. */
  copied(objectId: string): void {
    for (const [peerId, drain] of this.draining) {
      if (!drain.pending.delete(objectId)) continue;
      drain.handedOver += 1;
      if (drain.pending.size === 0) this.end(peerId);
    }
  }

  /** The worker went away meanwhile (its channel closed): stop waiting for it. */
  forget(peerId: string): void {
    const drain = this.draining.get(peerId);
    if (!drain) return;
    clearTimeout(drain.timer);
    this.draining.delete(peerId);
  }

  private end(peerId: string): void {
    const drain = this.draining.get(peerId);
    if (!drain) return;
    this.forget(peerId);
    this.host.finish(peerId, drain.handedOver, drain.pending.size);
  }
}
