import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { GEMM_BLOCKING, matmulWasmBlock, matmulWasmSource } from './gemm.ts';
import { assembleGemm, gemmWasmModule, MADD_SITES, relaxedText, WAT_PATH } from './gemmAssemble.ts';
import { GEMM_RELAXED_WASM_BASE64, GEMM_WASM_BASE64 } from './gemmWasm.ts';
import { localArrays } from './index.ts';
import { matmulBlock } from './kernels.ts';

type Kernel = (as: ArrayLike<number>[], bs: ArrayLike<number>[], M: number, N: number, ks: number[], ctor: string, trans: { a: boolean; b: boolean } | null) => Promise<ArrayLike<number>>;
/** The task function exactly as it ships: compiled from its source text alone. */
const shipped = new Function(`return (${matmulWasmSource()});`)() as Kernel;
const refuse = (): never => {
  throw new Error('the JS fallback ran, not the WASM kernel');
};

/** Deterministic values with a spread of magnitudes and signs. */
const values = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * (1 + (i % 5)));
const transposed = (x: number[], rows: number, cols: number) => Array.from({ length: x.length }, (_, f) => x[(f % rows) * cols + Math.floor(f / rows)]!);

function maxError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
  return e;
}

describe('gemm.wat', () => {
  it('assembles to exactly the bytes committed in gemmWasm.ts (regenerate: npx tsx packages/array/scripts/assemble-gemm.ts)', async () => {
    const bytes = await assembleGemm();
    expect(Buffer.from(bytes.plain).toString('base64')).toBe(GEMM_WASM_BASE64);
    expect(Buffer.from(bytes.relaxed).toString('base64')).toBe(GEMM_RELAXED_WASM_BASE64);
    expect(readFileSync(new URL('./gemmWasm.ts', import.meta.url), 'utf8')).toBe(gemmWasmModule(bytes));
  });
  it('is valid WebAssembly with SIMD here', () => {
    expect(WebAssembly.validate(Buffer.from(GEMM_WASM_BASE64, 'base64'))).toBe(true);
  });
  it('the relaxed module differs only in its multiply-adds (every update of both micro-kernels)', () => {
    const relaxed = relaxedText(readFileSync(WAT_PATH, 'utf8'));
    expect(relaxed.sites).toBe(MADD_SITES);
    expect(relaxed.text.match(/x[24]\.relaxed_madd \(/g)).toHaveLength(MADD_SITES);
    expect(relaxed.text).not.toMatch(/x[24]\.mul/);
  });
});

describe('the WASM SIMD matmul kernel agrees with the JS kernel', () => {
  const { f32, f64 } = GEMM_BLOCKING;
  // Odd sizes around the tiles (4 × 8, 4 × 4) and the packed slices (MC rows, KC inner), 1 × n, n × 1, several inner blocks, an empty one.
  const cases: [string, number, number, number[]][] = [
    ['1 × n', 1, 37, [19]],
    ['n × 1', 41, 1, [23]],
    ['1 × 1 · inner 1', 1, 1, [1]],
    ['tiles not filled', 5, 9, [7]],
    ['rows past MC, inner past KC', Math.max(f32.mc, f64.mc) + 3, 13, [Math.max(f32.kc, f64.kc) + 5]],
    ['several inner blocks, one empty', 11, 10, [6, 0, 300, 1]],
  ];
  for (const ctor of ['Float32Array', 'Float64Array'] as const) {
    const Ctor = ctor === 'Float32Array' ? Float32Array : Float64Array;
    const tol = ctor === 'Float32Array' ? 1e-4 : 1e-12; // float32 sums of a few hundred products, relative to 1 + |value|
    it.each(cases)(`${ctor}: %s (%i × %i, inner blocks %j), plain and with transposed operands`, async (_, M, N, ks) => {
      const as = ks.map((K, k) => values(M * K, k));
      const bs = ks.map((K, k) => values(K * N, 10 + k));
      const want = matmulBlock(as.map((a) => Ctor.from(a)), bs.map((b) => Ctor.from(b)), M, N, ks, ctor);
      const got = await shipped(as.map((a) => Ctor.from(a)), bs.map((b) => Ctor.from(b)), M, N, ks, ctor, null);
      expect(got).toBeInstanceOf(Ctor);
      expect(maxError(got, want)).toBeLessThan(tol);
      // Aᵀ stored K × M, Bᵀ stored N × K: the same product.
      const at = as.map((a, k) => Ctor.from(transposed(a, M, ks[k]!)));
      const bt = bs.map((b, k) => Ctor.from(transposed(b, ks[k]!, N)));
      for (const trans of [{ a: true, b: false }, { a: false, b: true }, { a: true, b: true }]) {
        const x = await shipped(trans.a ? at : as.map((a) => Ctor.from(a)), trans.b ? bt : bs.map((b) => Ctor.from(b)), M, N, ks, ctor, trans);
        expect(maxError(x, want), JSON.stringify(trans)).toBeLessThan(tol);
      }
    });
  }
  it('really runs in WebAssembly (the fallback is never called), and float64 is exact on integers', async () => {
    const wasm = { key: '__gemmTestKey', modules: [GEMM_WASM_BASE64], blocking: GEMM_BLOCKING };
    const M = 13, N = 17, K = 300;
    const a = Float64Array.from({ length: M * K }, (_, i) => (i % 7) - 3), b = Float64Array.from({ length: K * N }, (_, i) => (i % 5) - 2);
    const got = await matmulWasmBlock([a], [b], M, N, [K], 'Float64Array', null, wasm, refuse);
    expect(Array.from(got)).toEqual(Array.from(matmulBlock([a], [b], M, N, [K], 'Float64Array')));
    // A larger block after a smaller one grows the module's memory; a smaller one after it reuses it.
    const big = await matmulWasmBlock([new Float64Array(300 * 400).fill(1)], [new Float64Array(400 * 200).fill(0.5)], 300, 200, [400], 'Float64Array', null, wasm, refuse);
    expect(big.length).toBe(300 * 200);
    expect(Array.from(new Set(Array.from(big)))).toEqual([200]);
    expect(Array.from(await matmulWasmBlock([a], [b], M, N, [K], 'Float64Array', null, wasm, refuse))).toEqual(Array.from(got));
  });
  it('the relaxed-SIMD module (fused multiply-add, what Chromium runs) agrees too, on odd shapes and transposed operands', async () => {
    // Node 20 has relaxed SIMD behind a flag; V8 reads it when it validates a module.
    setFlagsFromString('--experimental-wasm-relaxed-simd');
    expect(WebAssembly.validate(Buffer.from(GEMM_RELAXED_WASM_BASE64, 'base64'))).toBe(true);
    const wasm = { key: '__gemmTestRelaxed', modules: [GEMM_RELAXED_WASM_BASE64], blocking: GEMM_BLOCKING };
    for (const [ctor, Ctor, tol] of [['Float32Array', Float32Array, 1e-4], ['Float64Array', Float64Array, 1e-12]] as const) {
      for (const [M, N, ks] of [[1, 37, [19]], [41, 1, [23]], [131, 13, [261, 7]], [5, 9, [7]]] as [number, number, number[]][]) {
        const as = ks.map((K, k) => values(M * K, k)), bs = ks.map((K, k) => values(K * N, 10 + k));
        const want = matmulBlock(as.map((a) => Ctor.from(a)), bs.map((b) => Ctor.from(b)), M, N, ks, ctor);
        const trans = { a: true, b: true };
        const got = await matmulWasmBlock(as.map((a, k) => Ctor.from(transposed(a, M, ks[k]!))), bs.map((b, k) => Ctor.from(transposed(b, ks[k]!, N))), M, N, ks, ctor, trans, wasm, refuse);
        expect(maxError(got, want), `${ctor} ${M}×${N} ${JSON.stringify(ks)}`).toBeLessThan(tol);
        expect(maxError(await matmulWasmBlock(as.map((a) => Ctor.from(a)), bs.map((b) => Ctor.from(b)), M, N, ks, ctor, null, wasm, refuse), want)).toBeLessThan(tol);
      }
    }
  });
  it('falls back to the JS kernel (transposing on the way) where the module cannot be instantiated', async () => {
    const broken = { key: '__gemmTestBroken', modules: [btoa('not wasm')], blocking: GEMM_BLOCKING };
    const M = 3, N = 2, K = 4;
    const a = values(M * K, 1), b = values(K * N, 2);
    const want = matmulBlock([Float64Array.from(a)], [Float64Array.from(b)], M, N, [K], 'Float64Array');
    expect(await matmulWasmBlock([Float64Array.from(a)], [Float64Array.from(b)], M, N, [K], 'Float64Array', null, broken, matmulBlock)).toEqual(want);
    const flipped = await matmulWasmBlock([Float64Array.from(transposed(a, M, K))], [Float64Array.from(transposed(b, K, N))], M, N, [K], 'Float64Array', { a: true, b: true }, broken, matmulBlock);
    expect(Array.from(flipped)).toEqual(Array.from(want));
  });
});

describe('matmul planning', () => {
  const da = localArrays();
  it('reads the transpose of materialized blocks directly (no copy task), with the same result', async () => {
    const x = da.fromArray(Float64Array.from(values(9 * 7, 3)), [9, 7], { chunks: [4, 3] });
    const y = da.fromArray(Float64Array.from(values(5 * 9, 4)), [5, 9], { chunks: [2, 4] });
    const product = x.T.matmul(y.T); // 7 × 9 · 9 × 5
    const plan = product.plan({ gpu: 'off' });
    expect(plan.tasks.every((t) => t.name === 'matmul')).toBe(true);
    expect(plan.tasks.every((t) => JSON.stringify(t.args[6]) === '{"a":true,"b":true}')).toBe(true);
    const got = await product.compute({ gpu: 'off' });
    const copied = await x.T.rechunk([3, 4]).matmul(y.T.rechunk([4, 2])).compute({ gpu: 'off' });
    expect(typeof got === 'number' ? got : maxError(got.data, typeof copied === 'number' ? [] : copied.data)).toBeLessThan(1e-12);
    expect(typeof got === 'number' ? null : got.shape).toEqual([7, 5]);
  });
  it('a transposed fused region is still computed as a block (nothing to read through)', () => {
    const r = da.random.random([6, 4], { chunks: 3, seed: 1 });
    expect(r.T.matmul(r).plan({ gpu: 'off' }).tasks.some((t) => t.name !== 'matmul')).toBe(true);
  });
});
