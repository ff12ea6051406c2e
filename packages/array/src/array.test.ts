import { describe, expect, it } from 'vitest';
import { ShoalError } from '@shoal/protocol';
import { localArrays, type ShoalArray } from './index.ts';
import { uniformAt, normalAt, randomKeys, specializedSource } from './random.ts';
import { broadcast, close, fromFn, reduceRef, REDUCERS, type Dense } from './testRefs.ts';

const da = localArrays();
const data = async (x: ShoalArray) => {
  const r = await x.compute();
  return typeof r === 'number' ? { data: [r], shape: [] as number[] } : { data: Array.from(r.data), shape: r.shape };
};
/** A deterministic test matrix with negatives and repeats. */
const A: Dense = fromFn([7, 5], (i, j) => ((i * 13 + j * 7) % 11) - 4 + j / 8);
const aOf = (chunks: number[]) => da.fromArray(Float64Array.from(A.data), A.shape, { chunks });

describe('random', () => {
  it('gives the same numbers under any chunking, and different numbers for another seed', async () => {
    const a = await data(da.random.random([13, 9], { chunks: [4, 5], seed: 42 }));
    const b = await data(da.random.random([13, 9], { chunks: [13, 2], seed: 42 }));
    const c = await data(da.random.random([13, 9], { chunks: [5, 5], seed: 43 }));
    expect(a.data).toEqual(b.data);
    expect(a.data).not.toEqual(c.data);
    expect(a.data).toEqual(Array.from({ length: 117 }, (_, i) => uniformAt(randomKeys(42), i)));
  });
  it('the specialized kernel generator matches the reference at indices past 2^32', () => {
    for (const dist of ['uniform', 'normal'] as const) {
      const f = new Function(`return ${specializedSource('g', dist, 7)}`)() as (i: number) => number;
      for (const i of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 1e10 - 1]) expect(f(i)).toBe((dist === 'uniform' ? uniformAt : normalAt)(randomKeys(7), i));
    }
  });
  it('is uniform in [0, 1) and normal(0, 1) by its first two moments', () => {
    const k = randomKeys(1);
    const n = 200_000;
    let s = 0, s2 = 0, z = 0, z2 = 0, lo = 1, hi = 0;
    for (let i = 0; i < n; i++) {
      const u = uniformAt(k, 2 ** 33 + i);
      s += u; s2 += u * u; lo = Math.min(lo, u); hi = Math.max(hi, u);
      const g = normalAt(k, i);
      z += g; z2 += g * g;
    }
    expect(Math.abs(s / n - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(s2 / n - (s / n) ** 2 - 1 / 12)).toBeLessThan(0.002);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(Math.abs(z / n)).toBeLessThan(0.01);
    expect(Math.abs(z2 / n - 1)).toBeLessThan(0.02);
  });
});

describe('creation', () => {
  const cases: [string, () => ShoalArray, Dense][] = [
    ['zeros', () => da.zeros([3, 4], { chunks: 2 }), fromFn([3, 4], () => 0)],
    ['full', () => da.full([5], 2.5, { chunks: 2 }), fromFn([5], () => 2.5)],
    ['arange', () => da.arange(2, 11, 3, { chunks: 2 }), fromFn([3], (i) => 2 + 3 * i)],
    ['linspace', () => da.linspace(0, 1, 5, { chunks: 2 }), fromFn([5], (i) => i / 4)],
    ['eye k=1', () => da.eye(4, { M: 5, k: 1, chunks: 3 }), fromFn([4, 5], (i, j) => (i + 1 === j ? 1 : 0))],
    ['fromFunction', () => da.fromFunction((i, j) => i * 10 + j, [3, 4], { chunks: [2, 3] }), fromFn([3, 4], (i, j) => i * 10 + j)],
    ['fromArray', () => aOf([3, 2]), A],
  ];
  it.each(cases)('%s', async (_name, make, expected) => {
    expect(await data(make())).toEqual({ data: expected.data, shape: expected.shape });
  });
  it('arange of whole numbers is int32, as NumPy', () => expect(da.arange(5).dtype).toBe('int32'));
});

