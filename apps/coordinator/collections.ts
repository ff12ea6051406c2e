/**
 * The collections a job's `cluster` offers on top of the core API: each one is
 * a package above @shoal/client that compiles its lazy plans into ordinary
 * tasks. This is the one place that attaches them to the job's cluster.
 */
import type { Cluster, Coordinator } from '@shoal/client';
import { arrayApi } from '@shoal/array';

/** The job's cluster with every collection attached (each collection adds its own properties). */
export function withCollections(cluster: Cluster, _coordinator: Coordinator): Cluster {
  const extended = cluster as Cluster & Record<string, unknown>;
  // One line per collection, e.g. `Object.assign(extended, arrayApi(cluster));`
  Object.assign(extended, arrayApi(cluster));
  return extended;
}
