/**
 * `ctx.gpu`: WebGPU compute for a task, on the Web Worker's own device
 * (acquired on first use, acquired again after a loss). It is null on a
 * worker that offers no GPU, which is how a task with `gpu: 'prefer'`
 * chooses its CPU fallback:
 *
 *   const c = ctx.gpu ? await ctx.gpu.matmul(a, b, M, N, K) : cpuMatmul(a, b, M, N, K);
 *
 * A lost device fails the task with ERR_GPU_LOST (the coordinator retries it
 * elsewhere); a shader that does not compile fails with ERR_GPU_SHADER.
 */
import { map, matmul, reduce, runKernel, scan, sharedDevice, type GpuArray, type GpuDevice, type KernelInput, type KernelOutputs, type KernelSpec, type ReduceOp } from '@shoal/gpu';
import type { GpuInfo } from '@shoal/protocol';

export interface TaskGpu {
  /** The adapter, as the worker reported it (`isFallback` for SwiftShader and other software adapters). */
  readonly info: GpuInfo;
  /** Runs a user WGSL compute kernel (see @shoal/gpu's runKernel for the binding convention). */
  run(spec: KernelSpec): Promise<KernelOutputs>;
  /** Elementwise: a WGSL expression over f32 arrays named a, b, c, … (e.g. 'a * b + 1.0'). */
  map(expr: string, ...arrays: KernelInput[]): Promise<Float32Array>;
  reduce(op: ReduceOp, array: KernelInput): Promise<number>;
  /** fp32 row-major `a` (M×K) times `b` (K×N). */
  matmul(a: KernelInput, b: KernelInput, M: number, N: number, K: number): Promise<Float32Array>;
  /** Exclusive prefix sum. */
  scan(array: KernelInput): Promise<GpuArray>;
}

export function createTaskGpu(info: GpuInfo, label: string): TaskGpu {
  const device = (): Promise<GpuDevice> => sharedDevice({ label });
  return {
    info,
    run: async (spec) => runKernel(await device(), spec),
    map: async (expr, ...arrays) => map(await device(), expr, ...arrays),
    reduce: async (op, array) => reduce(await device(), op, array),
    matmul: async (a, b, M, N, K) => matmul(await device(), a, b, M, N, K),
    scan: async (array) => scan(await device(), array),
  };
}
