/**
 * `cluster.array`: the namespace over a cluster (tasks through the ordinary
 * remote/get API), and `localArrays()`, the same over this process (tests, and
 * small arrays without a cluster).
 */
import type { Cluster, ObjectRef } from '@shoal/client';
import type { Backend } from './array.ts';
import { arrayNamespace, type ArrayApi } from './create.ts';
import { runLocal, submitGraph } from './execute.ts';

export function clusterBackend(cluster: Cluster): Backend {
  return {
    put: (block) => cluster.put(block),
    run: async (graph) => {
      const values = (await cluster.get(submitGraph(cluster, graph))) as ArrayLike<number>[];
      keepAlive(graph.externals);
      return values;
    },
    persist: async (graph) => {
      // Waits for the blocks without fetching them here: they stay on the workers (and are remade from lineage if a worker is lost).
      const refs = submitGraph(cluster, graph);
      const distinct = refs.filter((r, i) => refs.indexOf(r) === i) as ObjectRef[];
      await cluster.wait(distinct, { numReturns: distinct.length });
      keepAlive(graph.externals);
      return refs;
    },
  };
}

/**
 * Reads the input blocks' refs after the wait, so they stay reachable until
 * the tasks that read them are done: a ref the job drops is released after
 * garbage collection, and V8 may collect an async function's locals that
 * nothing reads after an await (a persisted array's blocks were released
 * mid-matmul that way: "object … is not available").
 */
let kept = 0;
function keepAlive(refs: readonly unknown[]): void {
  kept = (kept + refs.length) % 1024;
}

export function localBackend(): Backend {
  return {
    put: (block) => block,
    run: async (graph) => (await runLocal(graph)) as ArrayLike<number>[],
    persist: async (graph) => runLocal(graph),
  };
}

/** What a job's `cluster` gains: `cluster.array`. */
export function arrayApi(cluster: Cluster): { array: ArrayApi } {
  return { array: arrayNamespace(clusterBackend(cluster)) };
}

/** The array API evaluated in this process (no cluster). */
export function localArrays(): ArrayApi {
  return arrayNamespace(localBackend());
}