describe('elementwise with broadcasting', () => {
  const col = fromFn([7, 1], (i) => i - 3);
  const row = fromFn([5], (j) => j * 0.5 + 1);
  const colA = () => da.fromArray(Float64Array.from(col.data), [7, 1], { chunks: [2, 1] });
  const rowA = () => da.fromArray(Float64Array.from(row.data), [5], { chunks: [3] });
  const cases: [string, () => ShoalArray, Dense][] = [
    ['a + col', () => aOf([3, 2]).add(colA()), broadcast((a, b) => a + b, A, col)],
    ['a * row (chunks differ)', () => aOf([4, 4]).mul(rowA()), broadcast((a, b) => a * b, A, row)],
    ['col - row → 7x5', () => colA().sub(rowA()), broadcast((a, b) => a - b, col, row)],
    ['scalars', () => aOf([3, 2]).mul(2).add(1).div(4), broadcast((a) => (a * 2 + 1) / 4, A)],
    ['unary chain', () => aOf([3, 3]).abs().add(1).log().sqrt().exp(), broadcast((a) => Math.exp(Math.sqrt(Math.log(Math.abs(a) + 1))), A)],
    ['trig', () => aOf([3, 3]).sin().add(aOf([2, 5]).cos()).tanh(), broadcast((a) => Math.tanh(Math.sin(a) + Math.cos(a)), A)],
    ['pow, neg', () => aOf([3, 3]).pow(2).neg(), broadcast((a) => -(a ** 2), A)],
    ['maximum, minimum', () => da.maximum(aOf([3, 3]), rowA()).minimum(2), broadcast((a, b) => Math.min(Math.max(a, b), 2), A, row)],
    ['where', () => da.where(aOf([3, 3]).greater(0), aOf([2, 2]), colA()), broadcast((a, c) => (a > 0 ? a : c), A, col)],
    ['comparisons', () => aOf([3, 3]).lessEqual(rowA()).astype('int32').add(aOf([3, 3]).equal(0)), broadcast((a, b) => Number(a <= b) + Number(a === 0), A, row)],
    ['x + x.T on a square', () => { const x = da.fromArray(Float64Array.from(fromFn([5, 5], (i, j) => i * 5 + j).data), [5, 5], { chunks: [2, 3] }); return x.add(x.T); }, fromFn([5, 5], (i, j) => i * 5 + j + j * 5 + i)],
    ['random + its transpose', () => { const x = da.random.random([4, 4], { chunks: 3, seed: 3 }); return x.add(x.T).sub(x.add(x.T)); }, fromFn([4, 4], () => 0)],
  ];
  it.each(cases)('%s', async (_name, make, expected) => {
    const got = await data(make());
    expect(got.shape).toEqual(expected.shape);
    expect(close(got.data, expected.data)).toBe(true);
  });
});

