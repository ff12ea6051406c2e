/** Plain-JS references for the tests: dense C-order arrays, computed the obvious way. */
import { stridesOf } from './shape.ts';

export interface Dense {
  data: number[];
  shape: number[];
}

export const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function unravel(f: number, shape: readonly number[]): number[] {
  const s = stridesOf(shape);
  return shape.map((n, d) => Math.floor(f / s[d]!) % n);
}

export function fromFn(shape: number[], fn: (...idx: number[]) => number): Dense {
  return { shape, data: Array.from({ length: numel(shape) }, (_, f) => fn(...unravel(f, shape))) };
}

export function at(a: Dense, idx: readonly number[]): number {
  const s = stridesOf(a.shape);
  const off = idx.length - a.shape.length;
  return a.data[a.shape.reduce((sum, n, d) => sum + (n === 1 ? 0 : idx[off + d]!) * s[d]!, 0)]!;
}

export function broadcast(op: (...v: number[]) => number, ...xs: (Dense | number)[]): Dense {
  const arrays = xs.filter((x): x is Dense => typeof x !== 'number');
  const n = Math.max(...arrays.map((a) => a.shape.length));
  const shape = Array.from({ length: n }, (_, i) => Math.max(...arrays.map((a) => a.shape[a.shape.length - n + i] ?? 1)));
  return fromFn(shape, (...idx) => op(...xs.map((x) => (typeof x === 'number' ? x : at(x, idx)))));
}

export function reduceRef(a: Dense, axes: number[], fn: (values: number[]) => number, keepdims = false): Dense {
  const outShape = a.shape.map((n, d) => (axes.includes(d) ? 1 : n));
  const groups = new Map<number, number[]>();
  const os = stridesOf(outShape);
  a.data.forEach((v, f) => {
    const idx = unravel(f, a.shape);
    const key = idx.reduce((s, c, d) => s + (axes.includes(d) ? 0 : c) * os[d]!, 0);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(v);
  });
  const data = Array.from({ length: numel(outShape) }, (_, k) => fn(groups.get(k)!));
  return { data, shape: keepdims ? outShape : a.shape.filter((_, d) => !axes.includes(d)) };
}

export const REDUCERS: Record<string, (v: number[]) => number> = {
  sum: (v) => v.reduce((a, b) => a + b, 0),
  prod: (v) => v.reduce((a, b) => a * b, 1),
  mean: (v) => v.reduce((a, b) => a + b, 0) / v.length,
  min: (v) => Math.min(...v),
  max: (v) => Math.max(...v),
  var: (v) => { const m = REDUCERS['mean']!(v); return v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length; },
  std: (v) => Math.sqrt(REDUCERS['var']!(v)),
  argmin: (v) => v.indexOf(Math.min(...v)),
  argmax: (v) => v.indexOf(Math.max(...v)),
  any: (v) => (v.some((x) => x !== 0) ? 1 : 0),
  all: (v) => (v.every((x) => x !== 0) ? 1 : 0),
};

export function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-9): boolean {
  if (actual.length !== expected.length) return false;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (Number.isNaN(a) && Number.isNaN(e)) continue;
    if (Math.abs(a - e) > tol * Math.max(1, Math.abs(e))) return false;
  }
  return true;
}
