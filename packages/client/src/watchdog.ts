/**
 * Heartbeat watchdog: a worker counts as lost when its data channel closes
 * (the mesh says so) or when nothing has come from it for `timeoutMs` — a
 * frozen tab, a suspended laptop, a network path that died without closing
 * the channel. Workers send `heartbeat` every second (runtime/heartbeat.ts);
 * any message from a worker counts as a beat, so a busy worker costs nothing
 * extra. The watchdog checks four times per timeout, so a silent worker is
 * declared lost between `timeoutMs` and 1.25 × `timeoutMs` after its last
 * message. If the coordinator's own thread stalled (a check ran more than
 * half a timeout late), silence proves nothing: every peer gets a fresh
 * timeout instead of all being declared lost at once.
 *
 * `patience(peerId)` stretches one peer's timeout (a factor ≥ 1): the
 * coordinator gives `BULK_PATIENCE` to workers it knows are moving object
 * bytes (fetching a task's inputs of `BULK_PATIENCE_BYTES` or more, or
 * serving them), or whose last heartbeat said they run collectives (`bulk`),
 * whose control messages may wait behind bulk data. A worker declared lost that was alive after all
 * is re-admitted when it speaks again (coordinator.ts), so a false alarm
 * costs retried work, not the worker.
 */

/** Default silence after which a worker is declared lost. */
export const HEARTBEAT_TIMEOUT_MS = 3000;
/** How many timeouts a worker known to be in a bulk transfer may stay silent. */
export const BULK_PATIENCE = 3;
/** A run's inputs must be this big for its transfer to earn that patience (smaller ones take milliseconds). */
export const BULK_PATIENCE_BYTES = 16 * 2 ** 20;

export class Watchdog {
  private readonly last = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastTick = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly onSilent: (peerId: string, silentMs: number) => void,
    private readonly now: () => number = () => performance.now(),
    private readonly patience: (peerId: string) => number = () => 1,
  ) {}

  /** Something arrived from `peerId`: it is alive. Starts watching it if new. */
  beat(peerId: string): void {
    this.last.set(peerId, this.now());
    if (this.timer === null && Number.isFinite(this.timeoutMs)) {
      this.lastTick = this.now();
      this.timer = setInterval(() => this.tick(), this.intervalMs());
    }
  }

  /** Stops watching `peerId` (it left). */
  forget(peerId: string): void {
    this.last.delete(peerId);
    if (this.last.size === 0) this.stop();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private intervalMs(): number {
    return Math.max(50, this.timeoutMs / 4);
  }

  /** The timer's check: skipped (every peer gets a fresh timeout) if this thread itself stalled. */
  private tick(): void {
    const now = this.now();
    const late = now - this.lastTick - this.intervalMs();
    this.lastTick = now;
    if (late > this.timeoutMs / 2) {
      for (const peerId of this.last.keys()) this.last.set(peerId, now);
      return;
    }
    this.check();
  }

  /** Declares every peer silent for longer than the timeout lost (exposed for tests). */
  check(): void {
    const now = this.now();
    for (const [peerId, at] of [...this.last]) {
      if (now - at <= this.timeoutMs) continue;
      if (now - at <= this.timeoutMs * Math.max(1, this.patience(peerId))) continue;
      this.forget(peerId);
      this.onSilent(peerId, now - at);
    }
  }
}
