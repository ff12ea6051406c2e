/**
 * The CPU matmul block kernel: gemm.wat (WebAssembly SIMD, packed panels,
 * register tiles) behind a self-contained task function.
 *
 * `matmulWasmBlock` ships as source text like every kernel (execute.ts), with
 * the modules' bytes (base64) and the plain JS kernel (`matmulBlock`, the
 * fallback) written into that source. A module is instantiated lazily, once
 * per Web Worker (the promise is kept on `globalThis` under a key naming the
 * bytes' hash), and reused by every later task there: the relaxed-SIMD one
 * (fused multiply-add) where it validates, else the plain SIMD one; where
 * neither instantiates the worker remembers that and uses the JS kernel.
 *
 * One call computes one output block: C = Σ_k A_k · B_k, the partial products
 * summed inside the module's memory (C stays there between the k blocks), so
 * no partial block is ever made. float32 accumulates in float32, as BLAS's
 * sgemm does (the JS fallback accumulates in float64, so the two differ in
 * the last bits); float64 in float64.
 */
import { GEMM_RELAXED_WASM_BASE64, GEMM_WASM_BASE64 } from './gemmWasm.ts';
import { matmulBlock } from './kernels.ts';

/** Rows of A and the inner dimension per packed slice (tuned with bench/array-kernel.ts, see the README). */
export const GEMM_BLOCKING = { f32: { mc: 128, kc: 256 }, f64: { mc: 64, kc: 256 } } as const;

interface GemmExports {
  memory: WebAssembly.Memory;
  gemm_f32: (...args: number[]) => void;
  gemm_f64: (...args: number[]) => void;
}

/**
 * One output block (M × N) from a row of A's blocks and a column of B's.
 * `trans[k]` (optional) says A_k / B_k arrive transposed (stored K × M, or
 * N × K, row-major): the packing reads them through swapped strides.
 * Self-contained: uses nothing from outside its body but its arguments.
 */
export async function matmulWasmBlock(
  as: ArrayLike<number>[], bs: ArrayLike<number>[], M: number, N: number, ks: number[], ctor: string,
  trans: { a: boolean; b: boolean } | null,
  wasm: { key: string; modules: string[]; blocking: { f32: { mc: number; kc: number }; f64: { mc: number; kc: number } } },
  fallback: (as: ArrayLike<number>[], bs: ArrayLike<number>[], M: number, N: number, ks: number[], ctor: string) => ArrayLike<number>,
): Promise<ArrayLike<number>> {
  const g = globalThis as unknown as Record<string, Promise<GemmExports | null> | undefined>;
  let loading = g[wasm.key];
  if (loading === undefined) {
    // The first module (in order of preference) that validates here.
    const all = wasm.modules.map((b64) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0)));
    const bytes = all.find((b) => WebAssembly.validate(b));
    loading = bytes === undefined ? Promise.resolve(null) : WebAssembly.instantiate(bytes).then((r) => r.instance.exports as unknown as GemmExports, () => null);
    g[wasm.key] = loading;
  }
  const gemm = await loading;
  if (gemm === null || M * N === 0) {
    // No WebAssembly SIMD here: the JS kernel, on row-major copies of any transposed operand.
    if (trans === null || (!trans.a && !trans.b)) return fallback(as, bs, M, N, ks, ctor);
    // Inline callbacks, no named inner functions: kernels ship as source, and some bundlers wrap named ones in helpers.
    const rowMajor = [as, bs].map((list, which) => list.map((x, k) => {
      if (which === 0 ? !trans.a : !trans.b) return x;
      const rows = which === 0 ? M : ks[k]!, cols = which === 0 ? ks[k]! : N;
      const out = new Float64Array(rows * cols); // x holds the cols × rows transpose
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = x[j * rows + i]!;
      return out;
    }));
    return fallback(rowMajor[0]!, rowMajor[1]!, M, N, ks, ctor);
  }

  const f32 = ctor === 'Float32Array';
  const size = f32 ? 4 : 8, MR = 4, NR = f32 ? 8 : 4;
  const { mc: MC, kc: KC } = f32 ? wasm.blocking.f32 : wasm.blocking.f64;
  const Mp = Math.ceil(M / MR) * MR, Np = Math.ceil(N / NR) * NR;
  const maxK = Math.max(0, ...ks);
  // Module memory: C (padded) | packed A | packed B | A_k | B_k, each on a 64-byte line.
  const cOff = 0;
  const apOff = Math.ceil((cOff + Mp * Np * size) / 64) * 64;
  const bpOff = Math.ceil((apOff + MC * KC * size) / 64) * 64;
  const aOff = Math.ceil((bpOff + Np * KC * size) / 64) * 64;
  const bOff = Math.ceil((aOff + M * maxK * size) / 64) * 64;
  const end = Math.ceil((bOff + maxK * N * size) / 64) * 64;
  const memory = gemm.memory;
  if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  const buf = memory.buffer;
  const View = f32 ? Float32Array : Float64Array;
  const c = new View(buf, cOff, Mp * Np);
  c.fill(0);
  const run = f32 ? gemm.gemm_f32 : gemm.gemm_f64;
  for (let blk = 0; blk < as.length; blk++) {
    const K = ks[blk]!;
    if (K === 0) continue;
    new View(buf, aOff, M * K).set(as[blk]!);
    new View(buf, bOff, K * N).set(bs[blk]!);
    const ta = trans !== null && trans.a, tb = trans !== null && trans.b;
    run(M, N, K,
      aOff, ta ? size : K * size, ta ? M * size : size,
      bOff, tb ? size : N * size, tb ? K * size : size,
      cOff, Np * size, apOff, bpOff, MC, KC);
  }
  const Out = f32 ? Float32Array : Float64Array;
  if (Np === N) return Out.from(c.subarray(0, M * N));
  const out = new Out(M * N);
  for (let i = 0; i < M; i++) out.set(c.subarray(i * Np, i * Np + N), i * N);
  return out;
}

/** The bytes' hash, naming the instance kept on each worker's globalThis. */
function keyOf(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return `__shoalArrayGemm_${(h >>> 0).toString(16)}`;
}

/** The task function's source: `(as, bs, M, N, ks, ctor, trans) => block` (trans: `{a, b}` or null), self-contained. */
export function matmulWasmSource(): string {
  const wasm = { key: keyOf(GEMM_RELAXED_WASM_BASE64 + GEMM_WASM_BASE64), modules: [GEMM_RELAXED_WASM_BASE64, GEMM_WASM_BASE64], blocking: GEMM_BLOCKING };
  return `async function matmul(as, bs, M, N, ks, ctor, trans) {
  const run = (${matmulWasmBlock.toString()});
  return run(as, bs, M, N, ks, ctor, trans || null, ${JSON.stringify(wasm)}, (${matmulBlock.toString()}));
}`;
}
