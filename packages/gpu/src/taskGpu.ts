/**
 * `ctx.gpu`: what a task sees of the GPU. The same kernels as the package,
 * with the device already bound, so task code (which cannot import) needs
 * nothing else:
 *
 *   const c = await ctx.gpu.matmul(a, b, M, N, K);
 *   const y = await ctx.gpu.map('a * b + 1.0', a, b);
 *   const s = await ctx.gpu.reduce('sum', y);
 *   const offsets = await ctx.gpu.scan(counts);
 *   const { out } = await ctx.gpu.run({ wgsl, workgroupSize, dispatch, inputs, outputs, uniforms });
 *   ctx.gpu.info;   // { vendor, architecture, device, description, isFallback }
 *
 * The runtime makes one per task with `createTaskGpu(await sharedDevice())`.
 */
import type { GpuArray, KernelInput } from './arrays.ts';
import type { GpuAdapterInfo, GpuDevice, GpuLimits } from './device.ts';
import { runKernel, type KernelOutputs, type KernelSpec } from './kernel.ts';
import { map } from './kernels/map.ts';
import { matmul } from './kernels/matmul.ts';
import { reduce, type ReduceOp } from './kernels/reduce.ts';
import { scan } from './kernels/scan.ts';

export interface TaskGpu {
  readonly info: GpuAdapterInfo;
  readonly limits: GpuLimits;
  /** C = A × B, row-major f32: A is M×K, B is K×N. */
  matmul(a: KernelInput, b: KernelInput, M: number, N: number, K: number): Promise<Float32Array>;
  /** An elementwise WGSL expression over arrays named a, b, c, ... (also `i`, `n`). */
  map(expr: string, ...arrays: KernelInput[]): Promise<Float32Array>;
  reduce(op: ReduceOp, array: KernelInput): Promise<number>;
  /** Exclusive prefix sum; the result has the input's element type (u32, i32 or f32). */
  scan(array: KernelInput): Promise<GpuArray>;
  /** A WGSL kernel of your own; see runKernel for the binding convention. */
  run(spec: KernelSpec): Promise<KernelOutputs>;
}

export function createTaskGpu(gpu: GpuDevice): TaskGpu {
  return Object.freeze({
    info: Object.freeze({ ...gpu.info }),
    limits: Object.freeze({ ...gpu.limits }),
    matmul: (a: KernelInput, b: KernelInput, M: number, N: number, K: number) => matmul(gpu, a, b, M, N, K),
    map: (expr: string, ...arrays: KernelInput[]) => map(gpu, expr, ...arrays),
    reduce: (op: ReduceOp, array: KernelInput) => reduce(gpu, op, array),
    scan: (array: KernelInput) => scan(gpu, array),
    run: (spec: KernelSpec) => runKernel(gpu, spec),
  });
}
