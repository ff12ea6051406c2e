/**
 * A query's last stage that only renames its rows when every group is one row (distinctFinal.ts), checked on
 * the keys' hashes instead of the rows, so the rows never move before the answer is gathered.
 *
 * db-benchmark's q10 (six keys, 10M rows, 10M groups) makes a 647 MB answer. With the pass-through of
 * distinctFinal.ts the final stage still fetched every partition's rows to one task (half of them from the other
 * tab), checked them, and copied them into a new block, which the coordinator then fetched: the rows crossed
 * the tabs twice, and every big new buffer costs its pages (README.md). Here, when that final stage is the
 * query's root (its blocks go to the coordinator, not to another stage), the map side also writes each part's
 * key hashes (DuckDB's `hash()` of the exchange's keys, 8 bytes a row, the value the exchange already splits
 * on) as a block of its own. The final stage first runs, per task, a check over those hash blocks only
 * (`distinctKeysCheck`): when no two hashes are equal, no two rows share their keys (equal keys hash equally),
 * every group is one row, and the task's result is its input blocks as they are, under the output's column
 * names (`Execution.names`, applied where the blocks are decoded). A repeated hash (two rows with the same
 * keys, or a rare collision) or a failed check runs the task as before: the SQL, or distinctFinal's JS. So the
 * answer is right either way; only the time differs.
 */
import { distinctFinalOp } from './distinctFinal.ts';
import type { Stage } from './stages.ts';
import type { CompiledTask, StageResult } from './tasks.ts';

/** Whether `stage` is a final aggregate that distinctFinal could pass through and that no stage reads (its blocks are the answer). */
export function gathersDistinct(stage: Stage, stages: readonly Stage[]): boolean {
  if (stage.keepOutput || distinctFinalOp(stage, stages) === null) return false;
  return !stages.some((s) => s.reads.some((r) => r.stage === stage.id));
}

/** Whether a hash exchange's tasks should also write their parts' key hashes: a stage that gathers distinct rows reads it. */
export function feedsDistinctGather(stage: Stage, stages: readonly Stage[]): boolean {
  if (stage.output.kind !== 'hash' || !stage.partialAgg) return false;
  return stages.some((s) => s.reads.length === 1 && s.reads[0]!.stage === stage.id && gathersDistinct(s, stages));
}

/** Per task of the final stage: the hash blocks of its input blocks (in order), or null when one has none (the task runs as before). */
export function hashInputs(tasks: readonly CompiledTask[], upstream: StageResult, minBytes = 0): (string[] | null)[] {
  const hashOf = new Map<string, string>();
  const bytesOf = new Map<string, number>();
  for (const t of upstream.tasks) {
    t.blocks.forEach((b, j) => {
      if (t.hashes?.[j] !== undefined) hashOf.set(b, t.hashes[j]!);
      bytesOf.set(b, t.bytes[j] ?? 0);
    });
  }
  return tasks.map((t) => {
    if (!t.spec.distinct) return null;
    if (t.inputs.reduce((sum, id) => sum + (bytesOf.get(id) ?? 0), 0) < minBytes) return null; // small: the task's own check (distinctFinal.ts) costs less than a round trip
    const ids = t.inputs.map((id) => hashOf.get(id));
    return ids.every((id): id is string => id !== undefined) ? ids : null;
  });
}

/** What a check answers: whether every hash is distinct, and how many it saw. */
export interface KeysCheck {
  unique: boolean;
  rows: number;
}

/**
 * The check task (self-contained: it ships as source text). `blocks` are Arrow IPC streams of one column of
 * 64-bit hashes (DuckDB's UBIGINT); answers whether no two are equal. An open-addressing table over the
 * hashes' two 32-bit halves, kept on the Web Worker's global between tasks (a new buffer's pages cost).
 */
export async function distinctKeysCheck(blocks: Uint8Array[], ctx: { arrow: any }): Promise<KeysCheck> {
  const halves: Uint32Array[] = [];
  let rows = 0;
  for (const b of blocks) {
    if (!b || b.byteLength === 0) continue;
    const table = ctx.arrow.tableFromIPC(b);
    if (table.numCols !== 1) return { unique: false, rows: 0 };
    for (const batch of table.batches) {
      for (const d of batch.getChildAt(0)?.data ?? []) {
        if (d.nullCount > 0 || !(d.values instanceof BigUint64Array || d.values instanceof BigInt64Array)) return { unique: false, rows: 0 };
        const v = d.values as BigUint64Array;
        // Copied when not 4-aligned (a view needs it); DuckDB's buffers are 8-aligned.
        halves.push(v.byteOffset % 4 === 0 ? new Uint32Array(v.buffer, v.byteOffset, v.length * 2) : new Uint32Array(new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice().buffer));
        rows += v.length;
      }
    }
  }
  let size = 1024;
  while (size < 2 * rows) size *= 2;
  const scratch = ((globalThis as { __shoalKeysCheck?: { keys: Uint32Array; used: Uint8Array } }).__shoalKeysCheck ??= { keys: new Uint32Array(0), used: new Uint8Array(0) });
  if (scratch.used.length < size) {
    scratch.used = new Uint8Array(size);
    scratch.keys = new Uint32Array(2 * size);
  }
  const { keys, used } = scratch;
  used.fill(0, 0, size);
  const mask = size - 1;
  for (const w of halves) {
    for (let i = 0; i < w.length; i += 2) {
      const lo = w[i]!;
      const hi = w[i + 1]!;
      // Mixed: the exchange put rows in this part by the hash modulo the parts, so its low bits repeat.
      let x = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
      x ^= x >>> 15;
      let s = x & mask;
      for (;;) {
        if (used[s] === 0) {
          used[s] = 1;
          keys[2 * s] = lo;
          keys[2 * s + 1] = hi;
          break;
        }
        if (keys[2 * s] === lo && keys[2 * s + 1] === hi) return { unique: false, rows };
        s = (s + 1) & mask;
      }
    }
  }
  return { unique: true, rows };
}
