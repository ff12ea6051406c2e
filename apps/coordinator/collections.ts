/**
 * The collections a job's `cluster` offers on top of the core API: each one is
 * a package above @shoal/client that compiles its lazy plans into ordinary
 * tasks. This is the one place that attaches them to the job's cluster.
 */
import type { Cluster, Coordinator } from '@shoal/client';
import type { DataClient } from '@shoal/data';
import { dataFrameApi, type SessionCluster } from '@shoal/dataframe';
import { queryLog } from './queries.ts';
import { arrayApi } from '@shoal/array';
import { dataApi } from '@shoal/datasets';
import { modelsApi } from '@shoal/inference/model';
import { datasetLog } from './views/datasets.ts';
import { collectiveApi } from '@shoal/collective';
import { trainApi } from '@shoal/train';
import { tuneLog } from './views/tune.ts';

/** The job's cluster with every collection attached (each collection adds its own properties). */
export function withCollections(cluster: Cluster, _coordinator: Coordinator): Cluster {
  const extended = cluster as Cluster & Record<string, unknown>;
  // One line per collection, e.g. `Object.assign(extended, arrayApi(cluster));`
  Object.assign(extended, arrayApi(cluster));
  const collective = collectiveApi({ actor: (cls, options) => cluster.actor(cls as never, options as never) });
  Object.assign(extended, collective);
  Object.assign(
    extended,
    trainApi({
      remote: (fn, options) => cluster.remote(fn as never, options as never) as unknown as (...args: unknown[]) => unknown,
      get: (ref) => cluster.get(ref as never),
      actor: (cls, options) => cluster.actor(cls as never, options as never),
      kill: (handle) => cluster.kill(handle as never),
      cancel: (ref, options) => cluster.cancel(ref as never, options),
      workers: () => cluster.workers(),
      group: (n) => collective.collective.group(n),
    }, { onTune: (update) => tuneLog.update(update) }),
  );
  Object.assign(extended, dataFrameApi(dataFrameCluster(cluster), (cluster as { dataClient?: DataClient }).dataClient, { onQuery: (record) => queryLog.update(record) }));
  Object.assign(extended, dataApi(cluster, { onProgress: (stats) => datasetLog.update(stats) }));
  Object.assign(extended, modelsApi());
  return extended;
}

/** The narrow part of the cluster a DataFrame session uses. */
function dataFrameCluster(cluster: Cluster): SessionCluster {
  return {
    remote: (fn, options) => cluster.remote(fn, options as never) as (...args: unknown[]) => unknown,
    get: (refs) => cluster.get(refs as never) as Promise<unknown[]>,
    put: (value) => cluster.put(value),
    free: (refs) => cluster.free(refs as never),
    slots: () => cluster.workers().reduce((sum, w) => sum + (w.caps?.slots ?? 1), 0),
  };
}
