/**
 * The thin layer: turns a plan into running block streams on the cluster
 * (one per operator, each with its own loop, so operators run at once) and
 * nothing else. Every decision it takes comes from the pure modules:
 * partition.ts (range blocks, repartition slices, windows, limit cuts) and
 * poolPolicy.ts (through poolRunner.ts).
 */
import { ShoalError } from '@shoal/protocol';
import { datasetTaskFunction, type BlockMeta, type ReadSpec, type TaskSpec } from './blockTask.ts';
import type { DataCluster, DataContext, DataFolder } from './cluster.ts';
import { datasetError, inputLost } from './errors.ts';
import { limitCut, operatorWindow, rangeReads, repartitionSlices } from './partition.ts';
import { fuseTransforms, operatorName, operators, type PlanNode } from './plan.ts';
import { poolRunner, type PoolRunner } from './poolRunner.ts';
import { listPull, newStats, windowedStream, type BlockHandle, type OperatorStats, type Pull } from './streams.ts';

export interface Execution {
  readonly output: Pull<BlockHandle>;
  readonly stats: OperatorStats[];
  /** Stops every operator and kills pools (call once the output is consumed or abandoned). */
  close(): void;
}

export interface ExecuteOptions {
  cluster: DataCluster;
  data: DataFolder | undefined;
  context: DataContext;
  onProgress?: (stats: readonly OperatorStats[]) => void;
}

