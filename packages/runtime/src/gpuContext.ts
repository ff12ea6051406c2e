/**
 * `ctx.gpu`: WebGPU compute for a task, on the Web Worker's own device
 * (acquired on first use, acquired again after a loss). It is null on a
 * worker that offers no GPU, which is how a task with `gpu: 'prefer'`
 * chooses its CPU fallback:
 *
 *   const c = ctx.gpu ? await ctx.gpu.matmul(a, b, M, N, K) : cpuMatmul(a, b, M, N, K);
 *
 * Each call delegates to @shoal/gpu's `createTaskGpu` over the current
 * shared device; only `info` is known up front (from the worker's
 * capabilities), so acquiring the device waits for the first kernel.
 * A lost device fails the task with ERR_GPU_LOST (the coordinator retries
 * it); a shader that does not compile fails with ERR_GPU_SHADER.
 */
import { createTaskGpu, sharedDevice, type TaskGpu as BoundTaskGpu } from '@shoal/gpu';
import type { GpuInfo } from '@shoal/protocol';

export type TaskGpu = Omit<BoundTaskGpu, 'info' | 'limits'> & { readonly info: GpuInfo };

export function createLazyTaskGpu(info: GpuInfo, label: string): TaskGpu {
  const bound = async (): Promise<BoundTaskGpu> => createTaskGpu(await sharedDevice({ label }));
  return {
    info,
    run: async (spec) => (await bound()).run(spec),
    map: async (expr, ...arrays) => (await bound()).map(expr, ...arrays),
    reduce: async (op, array) => (await bound()).reduce(op, array),
    matmul: async (a, b, M, N, K) => (await bound()).matmul(a, b, M, N, K),
    scan: async (array) => (await bound()).scan(array),
  };
}
