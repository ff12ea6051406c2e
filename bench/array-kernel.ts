/**
 * The matmul block kernel alone, on one core in Node: the plain JS kernel
 * (kernels.ts matmulBlock) against gemm.wat's two modules, WebAssembly SIMD
 * and relaxed SIMD (fused multiply-add: what Chromium's workers run; Node 20
 * needs a V8 flag for it, set here), and NumPy/OpenBLAS on one thread in the
 * same run for scale. The shipped task function is timed too (it picks the
 * relaxed module where it validates).
 *
 *   npx tsx bench/array-kernel.ts [--n 1000] [--reps 3] [--no-numpy]
 *
 * Prints GFLOP/s (2·M·N·K / seconds) of the best of --reps runs per kernel.
 */
import { spawnSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { GEMM_BLOCKING, matmulWasmBlock, matmulWasmSource } from '../packages/array/src/gemm.ts';
import { GEMM_RELAXED_WASM_BASE64, GEMM_WASM_BASE64 } from '../packages/array/src/gemmWasm.ts';
import { matmulBlock } from '../packages/array/src/kernels.ts';
import { flag } from './common.ts';

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const n = arg('--n', 1000);
const reps = arg('--reps', 3);
const flops = 2 * n ** 3;

type Kernel = (as: ArrayLike<number>[], bs: ArrayLike<number>[], M: number, N: number, ks: number[], ctor: string, trans: null) => ArrayLike<number> | Promise<ArrayLike<number>>;
setFlagsFromString('--experimental-wasm-relaxed-simd');
const shipped = new Function(`return (${matmulWasmSource()});`)() as Kernel;
const only = (key: string, base64: string): Kernel => (as, bs, M, N, ks, ctor, trans) =>
  matmulWasmBlock(as, bs, M, N, ks, ctor, trans, { key, modules: [base64], blocking: GEMM_BLOCKING }, () => {
    throw new Error(`${key} did not instantiate`);
  });
const simd = only('__benchSimd', GEMM_WASM_BASE64);
const relaxed = only('__benchRelaxed', GEMM_RELAXED_WASM_BASE64);

async function best(kernel: Kernel, ctor: string): Promise<number> {
  const a = Float64Array.from({ length: n * n }, (_, i) => Math.sin(i)), b = Float64Array.from({ length: n * n }, (_, i) => Math.cos(i));
  const C = ctor === 'Float32Array' ? Float32Array : Float64Array;
  const [x, y] = [C.from(a), C.from(b)];
  await kernel([x], [y], n, n, [n], ctor, null); // warm-up (and the module's instantiation)
  let ms = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await kernel([x], [y], n, n, [n], ctor, null);
    ms = Math.min(ms, performance.now() - t0);
  }
  return flops / (ms / 1000) / 1e9;
}

function numpy(dtype: string): number | undefined {
  const code = `import numpy as np, time
a = np.sin(np.arange(${n * n})).reshape(${n}, ${n}).astype(np.${dtype}); b = np.cos(np.arange(${n * n})).reshape(${n}, ${n}).astype(np.${dtype})
a @ b
best = min((lambda t: (a @ b, time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(${reps}))
print(${flops} / best / 1e9)`;
  const run = spawnSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' } });
  return run.status === 0 ? Number(run.stdout.trim()) : undefined;
}

console.log(`matmul block kernel, ${n} × ${n} · ${n} × ${n}, one core, best of ${reps} (GFLOP/s)`);
console.log('dtype     JS kernel   WASM SIMD   relaxed SIMD   shipped task   best/JS   NumPy (OpenBLAS, 1 thread)');
for (const [ctor, dtype] of [['Float32Array', 'float32'], ['Float64Array', 'float64']] as const) {
  const js = await best(matmulBlock, ctor);
  const plain = await best(simd, ctor);
  const fma = await best(relaxed, ctor);
  const task = await best(shipped, ctor);
  const np = flag('--no-numpy') ? undefined : numpy(dtype);
  const cell = (x: number, w: number) => x.toFixed(2).padStart(w);
  console.log(`${dtype.padEnd(9)} ${cell(js, 9)}   ${cell(plain, 9)}   ${cell(fma, 12)}   ${cell(task, 12)}   ${(Math.max(plain, fma, task) / js).toFixed(1).padStart(6)}×   ${np === undefined ? '—' : np.toFixed(2)}`);
}
