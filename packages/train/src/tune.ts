/**
 * `cluster.tune(trainable, options)`: hyperparameter search in the shape of
 * Ray Tune. The configs come from the search space (search.ts); each trial
 * is one task (trial.ts) running `trainable(config, ctx)`, at most
 * `maxConcurrent` at once, reporting each iteration to one board actor
 * (asha.ts) that answers whether the trial goes on (ASHA) or always does
 * (FIFO). Resolves to `{trials, best, iterations}`: each trial's config, last
 * report and status ('done', 'stopped' early, or 'failed'), the trial with
 * the best final `metric`, and the iterations run over all trials.
 */
import { ShoalError } from '@shoal/protocol';
import { ShoalTuneBoard, type BoardOptions } from './asha.ts';
import { expandSpace } from './search.ts';
import { shoalTuneTrial } from './trial.ts';

export interface TuneCluster {
  remote(fn: (...args: any[]) => unknown, options?: Record<string, unknown>): (...args: unknown[]) => unknown;
  get(ref: unknown): Promise<unknown>;
  actor(cls: unknown, options?: Record<string, unknown>): any;
  kill(handle: unknown): void;
}

export interface TuneOptions {
  paramSpace: Record<string, unknown>;
  numSamples?: number;
  metric: string;
  mode?: 'min' | 'max';
  scheduler?: 'fifo' | 'asha';
  maxConcurrent?: number;
  /** Most iterations per trial (the trainable may stop sooner). Default 100. */
  maxT?: number;
  gracePeriod?: number;
  reductionFactor?: number;
  /** Seed for the sampled domains. Default 1. */
  seed?: number;
  resources?: Record<string, unknown>;
  /** Called with the curves as they grow (every ~250 ms), for a live view. */
  onUpdate?: (update: TuneUpdate) => void;
}

export type TrialStatus = 'pending' | 'running' | 'done' | 'stopped' | 'failed';

export interface Trial {
  id: string;
  config: Record<string, unknown>;
  /** The last report, or null. */
  metrics: Record<string, unknown> | null;
  status: TrialStatus;
  iterations: number;
  error?: string;
}

export interface TuneUpdate {
  metric: string;
  mode: 'min' | 'max';
  trials: Array<Trial & { curve: unknown[] }>;
}

export interface TuneResult {
  trials: Trial[];
  best: Trial | null;
  /** Iterations run over all trials. */
  iterations: number;
}

const POLL_MS = 250;

export async function tune(cluster: TuneCluster, trainable: (config: any, ctx: any) => unknown, options: TuneOptions): Promise<TuneResult> {
  if (typeof trainable !== 'function') throw new ShoalError('ERR_BAD_OPTION', 'tune() takes a trainable function (config, ctx) => ...');
  if (typeof options.metric !== 'string') throw new ShoalError('ERR_BAD_OPTION', 'tune() needs a metric name');
  const mode = options.mode ?? 'min';
  const scheduler = options.scheduler ?? 'fifo';
  if (scheduler !== 'fifo' && scheduler !== 'asha') throw new ShoalError('ERR_BAD_OPTION', `scheduler must be 'fifo' or 'asha', got '${String(scheduler)}'`);
  const configs = expandSpace(options.paramSpace, options.numSamples ?? 1, options.seed ?? 1);
  const trials: Trial[] = configs.map((config, i) => ({ id: `t${i}`, config, metrics: null, status: 'pending', iterations: 0 }));
  const boardOptions: BoardOptions = { scheduler, metric: options.metric, mode, ...(options.maxT ? { maxT: options.maxT } : {}), ...(options.gracePeriod ? { gracePeriod: options.gracePeriod } : {}), ...(options.reductionFactor ? { reductionFactor: options.reductionFactor } : {}) };
  const board = cluster.actor(ShoalTuneBoard, { args: [boardOptions] });
  const run = cluster.remote(shoalTuneTrial, { name: 'trial', maxRetries: 1, resources: options.resources ?? { cpu: 1 } });
  const source = Function.prototype.toString.call(trainable);
  const maxConcurrent = Math.max(1, options.maxConcurrent ?? trials.length);
  let curves: Record<string, unknown[]> = {};
  let iterations = 0;
  const refresh = async () => {
    const snap = (await cluster.get(board.snapshot())) as { curves: Record<string, unknown[]>; iterations: number };
    curves = snap.curves;
    iterations = snap.iterations;
    options.onUpdate?.({ metric: options.metric, mode, trials: trials.map((t) => ({ ...t, curve: curves[t.id] ?? [] })) });
  };
  let next = 0;
  let finished = false;
  const lane = async (): Promise<void> => {
    while (next < trials.length) {
      const trial = trials[next++]!;
      trial.status = 'running';
      try {
        const out = (await cluster.get(run({ trialId: trial.id, source, config: trial.config, board }))) as { iterations: number; stopped: boolean; metrics: Record<string, unknown> | null };
        trial.metrics = out.metrics;
        trial.iterations = out.iterations;
        trial.status = out.stopped && out.iterations < (options.maxT ?? 100) ? 'stopped' : 'done';
      } catch (error) {
        trial.status = 'failed';
        trial.error = error instanceof Error ? error.message : String(error);
      }
    }
  };
  const lanes = Promise.all(Array.from({ length: Math.min(maxConcurrent, trials.length) }, lane)).then(() => (finished = true));
  while (!finished) {
    await Promise.race([lanes, new Promise((resolve) => setTimeout(resolve, POLL_MS))]);
    await refresh().catch(() => undefined);
  }
  await refresh().catch(() => undefined);
  cluster.kill(board);
  const sign = mode === 'max' ? 1 : -1;
  let best: Trial | null = null;
  for (const trial of trials) {
    const value = Number(trial.metrics?.[options.metric]);
    if (trial.status === 'failed' || !Number.isFinite(value)) continue;
    if (!best || sign * value > sign * Number(best.metrics![options.metric])) best = trial;
  }
  return { trials, best, iterations };
}
