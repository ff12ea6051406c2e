/**
 * The worker's half of failure detection: a `heartbeat` to the coordinator
 * every `HEARTBEAT_INTERVAL_MS`, so the coordinator's watchdog
 * (client/src/watchdog.ts) notices a tab that froze or was cut off while its
 * data channel stayed open. Beats run on the page's main thread, not in the
 * task Web Workers, so a long task does not silence them; a page whose main
 * thread hangs is exactly what should be declared lost.
 *
 * A tab receiving hundreds of MB is not hung, but its main thread can have
 * a backlog of bulk-message events queued, and a plain timer that comes due
 * waits behind all of them. So where the browser has the Prioritized Task
 * Scheduling API (Chromium), each beat is a `user-blocking` task, which runs
 * before the normal-priority queue of message events; elsewhere it is a
 * plain `setInterval`. (It cannot help with one long task: bench/README.md,
 * "Control traffic under bulk load", has the stalls measured.)
 */
export const HEARTBEAT_INTERVAL_MS = 1000;

type Priority = 'user-blocking' | 'user-visible' | 'background';
interface PostTaskScheduler {
  postTask(callback: () => void, options: { priority?: Priority; delay?: number; signal?: AbortSignal }): Promise<unknown>;
}

/** `globalThis.scheduler` where the browser has it (Chromium 94+), else null. */
export function taskScheduler(): PostTaskScheduler | null {
  const scheduler = (globalThis as { scheduler?: Partial<PostTaskScheduler> }).scheduler;
  return scheduler && typeof scheduler.postTask === 'function' ? (scheduler as PostTaskScheduler) : null;
}

export class Heartbeat {
  private timer: ReturnType<typeof setInterval> | null = null;
  private stopper: AbortController | null = null;

  constructor(private readonly scheduler: PostTaskScheduler | null = taskScheduler()) {}

  /** Beats by calling `send` every interval, until `stop`. Restarts if already beating. */
  start(send: () => void, intervalMs = HEARTBEAT_INTERVAL_MS): void {
    this.stop();
    const scheduler = this.scheduler;
    if (!scheduler) {
      this.timer = setInterval(send, intervalMs);
      return;
    }
    const stopper = new AbortController();
    this.stopper = stopper;
    const beat = (): void => {
      if (stopper.signal.aborted) return;
      schedule(); // the next beat first: a `send` that throws must not end the beats
      send();
    };
    const schedule = (): void => {
      scheduler.postTask(beat, { priority: 'user-blocking', delay: intervalMs, signal: stopper.signal }).catch(() => undefined);
    };
    schedule();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.stopper?.abort();
    this.stopper = null;
  }
}
