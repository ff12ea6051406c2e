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

/** How both sides (directCalls.ts, actorPorts.ts) track a call: waiting, answered inline, or gone some other way. */
export type CallEntry = { kind: 'pending'; waiters: Array<() => void> } | { kind: 'done'; result: TaskResult } | { kind: 'page' | 'deferred' };

/** A call's inline result once it is settled in `calls`; null if it settled another way (or is not there). */
export async function settledResult(calls: ReadonlyMap<string, CallEntry>, callId: string): Promise<TaskResult | null> {
  let entry = calls.get(callId);
  if (entry?.kind === 'pending') {
    const pending = entry;
    await new Promise<void>((resolve) => pending.waiters.push(resolve));
    entry = calls.get(callId);
  }
  return entry?.kind === 'done' ? entry.result : null;
}

/** Forgets settled calls, oldest first, until at most `keep` remain; pending ones stay. */
export function trimSettled(calls: Map<string, { kind: string }>, keep: number): void {
  if (calls.size <= keep) return;
  for (const [callId, entry] of calls) {
    if (calls.size <= keep) return;
    if (entry.kind !== 'pending') calls.delete(callId);
  }
}