export function execute(plan: PlanNode, options: ExecuteOptions): Execution {
  const { cluster, context } = options;
  const root = context.fuseTransforms ? fuseTransforms(plan) : plan;
  const ops = operators(root);
  const stats: OperatorStats[] = [];
  const pools: PoolRunner[] = [];
  const pulls: Pull<BlockHandle>[] = [];
  const slots = Math.max(1, cluster.slots());
  const maxWindow = context.maxBlocksPerOperator ?? Math.max(2, 2 * slots);
  const window = operatorWindow(context.memoryBudgetBytes, context.targetBlockBytes, ops.length, maxWindow);
  // One remote function per operator, named after it, so the dashboard's task views and `shoal run`'s
  // progress bars (one per task name) show each operator's blocks done.
  const tasks = new Map<number, (...args: unknown[]) => unknown>();
  const taskFor = (opIndex: number): ((...args: unknown[]) => unknown) => {
    let call = tasks.get(opIndex);
    if (!call) tasks.set(opIndex, (call = cluster.remote(datasetTaskFunction(), { name: stats[opIndex]?.name ?? 'dataset', numReturns: 2, maxRetries: context.maxRetries })));
    return call;
  };
  let lastProgress = 0;
  const changed = (): void => {
    const now = Date.now();
    if (!options.onProgress || now - lastProgress < 100) return;
    lastProgress = now;
    options.onProgress(stats);
  };

  /** Runs one task on `inputs`, keeping them until it is done; remakes lost pool outputs and tries again. */
  const runTask = async (spec: TaskSpec, inputs: BlockHandle[], opIndex: number, seq: number): Promise<BlockHandle> => {
    for (let tries = 0; ; tries++) {
      const [blockRef, metaRef] = taskFor(opIndex)(spec, ...inputs.map((h) => h.ref)) as unknown[];
      try {
        const [meta] = (await cluster.get([metaRef])) as [BlockMeta];
        cluster.free([metaRef]);
        return { id: `${opIndex}:${seq}`, ref: blockRef, meta, release: () => cluster.free([blockRef]) };
      } catch (error) {
        cluster.free([blockRef, metaRef]);
        const remakable = inputs.filter((h) => h.remake);
        if (tries < 3 && remakable.length > 0 && inputLost(error)) {
          inputs = await Promise.all(inputs.map((h) => (h.remake ? h.remake() : h)));
          continue;
        }
        throw datasetError(error);
      }
    }
  };
  const releaseAll = (inputs: readonly BlockHandle[]): void => inputs.forEach((h) => h.release());

  const build = (node: PlanNode): Pull<BlockHandle> => {
    // Upstream first, so stats and operator numbers run in pipeline order (sources first).
    const ups = node.op === 'source' ? [] : node.op === 'union' ? node.inputs.map(build) : [build(node.input)];
    const opIndex = stats.length;
    const s = newStats(operatorName(node));
    stats.push(s);
    let pull: Pull<BlockHandle>;
    switch (node.op) {
      case 'source': {
        const src = node.source;
        if (src.kind === 'blocks') {
          // Blocks the job holds: handed on as they are (the dataset keeps them; nothing to free).
          const handles = src.refs.map((ref, i): BlockHandle => ({ id: `${opIndex}:${i}`, ref, meta: src.metas[i]!, release: () => {} }));
          pull = windowedStream(listPull(handles), window, async (h) => h, s, changed);
          break;
        }
        const reads: Pull<ReadSpec> = src.kind === 'range' ? listPull(rangeReads(src.n, src.blocks)) : filePull(src, options.data);
        const steps = node.then;
        pull = windowedStream(reads, window, (read, seq) => runTask({ kind: 'read', read, block: `${opIndex}:${seq}`, ...(steps ? { steps } : {}) }, [], opIndex, seq), s, changed);
        break;
      }
      case 'transform': {
        const up = ups[0]!;
        pull = windowedStream(up, window, async (h, seq) => {
          const out = await runTask({ kind: 'transform', steps: [node.step, ...(node.then ?? [])], block: h.id }, [h], opIndex, seq);
          h.release();
          return out;
        }, s, changed);
        break;
      }
      case 'pool': {
        const up = ups[0]!;
        const runner = poolRunner(cluster, node, opIndex, s, context.maxRetries);
        pools.push(runner);
        const poolWindow = Math.max(window, node.max * 2);
        const inner = windowedStream(up, poolWindow, (h, seq) => runner.run(h, seq), s, changed);
        pull = {
          next: async () => {
            const h = await inner.next();
            if (h === null) runner.close();
            return h;
          },
          stop: () => {
            inner.stop();
            runner.close();
          },
        };
        break;
      }
      case 'limit': {
        const up = ups[0]!;
        let taken = 0;
        const cut: Pull<BlockHandle> = {
          next: async () => {
            if (taken >= node.n) {
              up.stop();
              return null;
            }
            const h = await up.next();
            if (h === null) return null;
            const keep = limitCut(taken, h.meta.rows, node.n);
            taken += keep;
            if (keep === h.meta.rows) return h;
            const out = await runTask({ kind: 'slice', slices: [{ start: 0, end: keep }], block: h.id }, [h], opIndex, taken);
            h.release();
            return out;
          },
          stop: () => up.stop(),
        };
        pull = windowedStream(cut, 1, async (h) => h, s, changed);
        break;
      }
      case 'repartition': {
        const up = ups[0]!;
        pull = barrier(up, s, async (inputs) => {
          const plan = repartitionSlices(inputs.map((h) => h.meta.rows), node.n);
          const uses = new Array<number>(inputs.length).fill(0);
          for (const slices of plan) for (const sl of slices) uses[sl.block]! += 1;
          inputs.forEach((h, i) => uses[i] === 0 && h.release());
          return windowedStream(listPull(plan.map((slices, i) => ({ slices, i }))), window, async ({ slices, i }) => {
            const used = slices.map((sl) => inputs[sl.block]!);
            const out = await runTask({ kind: 'slice', slices: slices.map((sl) => ({ start: sl.start, end: sl.end })), block: `${i}` }, used, opIndex, i);
            for (const sl of slices) if (--uses[sl.block]! === 0) inputs[sl.block]!.release();
            return out;
          }, s, changed);
        });
        break;
      }
      case 'shuffle': {
        const up = ups[0]!;
        const shuffleMap = (parts: number) => cluster.remote(datasetTaskFunction(), { name: `${s.name}:map`, numReturns: Math.max(2, parts), maxRetries: context.maxRetries });
        pull = barrier(up, s, async (inputs) => {
          const k = Math.max(1, inputs.length);
          const mapFn = shuffleMap(k);
          // With one part, numReturns is 2 (the task answers [part, unused]).
          const parts = inputs.map((h, i) => (mapFn({ kind: 'shuffleMap', parts: k, seed: node.seed * 7919 + i, block: h.id }, h.ref) as unknown[]).slice(0, k));
          let remaining = k;
          return windowedStream(listPull(Array.from({ length: k }, (_, j) => j)), window, async (j) => {
            const handles = parts.map((p, i): BlockHandle => ({ id: `${inputs[i]!.id}/${j}`, ref: p[j], meta: { rows: 0, bytes: 0 }, release: () => cluster.free([p[j]]) }));
            const out = await runTask({ kind: 'shuffleReduce', seed: node.seed * 104729 + j, block: `${j}` }, handles, opIndex, j);
            releaseAll(handles);
            if (--remaining === 0) releaseAll(inputs);
            return out;
          }, s, changed);
        });
        break;
      }
      case 'union': {
                let at = 0;
        const chain: Pull<BlockHandle> = {
          next: async () => {
            while (at < ups.length) {
              const h = await ups[at]!.next();
              if (h !== null) return h;
              at++;
            }
            return null;
          },
          stop: () => ups.forEach((u) => u.stop()),
        };
        pull = windowedStream(chain, window, async (h) => h, s, changed);
        break;
      }
    }
    pulls.push(pull);
    return pull;
  };

  const output = build(root);
  let closed = false;
  return {
    output,
    stats,
    close() {
      if (closed) return;
      closed = true;
      output.stop();
      for (const p of pools) p.close();
      options.onProgress?.(stats);
    },
  };
}

