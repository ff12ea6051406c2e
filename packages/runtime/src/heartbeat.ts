/**
 * The worker's half of failure detection: a `heartbeat` to the coordinator
 * every `HEARTBEAT_INTERVAL_MS`, so the coordinator's watchdog
 * (client/src/watchdog.ts) notices a tab that froze or was cut off while its
 * data channel stayed open. Beats run on the page's main thread, not in the
 * task Web Workers, so a long task does not silence them; a page whose main
 * thread hangs is exactly what should be declared lost.
 */
export const HEARTBEAT_INTERVAL_MS = 1000;

export class Heartbeat {
  private timer: ReturnType<typeof setInterval> | null = null;

  /** Beats by calling `send` every interval, until `stop`. Restarts if already beating. */
  start(send: () => void, intervalMs = HEARTBEAT_INTERVAL_MS): void {
    this.stop();
    this.timer = setInterval(send, intervalMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
