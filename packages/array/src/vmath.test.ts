import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { buildRegion } from './codegen.ts';
import { localArrays } from './index.ts';
import { assembleVmath, vmathWasmModule } from './rngAssemble.ts';
import { VMATH_GLOBAL } from './vmath.ts';
import { VMATH_WASM_BASE64 } from './vmathWasm.ts';

const da = localArrays();
const g = globalThis as Record<string, unknown>;
interface Vmath { memory: WebAssembly.Memory; vexp(p: number, n: number): void; vsin(p: number, n: number): void; vcos(p: number, n: number): void }
const vm = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(VMATH_WASM_BASE64, 'base64')), { m: { exp: Math.exp, sin: Math.sin, cos: Math.cos } }).exports as unknown as Vmath;

/** Distance in units in the last place (0 for equal values, NaN and NaN, or +0 and +0). */
const bits = new Float64Array(2), ints = new BigInt64Array(bits.buffer);
function ulps(a: number, b: number): number {
  if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  bits[0] = a; bits[1] = b;
  const [x, y] = [ints[0]!, ints[1]!].map((v) => (v < 0n ? -0x8000000000000000n - v : v));
  const d = x! - y!;
  return Number(d < 0n ? -d : d);
}
/** Each function over `xs` in vmath.wat, against Math.*: the largest ulp distance. */
function worst(xs: number[] | Float64Array): Record<'exp' | 'sin' | 'cos', number> {
  const need = xs.length * 8 + 16;
  if (vm.memory.buffer.byteLength < need) vm.memory.grow(Math.ceil((need - vm.memory.buffer.byteLength) / 65536));
  const out = { exp: 0, sin: 0, cos: 0 };
  for (const f of ['exp', 'sin', 'cos'] as const) {
    const row = new Float64Array(vm.memory.buffer, 0, xs.length);
    row.set(xs);
    vm[`v${f}`](0, xs.length);
    for (let i = 0; i < xs.length; i++) out[f] = Math.max(out[f], ulps(row[i]!, Math[f](xs[i]!)));
  }
  return out;
}
/** A reproducible spread over [lo, hi). */
const spread = (n: number, lo: number, hi: number) => Float64Array.from({ length: n }, (_, i) => lo + (hi - lo) * ((i * 0.6180339887498949) % 1));

describe('vmath.wat', () => {
  afterEach(() => void delete g[VMATH_GLOBAL]);

  it('assembles to exactly the bytes committed in vmathWasm.ts (regenerate: npx tsx packages/array/scripts/assemble-gemm.ts)', async () => {
    const bytes = await assembleVmath();
    expect(Buffer.from(bytes).toString('base64')).toBe(VMATH_WASM_BASE64);
    expect(readFileSync(new URL('./vmathWasm.ts', import.meta.url), 'utf8')).toBe(vmathWasmModule(bytes));
  });

  it('is within 1 ulp of Math.exp, Math.sin and Math.cos in every range (odd row lengths, so the last lane pair is half spare)', () => {
    for (const [lo, hi] of [[-1e-9, 1e-9], [-1, 1], [1, Math.sqrt(3)], [-10, 10], [-1000, 1000], [-7.9e5, 7.9e5], [-699, 699]] as const) {
      const w = worst(spread(200_001, lo, hi));
      expect(w.exp).toBeLessThanOrEqual(1);
      expect(w.sin).toBeLessThanOrEqual(1);
      expect(w.cos).toBeLessThanOrEqual(1);
    }
  });

  it('near multiples of pi/2 (cancellation), and at the edges: NaN, infinities, signed zeros, overflow, huge arguments', () => {
    const near = [1, 2, 3, 4, 7, 100, 355, 1e4, 1e5, 5e5].flatMap((n) => [n * Math.PI / 2, (n * Math.PI / 2) * (1 + Number.EPSILON), -n * Math.PI / 2]);
    const edges = [NaN, Infinity, -Infinity, 0, -0, 5e-324, -1e-300, 700, -700, 709.7, 710, -745, -746, 8e5, -8e5, 1e300, 355, 103993, 104348, 208341, 3.141592653589793, 1.5707963267948966];
    const w = worst([...near, ...edges]);
    expect(Math.max(w.exp, w.sin, w.cos)).toBeLessThanOrEqual(1);
    const zeros = new Float64Array(vm.memory.buffer, 0, 2);
    zeros.set([-0, 0]);
    vm.vsin(0, 2);
    expect(Object.is(zeros[0], -0) && Object.is(zeros[1], 0)).toBe(true);
  });

  it('fused chains through vmath agree with the same chain over Math.* (and with vmath missing, equal it exactly)', async () => {
    const x = da.random.random([37, 53], { chunks: [10, 20], seed: 3 });
    // One chain that crosses three vmath rows, reuses a temporary after them (a carry row) and reduces.
    const y = x.mul(2).add(1).sqrt();
    const z = y.sin().abs().exp().add(y).mul(x.cos());
    const k = (await z.compute()) as { data: Float64Array };
    const data = (await x.compute()) as { data: Float64Array };
    const want = Array.from(data.data, (v) => {
      const s = Math.sqrt(v * 2 + 1);
      return (Math.exp(Math.abs(Math.sin(s))) + s) * Math.cos(v);
    });
    for (let i = 0; i < want.length; i++) expect(Math.abs(k.data[i]! - want[i]!)).toBeLessThanOrEqual(4 * Number.EPSILON * Math.abs(want[i]!));
    // The same kernel with vmath marked missing runs Math.* over the rows: exactly the per-element reference.
    const f = new Function(`return (${buildRegion(z.node).source});`)() as (p: unknown, ins: unknown[]) => Float64Array;
    g[VMATH_GLOBAL] = null;
    const js = f({ off: [0, 0], ext: [37, 53] }, []);
    expect(Array.from(js)).toEqual(want);
    // Reductions: std of the chain on rows of odd length.
    const s = await x.mul(2).add(1).sqrt().sin().abs().exp().std().compute();
    const m = want.length;
    const e = Array.from(data.data, (v) => Math.exp(Math.abs(Math.sin(Math.sqrt(v * 2 + 1)))));
    const mean = e.reduce((p, q) => p + q, 0) / m;
    expect(s as number).toBeCloseTo(Math.sqrt(e.reduce((p, q) => p + (q - mean) ** 2, 0) / m), 12);
  });
});
