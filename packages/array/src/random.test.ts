import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { buildRegion } from './codegen.ts';
import { localArrays } from './index.ts';
import { normalAt, randomKeys, RNG_GLOBAL, uniformAt } from './random.ts';
import { assembleRng, rngWasmModule } from './rngAssemble.ts';
import { RNG_WASM_BASE64 } from './rngWasm.ts';

const da = localArrays();
const g = globalThis as Record<string, unknown>;
type Kernel = (p: { off: number[]; ext: number[] }, ins: unknown[]) => ArrayLike<number>;
const kernel = (x: { node: Parameters<typeof buildRegion>[0] }) => new Function(`return (${buildRegion(x.node).source});`)() as Kernel;

/** Runs `fn` with rng.wat loaded (the default here), then again with it marked missing (the JS generator). */
function bothWays(fn: () => ArrayLike<number>): { wasm: number[]; js: number[] } {
  delete g[RNG_GLOBAL];
  const wasm = Array.from(fn());
  expect(g[RNG_GLOBAL]).not.toBeNull(); // it really loaded
  g[RNG_GLOBAL] = null;
  const js = Array.from(fn());
  delete g[RNG_GLOBAL];
  return { wasm, js };
}

describe('rng.wat', () => {
  afterEach(() => void delete g[RNG_GLOBAL]);

  it('assembles to exactly the bytes committed in rngWasm.ts (regenerate: npx tsx packages/array/scripts/assemble-gemm.ts)', async () => {
    const bytes = await assembleRng();
    expect(Buffer.from(bytes).toString('base64')).toBe(RNG_WASM_BASE64);
    expect(readFileSync(new URL('./rngWasm.ts', import.meta.url), 'utf8')).toBe(rngWasmModule(bytes));
    expect(WebAssembly.validate(Buffer.from(bytes))).toBe(true);
  });

  it('draws rows bit for bit as the JS generator, across the 2^32 index boundary, odd row lengths', () => {
    const n = 2 ** 31 + 10; // row 1 holds global indices 2^31 + 10 … 2^32 + 19
    for (const dist of ['uniform', 'normal'] as const) {
      const x = dist === 'uniform' ? da.random.random([2, n], { seed: 9, chunks: [1, 2 ** 20] }) : da.random.normal([2, n], { seed: 9, chunks: [1, 2 ** 20] });
      const f = kernel(x);
      for (const ext of [1, 3, 4, 5, 47]) {
        const off = [1, 2 ** 31 - 29];
        const { wasm, js } = bothWays(() => f({ off, ext: [1, ext] }, []));
        const want = Array.from({ length: ext }, (_, j) => (dist === 'uniform' ? uniformAt : normalAt)(randomKeys(9), n + off[1]! + j));
        expect(wasm).toEqual(want);
        expect(js).toEqual(want);
      }
    }
  });

  it('draws transposed reads (a row along a strided axis) and x + x.T exactly', () => {
    const n = 2 ** 31 + 3;
    const x = da.random.random([n, 2], { seed: 4, chunks: [2 ** 20, 2] });
    const f = kernel(x.T); // element (i, j) of x.T is index j * 2 + i
    const off = [1, 2 ** 31 - 6];
    const { wasm, js } = bothWays(() => f({ off, ext: [1, 9] }, []));
    const want = Array.from({ length: 9 }, (_, j) => uniformAt(randomKeys(4), (off[1]! + j) * 2 + 1));
    expect(wasm).toEqual(want);
    expect(js).toEqual(want);

    const y = da.random.random([7, 7], { seed: 5, chunks: 3 });
    const s = kernel(y.add(y.T).mul(0.5));
    const k = randomKeys(5);
    const { wasm: w2, js: j2 } = bothWays(() => s({ off: [2, 3], ext: [5, 4] }, []));
    const ref = Array.from({ length: 20 }, (_, f) => {
      const i = 2 + Math.floor(f / 4), j = 3 + (f % 4);
      return (uniformAt(k, i * 7 + j) + uniformAt(k, j * 7 + i)) * 0.5;
    });
    expect(w2).toEqual(ref);
    expect(j2).toEqual(ref);
  });

  it('random(...).sum()/mean() sums rows inside rng.wat (odd row lengths, indices past 2^32) to the reference within rounding', () => {
    const n = 2 ** 31 + 7;
    const x = da.random.random([3, n], { seed: 21, chunks: [3, 2 ** 20] });
    const k = randomKeys(21);
    const region = buildRegion(x.node, { op: 'sum', axes: [0, 1] });
    expect(region.source).toContain('uniform_sum');
    const f = new Function(`return (${region.source});`)() as (p: unknown, ins: unknown[]) => number[];
    const off = [1, 2 ** 31 - 500], ext = [2, 1003];
    let want = 0;
    for (let i = 0; i < ext[0]!; i++) for (let j = 0; j < ext[1]!; j++) want += uniformAt(k, (off[0]! + i) * n + off[1]! + j);
    const { wasm, js } = bothWays(() => f({ off, ext }, []));
    expect(Math.abs(wasm[0]! - want)).toBeLessThan(1e-12 * want);
    expect(js[0]).toBe(want); // the JS generator adds one at a time, as the reference
  });

  it('keeps scaled, float32 and broadcast draws exact through the row buffers', async () => {
    const a = da.random.uniform(-2, 3, [5, 6], { seed: 11, chunks: [2, 4], dtype: 'float32' });
    const got = (await a.compute()) as { data: Float32Array };
    const k = randomKeys(11);
    expect(Array.from(got.data)).toEqual(Array.from({ length: 30 }, (_, i) => Math.fround(-2 + 5 * uniformAt(k, i))));
    // A 1-d random array broadcast along rows: each row reads the same 6 values.
    const b = da.random.random([6], { seed: 12, chunks: 4 }).add(da.zeros([3, 6], { chunks: [2, 5] }));
    const bd = (await b.compute()) as { data: Float64Array };
    expect(Array.from(bd.data)).toEqual(Array.from({ length: 18 }, (_, i) => uniformAt(randomKeys(12), i % 6)));
    // Broadcast along the innermost axis: a column vector, every row one value (step 0).
    const c = da.random.random([3, 1], { seed: 13 }).add(da.zeros([3, 5]));
    const cd = (await c.compute()) as { data: Float64Array };
    expect(Array.from(cd.data)).toEqual(Array.from({ length: 15 }, (_, i) => uniformAt(randomKeys(13), Math.floor(i / 5))));
  });
});