describe('reductions', () => {
  const ops = ['sum', 'prod', 'mean', 'min', 'max', 'var', 'std', 'argmin', 'argmax', 'any', 'all'] as const;
  const axesCases: (number | number[] | null)[] = [null, 0, 1, [0, 1]];
  for (const op of ops) {
    for (const axis of axesCases) {
      if ((op === 'argmin' || op === 'argmax') && Array.isArray(axis)) continue;
      it(`${op} axis=${JSON.stringify(axis)} (uneven blocks, a tree with splitEvery 2), keepdims both ways`, async () => {
        const axes = axis === null ? [0, 1] : typeof axis === 'number' ? [axis] : axis;
        for (const keepdims of [false, true]) {
          const x = aOf([2, 2]).mul(0.5);
          const ref = reduceRef(broadcast((a) => a * 0.5, A), axes, REDUCERS[op]!, keepdims);
          const expected = op === 'argmin' || op === 'argmax' ? flatArg(op, broadcast((a) => a * 0.5, A), axis as number | null, keepdims) : ref;
          const got = await data((x[op] as (o: object) => ShoalArray)({ axis, keepdims, splitEvery: 2 }));
          expect(got.shape).toEqual(expected.shape);
          expect(close(got.data, expected.data, 1e-9)).toBe(true);
        }
      });
    }
  }
  it('a fused random → elementwise → mean runs one task per block plus the tree', () => {
    const x = da.random.random([100, 100], { chunks: [10, 10], seed: 1 }).mul(2).add(1).mean({ splitEvery: 10 });
    const graph = x.plan();
    const names = graph.tasks.map((t) => t.name);
    expect(names.filter((n) => n === 'random·mul·add·mean')).toHaveLength(100);
    expect(names.filter((n) => n === 'mean-combine')).toHaveLength(10);
    expect(names.filter((n) => n === 'mean')).toHaveLength(1);
    // The fused kernel allocates no block: it folds into one accumulator.
    const kernel = graph.kernels[graph.tasks[0]!.kernel]!;
    expect(kernel).not.toMatch(/new Float64Array\(e0/);
    expect(x.explain()).toMatch(/unfused: about 400 tasks/);
    expect(x.explain()).toMatch(/random·mul·add·mean: 100 tasks, 4 ops fused/);
  });
  it('mean of a large random array is near 0.5, var near 1/12', async () => {
    const x = da.random.random([300, 200], { chunks: [64, 70], seed: 5 });
    expect(Math.abs(((await x.mean().compute()) as number) - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(((await x.var().compute()) as number) - 1 / 12)).toBeLessThan(0.003);
  });
  it('var is stable for data far from zero (the shifted sums do not cancel)', async () => {
    const x = da.random.random([50, 40], { chunks: [7, 9], seed: 2 }).add(1e9);
    const v = (await x.var().compute()) as number;
    expect(Math.abs(v - 1 / 12)).toBeLessThan(0.01);
  });
});

function flatArg(op: 'argmin' | 'argmax', a: Dense, axis: number | null, keepdims: boolean): Dense {
  if (axis === null) {
    const v = REDUCERS[op]!(a.data);
    return { data: [v], shape: keepdims ? [1, 1] : [] };
  }
  return reduceRef(a, [axis], REDUCERS[op]!, keepdims);
}

describe('shape ops', () => {
  it('slicing with steps, negative steps and an index', async () => {
    const x = aOf([3, 2]);
    expect(await data(x.slice([1, 6, 2], [null, null, -2]))).toEqual({ shape: [3, 3], data: [1, 3, 5].flatMap((i) => [4, 2, 0].map((j) => A.data[i * 5 + j]!)) });
    expect(await data(x.slice(2))).toEqual({ shape: [5], data: A.data.slice(10, 15) });
    expect(await data(x.slice(null, -1))).toEqual({ shape: [7], data: [0, 1, 2, 3, 4, 5, 6].map((i) => A.data[i * 5 + 4]!) });
  });
  it('culls: a slice of a big array plans only the blocks it needs', () => {
    const x = da.random.random([10000, 10000], { chunks: [100, 100], seed: 1 }).add(1).slice([0, 150], [250, 260]);
    const graph = x.plan();
    expect(graph.tasks.filter((t) => t.name === 'random·add')).toHaveLength(2);
  });
  it('rechunk, concatenate, stack, transpose', async () => {
    const x = aOf([3, 2]);
    expect(await data(x.rechunk([2, -1]))).toEqual({ shape: [7, 5], data: A.data });
    const c = await data(da.concatenate([x, aOf([7, 5]).mul(2)], 1));
    expect(c.shape).toEqual([7, 10]);
    expect(c.data).toEqual(fromFn([7, 10], (i, j) => (j < 5 ? A.data[i * 5 + j]! : 2 * A.data[i * 5 + j - 5]!)).data);
    const s = await data(da.stack([x, x.add(1)], 1));
    expect(s.shape).toEqual([7, 2, 5]);
    expect(s.data).toEqual(fromFn([7, 2, 5], (i, k, j) => A.data[i * 5 + j]! + k).data);
    const t = await data(x.transpose());
    expect(t.data).toEqual(fromFn([5, 7], (i, j) => A.data[j * 5 + i]!).data);
  });
  it('matmul of non-square, unevenly chunked arrays (inner chunks differ)', async () => {
    const B = fromFn([5, 3], (i, j) => i - j * 2 + 0.25);
    const b = da.fromArray(Float64Array.from(B.data), [5, 3], { chunks: [3, 2] });
    const got = await data(aOf([3, 2]).matmul(b));
    const expected = fromFn([7, 3], (i, j) => [0, 1, 2, 3, 4].reduce((s, k) => s + A.data[i * 5 + k]! * B.data[k * 3 + j]!, 0));
    expect(got.shape).toEqual([7, 3]);
    expect(close(got.data, expected.data)).toBe(true);
  });
  it('blockwise over two arrays with different blocks (the second is rechunked to the first)', async () => {
    const got = await data(da.blockwise((a: Float64Array, b: Float64Array) => a.map((v, i) => v - b[i]!), [aOf([3, 2]), aOf([4, 4]).mul(2)]));
    expect(close(got.data, A.data.map((v) => -v))).toBe(true);
  });
  it('mapBlocks runs user code per block', async () => {
    const got = await data(aOf([3, 2]).mapBlocks((b: Float64Array) => b.map((v) => v * 3)));
    expect(close(got.data, A.data.map((v) => v * 3))).toBe(true);
  });
});

describe('dtypes follow NumPy', () => {
  const i32 = (values: number[]) => da.fromArray(Int32Array.from(values), [values.length], { chunks: 2 });
  it.each([
    ['int32 + int32', () => i32([1]).add(i32([2])), 'int32'],
    ['int32 + 1 (weak int scalar)', () => i32([1]).add(1), 'int32'],
    ['int32 + 1.5', () => i32([1]).add(1.5), 'float64'],
    ['int32 / int32', () => i32([1]).div(i32([2])), 'float64'],
    ['float32 + int32', () => i32([1]).astype('float32').add(i32([1])), 'float64'],
    ['float32 * 2.5', () => i32([1]).astype('float32').mul(2.5), 'float32'],
    ['uint8 + int32', () => i32([1]).astype('uint8').add(i32([1])), 'int32'],
    ['bool + 1', () => i32([1]).greater(0).add(1), 'int32'],
    ['sqrt(int32)', () => i32([4]).sqrt(), 'float64'],
    ['sum(int32)', () => i32([4]).sum(), 'float64'],
    ['mean(float32)', () => i32([4]).astype('float32').mean(), 'float32'],
    ['argmax', () => i32([4]).argmax(), 'int32'],
    ['less', () => i32([4]).less(2), 'bool'],
  ] as const)('%s → %s', (_n, make, dtype) => expect(make().dtype).toBe(dtype));
  it('int32 wraps on overflow, uint8 modulo 256', async () => {
    expect((await data(i32([2147483647, -2147483648, 65536]).add(1).mul(i32([1, 1, 65536])))).data).toEqual([-2147483648, -2147483647, 65537 * 65536 | 0]);
    expect((await data(i32([250, 3]).astype('uint8').add(10))).data).toEqual([4, 13]);
  });
  it('float32 rounds after each op', async () => {
    const got = await data(da.full([2], 0.1, { dtype: 'float32' }).add(0.2));
    expect(got.data[0]).toBe(Math.fround(Math.fround(0.1) + Math.fround(0.2)));
  });
});

describe('errors come at graph-building time', () => {
  const code = (fn: () => unknown) => {
    try { fn(); } catch (e) { return [(e as ShoalError).code, (e as Error).message]; }
    return null;
  };
  it('ERR_SHAPE_MISMATCH names both shapes', () => {
    const [c, m] = code(() => da.zeros([3, 4]).add(da.zeros([5]))) as string[];
    expect(c).toBe('ERR_SHAPE_MISMATCH');
    expect(m).toContain('(3, 4)');
    expect(m).toContain('(5,)');
    expect(code(() => da.zeros([3, 4]).matmul(da.zeros([3, 4])))![0]).toBe('ERR_SHAPE_MISMATCH');
  });
  it.each([
    ['chunks of 0', () => da.zeros([3], { chunks: 0 })],
    ['chunks that do not add up', () => da.zeros([3, 4], { chunks: [[1, 1], [4]] })],
    ['chunks for the wrong number of axes', () => da.zeros([3, 4], { chunks: [2] })],
    ['axis out of range', () => da.zeros([3, 4]).sum({ axis: 2 })],
    ['negative axis out of range', () => da.zeros([3, 4]).sum({ axis: -3 })],
    ['unknown option', () => da.zeros([3], { chunk: 2 } as object)],
    ['bad dtype', () => da.zeros([3], { dtype: 'int64' as 'int32' })],
    ['bad seed', () => da.random.random([3], { seed: -1 })],
    ['argmin over two axes', () => da.zeros([3, 4]).argmin({ axis: [0, 1] as unknown as number })],
    ['bad splitEvery', () => da.zeros([3]).sum({ splitEvery: 1 })],
  ])('%s → ERR_BAD_OPTION', (_n, fn) => expect(code(fn)![0]).toBe('ERR_BAD_OPTION'));
});

describe('reshape', () => {
  it.each([
    [[35], undefined],
    [[5, 7], undefined],
    [[5, -1], [2, 3]],
    [[1, 35, 1], undefined],
  ] as const)('%j (chunks %j) keeps C order', async (shape, chunks) => {
    const x = aOf([3, 2]).reshape([...shape], chunks ? { chunks: [...chunks] } : {});
    const got = await data(x);
    expect(got.data).toEqual(A.data);
    expect(got.shape).toEqual(shape.map((n) => (n === -1 ? 7 : n)));
  });
  it('refuses a shape of another size', () => {
    expect(() => aOf([3, 2]).reshape([6, 6])).toThrow(/cannot reshape an array of shape \(7, 5\)/);
  });
});

describe('matmul kernel', () => {
  it.each([[9, 11, 6, [5, 6]], [1, 4, 1, [4]], [8, 13, 7, [4, 4, 5]]] as const)('%i×%i · %i×… with inner blocks %j matches the plain triple loop', async (M, K, N, kChunks) => {
    const a = fromFn([M, K], (i, k) => Math.sin(i * 3 + k));
    const b = fromFn([K, N], (k, j) => Math.cos(k * 2 - j));
    const x = da.fromArray(Float64Array.from(a.data), [M, K], { chunks: [[M], [...kChunks]] });
    const y = da.fromArray(Float64Array.from(b.data), [K, N], { chunks: [[...kChunks], [N]] });
    const want = fromFn([M, N], (i, j) => Array.from({ length: K }, (_, k) => a.data[i * K + k]! * b.data[k * N + j]!).reduce((s, v) => s + v, 0));
    expect(close((await data(x.matmul(y))).data, want.data, 1e-12)).toBe(true);
    const f32 = await data(x.astype('float32').matmul(y.astype('float32')));
    expect(close(f32.data, want.data, 1e-5)).toBe(true);
  });
});

describe('the GPU form of fused regions', () => {
  it('float32 chains (and whole-block sum/mean/min/max) get a WGSL kernel; float64, int and other reductions do not', () => {
    const f32 = da.random.random([100, 100], { chunks: 50, dtype: 'float32', seed: 1 });
    const gpuTasks = (x: ShoalArray) => x.plan().tasks.filter((t) => t.gpu).length;
    expect(gpuTasks(f32.mul(2).add(1).sqrt())).toBe(4);
    expect(gpuTasks(f32.mul(2).mean())).toBe(4);
    expect(gpuTasks(f32.mul(2).sum({ axis: 0 }))).toBe(0);
    expect(gpuTasks(f32.mul(2).std())).toBe(0);
    expect(gpuTasks(da.random.random([100, 100], { chunks: 50, seed: 1 }).mul(2))).toBe(0);
    expect(f32.mul(2).plan({ gpu: 'off' }).tasks.filter((t) => t.gpu)).toHaveLength(0);
    const wgsl = f32.mul(2).plan().kernels[f32.mul(2).plan().tasks[0]!.kernel]!;
    expect(wgsl).toContain('@compute @workgroup_size(256)');
    expect(wgsl).toContain('ctx.gpu');
  });
  it('without a GPU the same task runs its JS kernel and gives the CPU result', async () => {
    const x = da.random.normal([37, 23], { chunks: [10, 7], dtype: 'float32', seed: 4 }).mul(3).add(da.arange(23, { dtype: 'float32' }));
    expect(await data(x)).toEqual(await data(x.rechunk([37, 23])));
    const m = (await x.mean().compute()) as number;
    expect(m).toBeCloseTo(((await x.mean().compute({ gpu: 'off' })) as number), 5);
  });
});

describe('float32 matmul has a GPU form', () => {
  it('is placed with gpu: prefer, and without a GPU gives the JS kernel result', async () => {
    const x = da.random.random([9, 7], { chunks: [4, 3], seed: 1, dtype: 'float32' });
    const y = da.random.random([7, 5], { chunks: [3, 5], seed: 2, dtype: 'float32' });
    expect(x.matmul(y).plan().tasks.filter((t) => t.name === 'matmul' && t.gpu)).toHaveLength(3);
    expect(x.matmul(y).plan({ gpu: 'off' }).tasks.filter((t) => t.gpu)).toHaveLength(0);
    expect(await data(x.matmul(y))).toEqual(await data(x.matmul(y).rechunk([9, 5])));
  });
});
