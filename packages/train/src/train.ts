/**
 * `cluster.train(...)`: data-parallel training in the shape of Ray Train.
 *
 * An attempt starts `worldSize` tasks (SPMD, worker.ts), each with its shard
 * of the dataset (items i with i mod worldSize = rank; refs are fetched by the
 * runtime), joined in one collective group, plus an actor that keeps rank 0's
 * reports (state.ts), which the driver reads as they come. When a member is
 * lost, the others' collectives fail with ERR_GROUP_BROKEN and so does the
 * attempt; the driver then starts a new attempt from the last checkpoint with
 * the workers there are now (fewer, or more if tabs joined: elastic), and
 * drops the reports made after that checkpoint. A failure of the user's own
 * code is not retried: it rejects with that error.
 *
 * Resolves to `{metrics, checkpoint, attempts}`: rank 0's reports in order,
 * the last checkpoint reported, and each attempt's world size and error.
 */
import { ShoalError } from '@shoal/protocol';
import { ShoalTrainState } from './state.ts';
import { shoalTrainWorker } from './worker.ts';

/** What the trainer needs of the job's cluster. */
export interface TrainCluster {
  remote(fn: (...args: any[]) => unknown, options?: Record<string, unknown>): (...args: unknown[]) => unknown;
  get(ref: unknown): Promise<unknown>;
  actor(cls: unknown, options?: Record<string, unknown>): any;
  kill(handle: unknown): void;
  cancel(ref: unknown, options?: { force?: boolean }): void;
  /** The workers connected now (their count sets an attempt's world size). */
  workers(): readonly unknown[];
  group(size: number): { rendezvous: unknown };
}

export interface TrainOptions {
  numWorkers: number;
  trainLoop: (ctx: any) => unknown;
  config?: unknown;
  /** Items (values or refs) spread over the workers: rank r gets items r, r + worldSize, ... as `ctx.shard`. */
  dataset?: readonly unknown[];
  /** Resources each training worker holds (default {cpu: 1}). */
  resources?: Record<string, unknown>;
  /** Attempts that may fail (a worker lost) before training gives up. Default 3. */
  maxFailures?: number;
  /** Start from this checkpoint. */
  resumeFrom?: unknown;
  /** Called with each of rank 0's reports as the driver sees it (every ~100 ms). */
  onReport?: (metrics: unknown, index: number) => void;
}

export interface TrainAttempt {
  worldSize: number;
  error?: string;
}

export interface TrainResult {
  metrics: unknown[];
  checkpoint: unknown;
  attempts: TrainAttempt[];
}

/** Failures that mean a worker went away, not a bug in the training loop: the attempt is retried. */
const RECOVERABLE = new Set(['ERR_GROUP_BROKEN', 'ERR_WORKER_LOST', 'ERR_ACTOR_DIED', 'ERR_CANCELLED', 'ERR_OBJECT_LOST', 'ERR_TASK_KILLED_WORKERS']);
const POLL_MS = 100;
/** How long the rest of a broken attempt gets to fail by itself before its tasks are cancelled. */
const GRACE_MS = 5000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function train(cluster: TrainCluster, options: TrainOptions): Promise<TrainResult> {
  if (!Number.isInteger(options.numWorkers) || options.numWorkers < 1) throw new ShoalError('ERR_BAD_OPTION', `numWorkers must be a whole number ≥ 1, got ${options.numWorkers}`);
  if (typeof options.trainLoop !== 'function') throw new ShoalError('ERR_BAD_OPTION', 'trainLoop must be a function (ctx) => ...');
  const loopSource = Function.prototype.toString.call(options.trainLoop);
  const run = cluster.remote(shoalTrainWorker, { name: 'train', maxRetries: 0, resources: options.resources ?? { cpu: 1 } });
  const dataset = options.dataset ?? [];
  const maxFailures = options.maxFailures ?? 3;
  const metrics: unknown[] = [];
  const attempts: TrainAttempt[] = [];
  let checkpoint: unknown = options.resumeFrom ?? null;
  let committed = 0;
  for (let attempt = 1; ; attempt++) {
    const worldSize = Math.max(1, Math.min(options.numWorkers, cluster.workers().length));
    const group = cluster.group(worldSize);
    const state = cluster.actor(ShoalTrainState);
    const refs = Array.from({ length: worldSize }, (_, rank) =>
      run({ group, rank, worldSize, loopSource, config: options.config ?? null, checkpoint, attempt, state }, dataset.filter((_, i) => i % worldSize === rank)),
    );
    let seen = 0;
    const pull = async () => {
      const fresh = (await cluster.get(state.since(seen))) as Array<{ metrics: unknown; checkpoint?: unknown }>;
      seen += fresh.length;
      for (const report of fresh) {
        metrics.push(report.metrics);
        options.onReport?.(report.metrics, metrics.length - 1);
        if ('checkpoint' in report) {
          checkpoint = report.checkpoint;
          committed = metrics.length;
        }
      }
    };
    const outcomes: Array<Error | null | undefined> = refs.map(() => undefined);
    const settled = Promise.all(refs.map((ref, i) => cluster.get(ref).then(() => (outcomes[i] = null), (error: Error) => (outcomes[i] = error))));
    let brokenAt: number | null = null;
    let done = false;
    void settled.then(() => (done = true));
    while (!done) {
      await Promise.race([settled, sleep(POLL_MS)]);
      await pull().catch(() => undefined);
      if (brokenAt === null && outcomes.some((o) => o)) brokenAt = Date.now();
      if (brokenAt !== null && Date.now() - brokenAt > GRACE_MS) refs.forEach((ref, i) => outcomes[i] === undefined && cluster.cancel(ref, { force: true }));
    }
    await pull().catch(() => undefined);
    cluster.kill(state);
    cluster.kill(group.rendezvous);
    const errors = outcomes.filter((o): o is Error => o instanceof Error);
    if (errors.length === 0) {
      attempts.push({ worldSize });
      return { metrics, checkpoint, attempts };
    }
    const primary = errors.find((e) => (e as ShoalError).code !== 'ERR_GROUP_BROKEN' && (e as ShoalError).code !== 'ERR_CANCELLED') ?? errors[0]!;
    attempts.push({ worldSize, error: primary.message });
    const recoverable = errors.every((e) => RECOVERABLE.has((e as ShoalError).code));
    if (!recoverable || attempts.filter((a) => a.error).length > maxFailures) throw primary;
    metrics.length = committed; // reports after the last checkpoint are made again
  }
}
