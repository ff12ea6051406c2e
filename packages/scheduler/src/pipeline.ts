/**
 * Pipelining: how much cpu a worker may hold in flight for a group of tasks.
 *
 * A worker with `cpu` slots may hold assigned, unblocked tasks whose cpu
 * demand sums to `cpu × depth`, where for the task's group
 *
 *   depth = clamp(1 + floor(roundTripMs / avgMs), 1, maxInFlightPerSlot)
 *
 * and `avgMs` is an EWMA (alpha 0.2) of the group's finished run times. Short
 * tasks thus queue on their worker to hide the coordinator round trip; a
 * group with no samples yet gets depth 1 (no pipelining until we know its
 * tasks are short). Groups are one per remote function and are kept.
 */
import type { GroupRecord, SchedulerState, ShapeRecord } from './state.ts';

const ALPHA = 0.2;

/**
 * The pipeline depth of tasks with `prefetch` (TaskSpec): one task held behind each running one,
 * whose inputs are fetched while it waits.
 */
export const PREFETCH_DEPTH = 2;

/** How deep a worker's pipeline may be for tasks of `shape`: its group's depth, or its own minimum if deeper. */
export function depthOf(shape: ShapeRecord): number {
  return Math.max(shape.group.depth, shape.minDepth);
}

export function groupOf(state: SchedulerState, name: string): GroupRecord {
  let group = state.groups.get(name);
  if (!group) state.groups.set(name, (group = { name, avgMs: null, depth: 1, latestShape: null }));
  return group;
}

/** Folds one run's duration into its group; answers whether the depth grew. */
export function recordDuration(state: SchedulerState, group: GroupRecord, durationMs: number): boolean {
  if (!Number.isFinite(durationMs) || durationMs < 0) return false;
  group.avgMs = group.avgMs === null ? durationMs : group.avgMs + ALPHA * (durationMs - group.avgMs);
  const { roundTripMs, maxInFlightPerSlot } = state.config;
  const raw = group.avgMs > 0 ? 1 + Math.floor(roundTripMs / group.avgMs) : maxInFlightPerSlot;
  const depth = Math.min(Math.max(raw, 1), Math.max(1, maxInFlightPerSlot));
  const grew = depth > group.depth;
  group.depth = depth;
  return grew;
}
