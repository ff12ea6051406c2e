/**
 * Gathers `runTask` messages to a worker whose pipeline is already deep, so
 * they leave in one frame instead of one each.
 *
 * With short tasks the scheduler keeps up to 64 runs in flight per slot
 * (scheduler/src/pipeline.ts) and refills one run per finished run: one
 * frame out per task, and each frame costs a data-channel send on this tab
 * and a frame's handling on the worker. Here a run is sent at once while
 * fewer than `HIGH_WATER` sent runs of that worker are unanswered (so a
 * shallow pipeline, a round trip or a chain, waits for nothing); past that
 * it is held until the worker's unanswered runs fall to `LOW_WATER`, and the
 * held ones then go together. They never wait longer than `HOLD_MS`, so runs
 * that block in ctx.get waiting on a held child cannot deadlock.
 *
 *   in flight 48 ─ done ×32 ─▶ in flight 16 ─▶ the 32 held runs leave in one frame
 *
 * Deeper batches cost less per task everywhere a frame is handled (the data
 * channel's send, the network threads, the worker page, the postMessage to
 * its Web Worker, the reply frame): 64 in flight and 32/16 water marks, up
 * from 32 and 16/8, cut the browser's CPU per trivial task by about a fifth
 * (bench:tasks).
 *
 * Any other message to the worker first sends what is held for it
 * (`flush`), so messages keep the order they were made in (a cancel never
 * overtakes its task's run).
 */
import type { ControlMessage } from '@shoal/protocol';

/** Past this many unanswered runs on a worker, new runs are held. */
export const HIGH_WATER = 32;
/** Held runs go once the worker's unanswered runs fall to this many. */
export const LOW_WATER = 16;
/** Longest a run is held, in ms. */
export const HOLD_MS = 2;

export class DispatchBuffer {
  /** Runs sent to each worker and not yet answered (taskDone). */
  private readonly unanswered = new Map<string, number>();
  private readonly held = new Map<string, ControlMessage[]>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    /** Sends one message to a worker now (its errors are the caller's to handle). */
    private readonly send: (workerId: string, message: ControlMessage) => void,
    private readonly highWater = HIGH_WATER,
    private readonly lowWater = LOW_WATER,
    private readonly holdMs = HOLD_MS,
  ) {}

  /** A run for `workerId`: sent now while its pipeline is shallow, else held (see above). */
  run(workerId: string, message: ControlMessage): void {
    const held = this.held.get(workerId);
    const unanswered = this.unanswered.get(workerId) ?? 0;
    if (!held && unanswered < this.highWater) {
      this.unanswered.set(workerId, unanswered + 1);
      return this.send(workerId, message);
    }
    if (held) held.push(message);
    else this.held.set(workerId, [message]);
    this.timer ??= setTimeout(() => this.flushAll(), this.holdMs);
  }

  /** `workerId` answered a run (a taskDone, late ones included). */
  answered(workerId: string): void {
    const unanswered = this.unanswered.get(workerId);
    if (unanswered === undefined) return;
    if (unanswered <= 1) this.unanswered.delete(workerId);
    else this.unanswered.set(workerId, unanswered - 1);
    if (unanswered - 1 <= this.lowWater && this.held.has(workerId)) this.flush(workerId);
  }

  /** Sends what is held for `workerId` now (before any other message to it). */
  flush(workerId: string): void {
    const held = this.held.get(workerId);
    if (!held) return;
    this.held.delete(workerId);
    this.unanswered.set(workerId, (this.unanswered.get(workerId) ?? 0) + held.length);
    for (const message of held) this.send(workerId, message);
  }

  /** Whether runs are held for `workerId`. */
  holds(workerId: string): boolean {
    return this.held.has(workerId);
  }

  /** The worker is gone: its held runs are dropped (the scheduler retries its runs elsewhere). */
  forget(workerId: string): void {
    this.held.delete(workerId);
    this.unanswered.delete(workerId);
  }

  private flushAll(): void {
    this.timer = null;
    for (const workerId of [...this.held.keys()]) this.flush(workerId);
  }
}
