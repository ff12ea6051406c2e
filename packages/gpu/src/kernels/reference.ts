/**
 * CPU references for the built-in kernels: what the GPU results are compared
 * against in tests, written for clarity and precision (float64 accumulation)
 * rather than speed. `matmulIkj` is the exception: the plain JS loop the
 * benchmarks time as "CPU GFLOP/s".
 */
import type { GpuArray } from '../arrays.ts';
import type { ReduceOp } from './reduce.ts';

/** `fn` over every index of equally long arrays, rounded to f32. */
export function mapReference(fn: (...values: number[]) => number, ...arrays: ArrayLike<number>[]): Float32Array {
  const n = arrays[0]?.length ?? 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = fn(...arrays.map((a) => a[i]!));
  return out;
}

/** Sum (float64, Neumaier-compensated), min, max or mean. Empty: 0 for sum, NaN otherwise. */
export function reduceReference(op: ReduceOp, data: ArrayLike<number>): number {
  const n = data.length;
  if (n === 0) return op === 'sum' ? 0 : NaN;
  if (op === 'min' || op === 'max') {
    let acc = data[0]!;
    for (let i = 1; i < n; i++) acc = op === 'min' ? Math.min(acc, data[i]!) : Math.max(acc, data[i]!);
    return acc;
  }
  let sum = 0;
  let compensation = 0;
  for (let i = 0; i < n; i++) {
    const x = data[i]!;
    const t = sum + x;
    compensation += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  const total = sum + compensation;
  return op === 'mean' ? total / n : total;
}

/** C = A × B, row-major, float64 accumulation, rounded to f32. */
export function matmulReference(a: ArrayLike<number>, b: ArrayLike<number>, M: number, N: number, K: number): Float32Array {
  const c = new Float32Array(M * N);
  const row = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    row.fill(0);
    for (let k = 0; k < K; k++) {
      const aik = a[i * K + k]!;
      for (let j = 0; j < N; j++) row[j]! += aik * b[k * N + j]!;
    }
    c.set(row, i * N);
  }
  return c;
}

/** One entry of A × B in float64: for spot checks of big products. */
export function matmulEntry(a: ArrayLike<number>, b: ArrayLike<number>, N: number, K: number, i: number, j: number): number {
  let sum = 0;
  for (let k = 0; k < K; k++) sum += a[i * K + k]! * b[k * N + j]!;
  return sum;
}

/** The plain JS matmul the benchmark times: i-k-j loop order over Float32Arrays. */
export function matmulIkj(a: Float32Array, b: Float32Array, M: number, N: number, K: number): Float32Array {
  const c = new Float32Array(M * N);
  for (let i = 0; i < M; i++) {
    const ci = i * N;
    for (let k = 0; k < K; k++) {
      const aik = a[i * K + k]!;
      const bk = k * N;
      for (let j = 0; j < N; j++) c[ci + j]! += aik * b[bk + j]!;
    }
  }
  return c;
}

/** Exclusive prefix sum of the same kind: u32/i32 wrap mod 2^32 like the GPU, f32 accumulates in float64. */
export function scanReference<T extends GpuArray>(data: T): T {
  const out = new (data.constructor as new (n: number) => T)(data.length);
  let acc = 0;
  for (let i = 0; i < data.length; i++) {
    out[i] = acc;
    acc = data instanceof Float32Array ? acc + data[i]! : (acc + data[i]!) | 0;
  }
  return out;
}

/** Largest |x - y| / max(|y|, floor) over two arrays (floor keeps near-zero entries from dominating). */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-6): number {
  if (actual.length !== expected.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!) / Math.max(Math.abs(expected[i]!), floor);
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  return worst;
}

/** max |x - y| over max |y|: the error relative to the result's scale (for sums that cancel). */
export function scaledError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}
