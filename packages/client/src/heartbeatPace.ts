/**
 * How often a room's workers beat, by its size. A heartbeat is one small
 * data-channel message a second, but each costs the machines about 3 ms of
 * CPU in all (the page's send, both tabs' WebRTC threads, the browsers'
 * network services, the coordinator's receive): measured with
 * bench/scale/ab.ts, a joined tab idles at 10 ms/s with beats and 7 ms/s
 * without. In a room of hundreds that is a core, and on a loaded machine
 * beats come late, so a fixed 3 s watchdog declares live workers lost.
 *
 * So past `WORKERS_PER_STEP` workers the coordinator slows the beats: every
 * `factor` seconds (2 s past 32 workers, 3 s past 64, at most `MAX_FACTOR` s
 * past 96), and its watchdog waits `factor` times its timeout (3 s by
 * default) before declaring a worker silent. The workers hear the pace in a
 * `heartbeatEvery` message: the watchdog stretches first, then the workers
 * slow down, so no worker is ever held to a pace it has not heard of. The
 * pace only grows while the coordinator runs (a room that emptied keeps its
 * slower beats); a room of up to 32 never hears of it.
 */

/** Workers beat every second unless told otherwise (runtime/src/heartbeat.ts, `HEARTBEAT_INTERVAL_MS`). */
export const BASE_BEAT_MS = 1000;
/** Workers per step of the pace. */
export const WORKERS_PER_STEP = 32;
/** The slowest pace: beats every 4 s, a worker silent for 4 timeouts is lost. */
export const MAX_FACTOR = 4;

/** The factor for a room of `workers`: 1 up to 32, then one more per 32, at most `MAX_FACTOR`. */
export function paceFactor(workers: number): number {
  return Math.max(1, Math.min(MAX_FACTOR, Math.ceil(workers / WORKERS_PER_STEP)));
}

export class HeartbeatPace {
  /** The watchdog's timeout and the workers' beat interval are both this many times their base. */
  factor = 1;

  /** The beat interval workers are told, in ms. */
  get intervalMs(): number {
    return BASE_BEAT_MS * this.factor;
  }

  /** The room now has `workers`: true when the pace grew (every worker must hear it). */
  update(workers: number): boolean {
    const next = paceFactor(workers);
    if (next <= this.factor) return false;
    this.factor = next;
    return true;
  }
}
