import { describe, expect, it } from 'vitest';
import { ShoalError } from '@shoal/protocol';
import { memoryGroup } from './memoryTransport.ts';
import { ringAllgather, ringAllreduce, ringBarrier, ringBroadcast, ringReduceScatter, ringShift, segments } from './ring.ts';
import type { FloatArray, ReduceOp } from './types.ts';

/** Rank r's input: small integers, so float sums are exact in any order. */
function input(rank: number, length: number, kind: 'f32' | 'f64'): FloatArray {
  const array = kind === 'f32' ? new Float32Array(length) : new Float64Array(length);
  for (let i = 0; i < length; i++) array[i] = ((i * 7 + rank * 13) % 101) - 50;
  return array;
}

function expected(n: number, length: number, op: ReduceOp, kind: 'f32' | 'f64'): FloatArray {
  const out = kind === 'f32' ? new Float32Array(length) : new Float64Array(length);
  for (let i = 0; i < length; i++) {
    let acc = op === 'max' ? -Infinity : 0;
    for (let r = 0; r < n; r++) {
      const v = ((i * 7 + r * 13) % 101) - 50;
      acc = op === 'max' ? Math.max(acc, v) : acc + v;
    }
    out[i] = op === 'mean' ? acc / n : acc;
  }
  return out;
}

describe('ring collectives over an in-memory group', () => {
  for (const n of [1, 2, 3, 4, 5]) {
    for (const op of ['sum', 'mean', 'max'] as const) {
      it(`allreduce ${op} on ${n} ranks, uneven segments and chunks`, async () => {
        const length = 1003;
        const group = memoryGroup(n);
        const results = await Promise.all(group.transports.map((t) => ringAllreduce(t, input(t.rank, length, 'f64'), op, 'op1', { chunkBytes: 64 * 8, window: 3 })));
        const want = expected(n, length, op, 'f64');
        for (const result of results) expect(Array.from(result)).toEqual(Array.from(want));
      });
    }
  }

  it('allreduce on float32 keeps the type and the values', async () => {
    const group = memoryGroup(4);
    const results = await Promise.all(group.transports.map((t) => ringAllreduce(t, input(t.rank, 4096, 'f32'), 'sum', 'x', { chunkBytes: 1024 })));
    for (const result of results) {
      expect(result).toBeInstanceOf(Float32Array);
      expect(Array.from(result)).toEqual(Array.from(expected(4, 4096, 'sum', 'f32')));
    }
  });

  it('each rank sends 2(n-1)/n of the array (the ring bound)', async () => {
    const n = 4;
    const length = 4096;
    const group = memoryGroup(n);
    await Promise.all(group.transports.map((t) => ringAllreduce(t, input(t.rank, length, 'f64'), 'sum', 'x', { chunkBytes: 4096 })));
    for (const bytes of group.sentBytes) expect(bytes).toBe((2 * (n - 1) * length * 8) / n);
  });

  it('arrays shorter than the group (empty segments) and empty arrays', async () => {
    for (const length of [0, 1, 3]) {
      const group = memoryGroup(5);
      const results = await Promise.all(group.transports.map((t) => ringAllreduce(t, input(t.rank, length, 'f64'), 'sum', 'x')));
      for (const result of results) expect(Array.from(result)).toEqual(Array.from(expected(5, length, 'sum', 'f64')));
    }
  });

  it('reduceScatter gives rank r segment r of the reduction', async () => {
    const n = 3;
    const length = 100;
    const group = memoryGroup(n);
    const results = await Promise.all(group.transports.map((t) => ringReduceScatter(t, input(t.rank, length, 'f64'), 'max', 'rs', { chunkBytes: 80 })));
    const want = expected(n, length, 'max', 'f64');
    const segs = segments(length, n);
    results.forEach((result, r) => expect(Array.from(result)).toEqual(Array.from(want.slice(segs[r]![0], segs[r]![1]))));
  });

  it('allgather returns every rank’s array in rank order', async () => {
    const group = memoryGroup(4);
    const results = await Promise.all(group.transports.map((t) => ringAllgather(t, new Float32Array(10).fill(t.rank + 1), 'ag', { chunkBytes: 16 })));
    for (const result of results) expect(result.map((a) => Array.from(a))).toEqual([1, 2, 3, 4].map((v) => Array(10).fill(v)));
  });

  it('broadcast copies the root’s array to every rank, from any root', async () => {
    for (const root of [0, 2]) {
      const group = memoryGroup(4);
      const results = await Promise.all(
        group.transports.map((t) => ringBroadcast(t, t.rank === root ? Float64Array.from({ length: 50 }, (_, i) => i * root) : new Float64Array(50), root, 'bc', { chunkBytes: 64 })),
      );
      for (const result of results) expect(Array.from(result)).toEqual(Array.from({ length: 50 }, (_, i) => i * root));
    }
  });

  it('shift gives each rank its left neighbour’s array, each sending it once', async () => {
    for (const n of [1, 2, 4]) {
      const group = memoryGroup(n);
      const results = await Promise.all(group.transports.map((t) => ringShift(t, Float32Array.from({ length: 37 }, (_, i) => i + 100 * t.rank), 'sh', { chunkBytes: 32, window: 2 })));
      results.forEach((result, r) => expect(Array.from(result)).toEqual(Array.from({ length: 37 }, (_, i) => i + 100 * ((r - 1 + n) % n))));
      for (const bytes of group.sentBytes) expect(bytes).toBe(n > 1 ? 37 * 4 : 0);
    }
  });

  it('barrier waits for the last rank to enter', async () => {
    const group = memoryGroup(3);
    const left: number[] = [];
    let lateEntered = false;
    await Promise.all(
      group.transports.map(async (t) => {
        if (t.rank === 2) {
          await new Promise((resolve) => setTimeout(resolve, 30));
          lateEntered = true;
        }
        await ringBarrier(t, 'b');
        expect(lateEntered).toBe(true);
        left.push(t.rank);
      }),
    );
    expect(left.sort()).toEqual([0, 1, 2]);
  });

  it('a member lost mid-allreduce fails it with ERR_GROUP_BROKEN on every other member, never a hang', async () => {
    const group = memoryGroup(4, { delayMs: 2 });
    const runs = group.transports.map((t) => ringAllreduce(t, input(t.rank, 20000, 'f64'), 'sum', 'x', { chunkBytes: 1024 }));
    setTimeout(() => group.kill(2), 10);
    const settled = await Promise.allSettled(runs.filter((_, r) => r !== 2));
    for (const outcome of settled) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason as ShoalError;
      expect(error.code).toBe('ERR_GROUP_BROKEN');
    }
  });
});
