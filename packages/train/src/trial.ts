/**
 * The task one tuning trial runs (shipped as source: self-contained). It
 * rebuilds the trainable from source and calls `trainable(config, ctx)`;
 * each `await ctx.report(metrics)` asks the board (asha.ts) whether to go
 * on, and rejects with a stop signal, caught here, when the scheduler stops
 * the trial: so a stopped trial runs not one iteration more.
 */
export interface TrialArgs {
  trialId: string;
  source: string;
  config: Record<string, unknown>;
  board: { report(trialId: string, iteration: number, metrics: unknown): unknown };
}

export async function shoalTuneTrial(args: TrialArgs, ctx: any): Promise<{ iterations: number; stopped: boolean; metrics: unknown }> {
  const trainable = (0, eval)(`(${args.source})`);
  const STOP = { shoalTrialStop: true };
  let iterations = 0;
  let stopped = false;
  let last: unknown = null;
  const trialCtx = {
    trialId: args.trialId,
    config: args.config,
    gpu: ctx.gpu,
    signal: ctx.signal,
    log: (...values: unknown[]) => ctx.log(...values),
    get iteration() {
      return iterations;
    },
    async report(metrics: unknown): Promise<void> {
      if (stopped) throw STOP;
      iterations += 1;
      last = metrics;
      const decision = await ctx.get(args.board.report(args.trialId, iterations, metrics));
      if (decision === 'stop') {
        stopped = true;
        throw STOP;
      }
    },
  };
  try {
    await trainable(args.config, trialCtx);
  } catch (error) {
    if (error !== STOP) throw error;
  }
  return { iterations, stopped, metrics: last };
}
