/**
 * Attaches `train` and `tune` (with the search-space helpers on `tune`) to a
 * job's cluster.
 */
import { train, type TrainCluster, type TrainOptions, type TrainResult } from './train.ts';
import { tune, type TuneCluster, type TuneOptions, type TuneResult } from './tune.ts';
import { choice, grid, loguniform, randint, uniform } from './search.ts';

export type TuneFn = ((trainable: (config: any, ctx: any) => unknown, options: TuneOptions) => Promise<TuneResult>) & {
  grid: typeof grid;
  choice: typeof choice;
  uniform: typeof uniform;
  loguniform: typeof loguniform;
  randint: typeof randint;
};

export interface TrainApi {
  train(options: TrainOptions): Promise<TrainResult>;
  tune: TuneFn;
}

/** `hooks.onTune` sees every tuning run's curves as they grow (the dashboard's Tune view). */
export function trainApi(cluster: TrainCluster & TuneCluster, hooks: { onTune?: (update: import('./tune.ts').TuneUpdate) => void } = {}): TrainApi {
  const tuneFn = ((trainable, options) =>
    tune(cluster, trainable, {
      ...options,
      onUpdate: (update) => {
        hooks.onTune?.(update);
        options.onUpdate?.(update);
      },
    })) as TuneFn;
  Object.assign(tuneFn, { grid, choice, uniform, loguniform, randint });
  return { train: (options) => train(cluster, options), tune: tuneFn };
}
