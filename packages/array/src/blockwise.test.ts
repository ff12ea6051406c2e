import { describe, expect, it } from 'vitest';
import { ShoalError } from '@shoal/protocol';
import { localArrays, type ShoalArray } from './index.ts';
import { close, fromFn } from './testRefs.ts';

const da = localArrays();
const data = async (x: ShoalArray) => {
  const r = await x.compute();
  return typeof r === 'number' ? { data: [r], shape: [] as number[] } : { data: Array.from(r.data), shape: r.shape };
};
const X = fromFn([7, 5], (i, k) => ((i * 13 + k * 7) % 11) - 4 + k / 8);
const Y = fromFn([5, 3], (k, j) => k - j * 2 + 0.25);
const product = fromFn([7, 3], (i, j) => [0, 1, 2, 3, 4].reduce((s, k) => s + X.data[i * 5 + k]! * Y.data[k * 3 + j]!, 0));
// Inner blocks that differ (y is rechunked to x's along k), uneven last blocks.
const x = () => da.fromArray(Float64Array.from(X.data), [7, 5], { chunks: [3, 2] });
const y = () => da.fromArray(Float64Array.from(Y.data), [5, 3], { chunks: [3, 2] });

/** A self-contained block matmul: a is m × K, b is K × n (row-major). */
const mm = (a: Float64Array, b: Float64Array, info: { shapes: number[][] }) => {
  const [m, K] = info.shapes[0]!, n = info.shapes[1]![1]!;
  const c = new Float64Array(m! * n);
  for (let i = 0; i < m!; i++) for (let k = 0; k < K!; k++) for (let j = 0; j < n; j++) c[i * n + j] += a[i * K! + k]! * b[k * n + j]!;
  return c;
};

describe("blockwise with Dask's index notation", () => {
  it("'ij', x, 'ik', y, 'kj' with concatenate: the contracted blocks come joined, one call per output block", async () => {
    const z = da.blockwise(mm, 'ij', x(), 'ik', y(), 'kj', { concatenate: true });
    expect(z.shape).toEqual([7, 3]);
    expect(z.chunks).toEqual([[3, 3, 1], [2, 1]]);
    expect(z.plan().tasks.filter((t) => t.name === 'blockwise ij')).toHaveLength(6);
    const got = await data(z);
    expect(close(got.data, product.data)).toBe(true);
  });
  it('without concatenate the function gets a list of blocks per contracted axis (and their shapes)', async () => {
    const z = da.blockwise((as: Float64Array[], bs: Float64Array[], info: { ext: number[]; shapes: number[][][] }) => {
      const [m, n] = info.ext;
      const c = new Float64Array(m! * n!);
      for (let p = 0; p < as.length; p++) {
        const K = info.shapes[0]![p]![1]!;
        for (let i = 0; i < m!; i++) for (let k = 0; k < K; k++) for (let j = 0; j < n!; j++) c[i * n! + j] += as[p]![i * K + k]! * bs[p]![k * n! + j]!;
      }
      return c;
    }, 'ij', x(), 'ik', y(), 'kj');
    expect(close((await data(z)).data, product.data)).toBe(true);
  });
  it('contracting everything (a sum per row block), a plain value argument, and adjustChunks', async () => {
    // Row sums times a scalar: 'i' from 'ik' and a (value, null) pair; each output block is as long as x's row block.
    const z = da.blockwise((blocks: Float64Array[], scale: number, info: { ext: number[]; shapes: [number[][], null] }) => {
      const out = new Float64Array(info.ext[0]!);
      blocks.forEach((b, p) => { const K = info.shapes[0][p]![1]!; for (let i = 0; i < out.length; i++) for (let k = 0; k < K; k++) out[i] += scale * b[i * K + k]!; });
      return out;
    }, 'i', x(), 'ik', 10, null);
    expect(close((await data(z)).data, fromFn([7], (i) => 10 * [0, 1, 2, 3, 4].reduce((s, k) => s + X.data[i * 5 + k]!, 0)).data)).toBe(true);
    // One number per row block: adjustChunks makes each output block 1 long.
    const w = da.blockwise((b: Float64Array) => Float64Array.of(b.reduce((s, v) => s + v, 0)), 'i', x(), 'ik', { concatenate: true, adjustChunks: { i: 1 } });
    expect(w.shape).toEqual([3]);
    const rowBlockSums = [[0, 3], [3, 6], [6, 7]].map(([lo, hi]) => X.data.slice(lo! * 5, hi! * 5).reduce((s, v) => s + v, 0));
    expect(close((await data(w)).data, rowBlockSums)).toBe(true);
  });
  it('transposes by index order and adds a new axis', async () => {
    const t = da.blockwise((b: Float64Array, info: { shapes: number[][] }) => {
      const [r, c] = info.shapes[0]!;
      const out = new Float64Array(r! * c! * 2);
      for (let i = 0; i < r!; i++) for (let j = 0; j < c!; j++) for (let l = 0; l < 2; l++) out[(j * r! + i) * 2 + l] = b[i * c! + j]! * (l + 1);
      return out;
    }, 'jil', x(), 'ij', { newAxes: { l: 2 }, dtype: 'float64' });
    expect(t.shape).toEqual([5, 7, 2]);
    expect((await data(t)).data).toEqual(fromFn([5, 7, 2], (j, i, l) => X.data[i * 5 + j]! * (l + 1)).data);
  });
  it('explain names the index notation', () => {
    expect(da.blockwise(mm, 'ij', x(), 'ik', y(), 'kj', { concatenate: true }).explain()).toContain('blockwise(ij ← ik, kj, concatenate)');
  });
  it('a function returning the wrong number of elements fails its task', async () => {
    await expect(data(da.blockwise(() => new Float64Array(1), 'ij', x(), 'ij'))).rejects.toThrow(/returned 1 elements/);
  });
  it('the list form is still mapBlocks over several arrays', async () => {
    const got = await data(da.blockwise((a: Float64Array, b: Float64Array) => a.map((v, i) => v + b[i]!), [x(), x().rechunk([7, 5])]));
    expect(close(got.data, X.data.map((v) => 2 * v))).toBe(true);
  });
  const code = (f: () => unknown) => { try { f(); } catch (e) { return (e as ShoalError).code; } return null; };
  it.each([
    ['an index of the wrong length', () => da.blockwise(mm, 'ij', x(), 'i')],
    ['a repeated letter', () => da.blockwise(mm, 'ii', x(), 'ii')],
    ['an output letter no argument has', () => da.blockwise(mm, 'iz', x(), 'ik')],
    ['an unknown option', () => da.blockwise(mm, 'ij', x(), 'ij', { chunks: 2 })],
    ['an array without an index', () => da.blockwise(mm, 'ij', x(), null, y(), 'kj')],
    ['a bad adjustChunks', () => da.blockwise(mm, 'ij', x(), 'ij', { adjustChunks: { i: [1] } })],
    ['newAxes on an argument letter', () => da.blockwise(mm, 'ij', x(), 'ij', { newAxes: { i: 2 } })],
  ])('%s is ERR_BAD_OPTION at graph-building time', (_, f) => expect(code(f)).toBe('ERR_BAD_OPTION'));
  it('a letter with two lengths is ERR_SHAPE_MISMATCH naming both shapes', () => {
    let message = '';
    try { da.blockwise(mm, 'ij', x(), 'ik', x(), 'kj'); } catch (e) { message = (e as ShoalError).code + ' ' + (e as Error).message; }
    expect(message).toMatch(/^ERR_SHAPE_MISMATCH .*\(7, 5\).*\(7, 5\)/);
  });
});
