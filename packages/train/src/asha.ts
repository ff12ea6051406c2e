/**
 * The scheduler board a tuning run keeps in one actor (shipped as source:
 * self-contained, no imports or class fields). Each trial's `report` returns
 * 'continue' or 'stop'; every report is kept, for the trial curves.
 *
 * ASHA (asynchronous successive halving, Li et al. 2018; Ray Tune's
 * AsyncHyperBandScheduler): rungs at iterations grace·η^k below `maxT`. A
 * trial reaching a rung records its metric there and is stopped unless it
 * is within the best 1/η of what that rung has recorded so far (so early
 * trials pass, and nothing waits for a full bracket). FIFO never stops a
 * trial early. Both stop a trial at `maxT` iterations, if given.
 */
export interface BoardOptions {
  scheduler: 'fifo' | 'asha';
  metric: string;
  mode: 'min' | 'max';
  /** Most iterations a trial runs (ASHA's max_t). Default 100. */
  maxT?: number;
  /** First rung (ASHA's grace_period). Default 1. */
  gracePeriod?: number;
  /** η (ASHA's reduction_factor). Default 3. */
  reductionFactor?: number;
}

export class ShoalTuneBoard {
  scheduler: string;
  metric: string;
  sign: number;
  maxT: number;
  eta: number;
  rungs: number[];
  recorded: Record<string, number[]>;
  curves: Record<string, unknown[]>;
  stopped: Record<string, boolean>;
  iterations: number;

  constructor(options: BoardOptions) {
    this.scheduler = options.scheduler;
    this.metric = options.metric;
    this.sign = options.mode === 'max' ? 1 : -1;
    this.maxT = options.maxT ?? 100;
    this.eta = options.reductionFactor ?? 3;
    this.rungs = [];
    for (let r = options.gracePeriod ?? 1; r < this.maxT; r *= this.eta) this.rungs.push(r);
    this.recorded = {};
    this.curves = {};
    this.stopped = {};
    this.iterations = 0;
  }

  /** A trial's `iteration`-th report (1-based): answers whether it should go on. */
  report(trialId: string, iteration: number, metrics: Record<string, unknown>): 'continue' | 'stop' {
    this.iterations += 1;
    (this.curves[trialId] ??= []).push(metrics);
    if (iteration >= this.maxT) return 'stop';
    if (this.scheduler !== 'asha' || !this.rungs.includes(iteration)) return 'continue';
    const value = Number(metrics[this.metric]);
    if (!Number.isFinite(value)) return 'continue';
    // Scores: higher is better in either mode.
    const score = this.sign * value;
    const rung = (this.recorded[String(iteration)] ??= []);
    rung.push(score);
    const sorted = [...rung].sort((a, b) => b - a);
    const keep = Math.max(1, Math.floor(sorted.length / this.eta));
    const cutoff = sorted[keep - 1]!;
    if (score >= cutoff) return 'continue';
    this.stopped[trialId] = true;
    return 'stop';
  }

  /** Every trial's reports so far, which were stopped early, and the iterations run in all. */
  snapshot(): { curves: Record<string, unknown[]>; stopped: Record<string, boolean>; iterations: number } {
    return { curves: this.curves, stopped: this.stopped, iterations: this.iterations };
  }
}
