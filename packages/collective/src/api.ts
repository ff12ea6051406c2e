/**
 * The job's side: `cluster.collective.group(n)` makes a group spec to hand
 * to n tasks or actors, which each call `ctx.collective.join(spec, rank)`.
 */
import { randomId } from '@shoal/protocol';
import type { GroupSpec } from './member.ts';
import { ShoalRendezvous } from './rendezvous.ts';

/** The part of the job's cluster a group needs: making an actor. */
export interface CollectiveCluster {
  actor(cls: unknown, options?: Record<string, unknown>): unknown;
}

export interface CollectiveApi {
  group(size: number): GroupSpec;
}

export function collectiveApi(cluster: CollectiveCluster): { collective: CollectiveApi } {
  return {
    collective: {
      group(size) {
        if (!Number.isInteger(size) || size < 1) throw new RangeError(`a group needs a whole number of members ≥ 1, got ${size}`);
        const rendezvous = cluster.actor(ShoalRendezvous, { args: [size], maxConcurrency: size + 1 }) as GroupSpec['rendezvous'];
        return { $shoalGroup: 1, id: `g${randomId(10)}`, size, rendezvous };
      },
    },
  };
}
