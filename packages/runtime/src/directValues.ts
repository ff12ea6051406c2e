/** What direct calls (directCalls.ts, actorPorts.ts) ask of wire values. */
import type { TaskResult } from '@shoal/protocol';

/**
 * Whether a direct call's result is answered by its caller's worker: inline values without refs.
 * Stored results (big or binary) and values holding refs go through the coordinator and the object
 * plane, as before; so do failures, so their errors read exactly as the coordinator words them.
 */
export function local(result: TaskResult): boolean {
  return result.ok && !result.stored?.length && !hasRefs(result.value);
}

/** Whether a wire value holds a ref (`{"$shoalRef": id}`) anywhere. */
export function hasRefs(value: unknown, depth = 0): boolean {
  if (value === null || typeof value !== 'object' || depth > 64) return false;
  if (Array.isArray(value)) return value.some((item) => hasRefs(item, depth + 1));
  for (const [key, item] of Object.entries(value)) if (key === '$shoalRef' || hasRefs(item, depth + 1)) return true;
  return false;
}

/** About how many bytes a value takes as JSON (for batching notices); `unknown` if it cannot be measured. */
export function wireBytes(value: unknown, unknown = 96 * 1024): number {
  try {
    return JSON.stringify(value).length;
  } catch {
    return unknown;
  }
}
