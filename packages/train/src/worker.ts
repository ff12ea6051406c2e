/**
 * The task each training worker runs (shipped as source: self-contained). It
 * joins the attempt's collective group, rebuilds the user's `trainLoop` from
 * its source, and runs it with the train context:
 *
 *   ctx.config, ctx.rank, ctx.worldSize, ctx.shard, ctx.checkpoint (the one to resume from, or null),
 *   ctx.allreduce(array, op?), ctx.broadcast(array, root?), ctx.barrier(),
 *   ctx.report(metrics, checkpoint?), ctx.gpu, ctx.log, ctx.attempt
 *
 * Only rank 0's reports are kept (every rank may call `report`; the others'
 * resolve at once), as Ray Train keeps the first worker's.
 */
export interface TrainTaskArgs {
  group: unknown;
  rank: number;
  worldSize: number;
  loopSource: string;
  config: unknown;
  checkpoint: unknown;
  attempt: number;
  state: { report(metrics: unknown, checkpoint: unknown): unknown };
}

export async function shoalTrainWorker(args: TrainTaskArgs, shard: unknown[], ctx: any): Promise<{ rank: number; worker: string }> {
  const group = await ctx.collective.join(args.group, args.rank);
  const trainLoop = (0, eval)(`(${args.loopSource})`);
  const trainCtx = {
    config: args.config,
    rank: args.rank,
    worldSize: args.worldSize,
    shard,
    checkpoint: args.checkpoint ?? null,
    attempt: args.attempt,
    gpu: ctx.gpu,
    signal: ctx.signal,
    log: (...values: unknown[]) => ctx.log(...values),
    allreduce: (array: Float32Array | Float64Array, op?: string) => group.allreduce(array, op ?? 'sum'),
    broadcast: (array: Float32Array | Float64Array, root?: number) => group.broadcast(array, root ?? 0),
    allgather: (array: Float32Array | Float64Array) => group.allgather(array),
    barrier: () => group.barrier(),
    report(metrics: unknown, checkpoint?: unknown): Promise<unknown> {
      if (args.rank !== 0) return Promise.resolve(null);
      return ctx.get(args.state.report(metrics, checkpoint ?? null));
    },
  };
  await trainLoop(trainCtx);
  return { rank: args.rank, worker: ctx.workerId };
}
