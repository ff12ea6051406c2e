/**
 * The simulation's clock: a binary heap of timed callbacks, run in time
 * order (ties in the order they were scheduled), and FIFO resources that
 * serve one job at a time (a coordinator's main thread, the signaling
 * server's event loop). Nothing here reads the wall clock.
 *
 *   const clock = new Clock();
 *   clock.at(5, () => log.push(clock.now));   // runs at 5
 *   clock.run();
 */
interface Timer {
  t: number;
  seq: number;
  fn: () => void;
}

export class Clock {
  now = 0;
  private readonly heap: Timer[] = [];
  private seq = 0;

  /** Runs `fn` at time `t` (ms; not before now). */
  at(t: number, fn: () => void): void {
    this.push({ t: Math.max(t, this.now), seq: this.seq++, fn });
  }

  after(delayMs: number, fn: () => void): void {
    this.at(this.now + delayMs, fn);
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Runs timers in order until none are left (or `until` is passed); returns the time reached. */
  run(until = Infinity): number {
    while (this.heap.length > 0 && this.heap[0]!.t <= until) {
      const timer = this.pop();
      this.now = timer.t;
      timer.fn();
    }
    return this.now;
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): Timer {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < heap.length && before(heap[l]!, heap[best]!)) best = l;
        if (r < heap.length && before(heap[r]!, heap[best]!)) best = r;
        if (best === i) break;
        [heap[i], heap[best]] = [heap[best]!, heap[i]!];
        i = best;
      }
    }
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}

/** One server, first come first served: a job arriving at `t` costing `costMs` finishes at `serve(t, costMs)`. */
export class Resource {
  private freeAt = 0;
  /** Busy time so far, ms. */
  busyMs = 0;
  jobs = 0;

  serve(t: number, costMs: number): number {
    const start = Math.max(t, this.freeAt);
    this.freeAt = start + costMs;
    this.busyMs += costMs;
    this.jobs += 1;
    return this.freeAt;
  }
}

/** mulberry32: the simulation's only randomness, seeded, so runs repeat. */
export function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