/** Pulls every upstream block first (an all-to-all operator), then streams what `then` makes of them. */
function barrier(up: Pull<BlockHandle>, stats: OperatorStats, then: (inputs: BlockHandle[]) => Promise<Pull<BlockHandle>>): Pull<BlockHandle> {
  let inner: Promise<Pull<BlockHandle>> | null = null;
  let stopped = false;
  const start = async (): Promise<Pull<BlockHandle>> => {
    stats.startedAt = Date.now();
    const inputs: BlockHandle[] = [];
    for (let h = await up.next(); h !== null; h = await up.next()) inputs.push(h);
    return then(inputs);
  };
  return {
    next: async () => {
      if (stopped) return null;
      inner ??= start();
      return (await inner).next();
    },
    stop: () => {
      stopped = true;
      up.stop();
      void inner?.then((p) => p.stop(), () => undefined);
    },
  };
}

/** A file source: lists the paths in the data folder (one block per file), with read URLs. */
function filePull(src: Extract<PlanNode, { op: 'source' }>['source'] & { kind: 'files' }, data: DataFolder | undefined): Pull<ReadSpec> {
  let inner: Promise<Pull<ReadSpec>> | null = null;
  let stopped = false;
  const list = async (): Promise<Pull<ReadSpec>> => {
    if (!data) throw new ShoalError('ERR_READ_FAILED', 'this cluster has no data folder (start it with --data DIR)');
    const grant = await data.readGrant();
    const files = (await Promise.all(src.paths.map((p) => data.list(p)))).flat();
    if (files.length === 0) throw new ShoalError('ERR_READ_FAILED', `no files match ${src.paths.join(', ')}`);
    return listPull(files.map((f): ReadSpec => ({ kind: 'file', format: src.format, url: data.fileUrl(f.path, grant), path: f.path, includePaths: src.includePaths })));
  };
  return {
    next: async () => (stopped ? null : (await (inner ??= list())).next()),
    stop: () => void (stopped = true),
  };
}
