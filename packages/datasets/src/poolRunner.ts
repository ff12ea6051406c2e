/**
 * An actor pool on the cluster: carries out poolPolicy's decisions. Each
 * block goes to the least loaded actor (`call(block, blockId)`), and a small
 * task beside the result reads its row count. An actor that dies has its
 * batches sent again to the others (the pool refills to `min`); a block's
 * result is taken once, by its sequence number, so nothing is lost or
 * counted twice. Idle actors beyond `min` are retired after `idleMs`.
 */
import { datasetTaskFunction, poolActorClass } from './blockTask.ts';
import type { DataCluster } from './cluster.ts';
import { actorGone, datasetError, inputLost } from './errors.ts';
import type { PlanNode } from './plan.ts';
import { addActor, answered, createPool, idleToRetire, missing, pickActor, removeActor, sent, shouldGrow, type PoolActorState } from './poolPolicy.ts';
import type { BlockHandle, OperatorStats } from './streams.ts';

type PoolNode = Extract<PlanNode, { op: 'pool' }>;

export interface PoolRunner {
  /** Runs one block on some actor; resolves with the output's handle (re-routed as often as actors die). */
  run(input: BlockHandle, seq: number): Promise<BlockHandle>;
  /** Kills every actor (the stream is done or failed). */
  close(): void;
}

export function poolRunner(cluster: DataCluster, node: PoolNode, opIndex: number, stats: OperatorStats, maxRetries: number): PoolRunner {
  const cls = poolActorClass(node.cls, { op: `MapBatches(${node.name})`, batchSize: node.batchSize, batchFormat: node.batchFormat });
  const pool = createPool(node.min, node.max, { idleMs: node.idleMs });
  const handles = new Map<number, Record<string, (...args: unknown[]) => unknown>>();
  const metaTask = cluster.remote(datasetTaskFunction(), { name: `${stats.name}:meta`, numReturns: 2, maxRetries });
  let closed = false;
  let waiters: Array<() => void> = [];
  const wake = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const record = (): void => {
    stats.actors = { alive: pool.actors.length, peak: pool.peak, min: pool.min, max: pool.max, history: [...(stats.actors?.history ?? []), { t: Date.now(), alive: pool.actors.length }] };
  };
  const spawn = (): void => {
    const id = addActor(pool, Date.now());
    handles.set(id, cluster.actor(cls, { args: [...node.constructorArgs], maxRestarts: 0, name: `${stats.name}#${opIndex}.${id}.${Math.random().toString(36).slice(2, 8)}` }));
    record();
  };
  const retire = (id: number): void => {
    const handle = handles.get(id);
    removeActor(pool, id);
    handles.delete(id);
    if (handle) {
      try {
        cluster.kill(handle);
      } catch {
        // already gone
      }
    }
    record();
  };
  const timer = setInterval(() => {
    if (closed) return;
    for (const id of idleToRetire(pool, Date.now())) retire(id);
  }, Math.max(50, Math.min(500, node.idleMs / 4)));

  /** Waits for an actor with room, growing the pool when all are busy. */
  const acquire = async (): Promise<PoolActorState> => {
    for (;;) {
      for (let i = missing(pool); i > 0; i--) spawn();
      const free = pickActor(pool);
      if (free && (free.inFlight === 0 || !shouldGrow(pool))) return free;
      if (shouldGrow(pool)) {
        spawn();
        continue;
      }
      if (free) return free;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };

  const attempt = async (input: BlockHandle, seq: number): Promise<BlockHandle> => {
    for (let tries = 0; ; tries++) {
      if (closed) throw new Error('the pool was closed');
      const actor = await acquire();
      sent(actor);
      const handle = handles.get(actor.id)!;
      const blockRef = handle['call']!(input.ref, `${seq}`);
      const [outRef, metaRef] = metaTask({ kind: 'meta', block: `${seq}` }, blockRef) as unknown[];
      try {
        const [meta] = (await cluster.get([metaRef])) as [{ rows: number; bytes: number }];
        answered(actor, Date.now());
        wake();
        cluster.free([outRef, metaRef]);
        const out: BlockHandle = {
          id: `${opIndex}:${seq}`,
          ref: blockRef,
          meta,
          release: () => {
            cluster.free([blockRef]);
            input.release();
          },
          remake: () => {
            cluster.free([blockRef]);
            return attempt(input, seq);
          },
        };
        return out;
      } catch (error) {
        answered(actor, Date.now());
        cluster.free([blockRef, outRef, metaRef]);
        if (actorGone(error)) {
          // This actor is gone: drop it (the pool refills to min) and send the batch elsewhere.
          if (pool.actors.some((a) => a.id === actor.id)) retire(actor.id);
          wake();
          if (tries < 10) continue;
        }
        if (inputLost(error) && tries < 10) {
          // The result was made, then lost with its tab before it was read (an actor's result has no
          // lineage): run the batch again. If it is the input that keeps being lost, remake that too.
          if (input.remake && tries >= 1) input = await input.remake();
          wake();
          continue;
        }
        wake();
        throw datasetError(error);
      }
    }
  };

  return {
    run: (input, seq) => attempt(input, seq),
    close() {
      closed = true;
      clearInterval(timer);
      for (const id of [...handles.keys()]) retire(id);
      wake();
    },
  };
}
