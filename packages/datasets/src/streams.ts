/**
 * The streaming executor's moving part: a block stream per operator, each
 * with a loop of its own that pulls from upstream while it holds fewer than
 * `window` blocks (running, or finished and not yet taken downstream). That
 * bound is the backpressure: a slow operator stops its upstream's loop, and
 * blocks are freed as soon as the operator that took them is done with them.
 * Outputs leave in input order.
 */
import type { BlockMeta } from './blockTask.ts';

/** A block that exists (or is being made) in the cluster, as one operator hands it to the next. */
export interface BlockHandle {
  /** Unique within an execution, e.g. `2:17` (operator 2, its 17th output). */
  readonly id: string;
  readonly ref: unknown;
  readonly meta: BlockMeta;
  /** Frees the block (and whatever was kept to remake it). Called once by whoever took it. */
  release(): void;
  /** Makes the block again, for outputs without lineage (pool actors' results); absent otherwise. */
  remake?: () => Promise<BlockHandle>;
}

export interface Pull<T> {
  next(): Promise<T | null>;
  /** Stops pulling more from upstream; what is in flight still finishes (and is released). */
  stop(): void;
}

/** A finished list as a pull source. */
export function listPull<T>(items: readonly T[]): Pull<T> {
  let at = 0;
  let stopped = false;
  return {
    next: async () => (stopped || at >= items.length ? null : items[at++]!),
    stop: () => void (stopped = true),
  };
}

/** Counters one operator keeps, read by progress views. */
export interface OperatorStats {
  readonly name: string;
  rowsOut: number;
  blocksOut: number;
  bytesOut: number;
  /** Milliseconds spent inside this operator's tasks (the rest of its wall time is moving blocks and waiting). */
  taskMs: number;
  /** Tasks (or actor calls) running now. */
  running: number;
  /** Finished outputs waiting for the next operator to take them. */
  queued: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** Actor pools: actors alive now, and the most alive at once. */
  actors?: { alive: number; peak: number; min: number; max: number; history: { t: number; alive: number }[] };
}

export function newStats(name: string): OperatorStats {
  return { name, rowsOut: 0, blocksOut: 0, bytesOut: 0, taskMs: 0, running: 0, queued: 0, startedAt: null, finishedAt: null };
}

/**
 * An operator that maps each upstream item to one output block through
 * `launch`, holding at most `window` outputs at once; `launch` may wait
 * (e.g. for a free actor) before it starts work.
 */
export function windowedStream<T>(upstream: Pull<T>, window: number, launch: (item: T, seq: number) => Promise<BlockHandle>, stats: OperatorStats, onChange: () => void = () => {}): Pull<BlockHandle> {
  const results = new Map<number, Promise<BlockHandle>>();
  let launched = 0;
  let delivered = 0;
  let upstreamDone = false;
  let stopped = false;
  let error: unknown = null;
  let started = false;
  let waiters: Array<() => void> = [];
  const notify = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
    onChange();
  };
  const changed = (): Promise<void> => new Promise((resolve) => waiters.push(resolve));

  const loop = async (): Promise<void> => {
    stats.startedAt ??= Date.now();
    try {
      while (!stopped) {
        while (launched - delivered >= window && !stopped) await changed();
        if (stopped) break;
        const item = await upstream.next();
        if (item === null) break;
        const seq = launched++;
        stats.running += 1;
        const p = launch(item, seq).then(
          (h) => {
            stats.running -= 1;
            stats.queued += 1;
            stats.rowsOut += h.meta.rows;
            stats.blocksOut += 1;
            stats.bytesOut += h.meta.bytes;
            stats.taskMs += h.meta.ms ?? 0;
            notify();
            return h;
          },
          (e: unknown) => {
            stats.running -= 1;
            error ??= e;
            notify();
            throw e;
          },
        );
        p.catch(() => undefined);
        results.set(seq, p);
        notify();
      }
    } catch (e) {
      error ??= e;
    }
    upstreamDone = true;
    if (stopped) upstream.stop();
    notify();
  };

  let serial: Promise<unknown> = Promise.resolve();
  const nextOne = async (): Promise<BlockHandle | null> => {
      if (!started) {
        started = true;
        void loop();
      }
      for (;;) {
        if (error) throw error;
        if (delivered < launched) {
          const p = results.get(delivered)!;
          const h = await p;
          results.delete(delivered);
          delivered += 1;
          stats.queued -= 1;
          notify();
          return h;
        }
        if (upstreamDone) {
          stats.finishedAt ??= Date.now();
          return null;
        }
        await changed();
      }
  };
  return {
    // Callers may ask again before an answer came (prefetch): answers go out one at a time, in order.
    next() {
      const answer = serial.then(nextOne);
      serial = answer.catch(() => undefined);
      return answer;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      upstream.stop();
      // Outputs nobody will take: release them as they finish.
      for (const [, p] of results) p.then((h) => h.release(), () => undefined);
      results.clear();
      delivered = launched;
      notify();
    },
  };
}
