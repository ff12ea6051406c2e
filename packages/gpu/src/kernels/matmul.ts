/**
 * `matmul(gpu, a, b, M, N, K)`: C = A × B for row-major f32 matrices
 * (A: M×K, B: K×N, C: M×N), with matmul.wgsl: 32×32 tiles of C per
 * workgroup, a 4×4 register block per thread, vec4 loads through shared
 * memory. K and N that are not multiples of 4 are zero-padded here (one copy
 * of A and/or B) so that rows are vec4 aligned. CPU reference:
 * `matmulReference` (float64 accumulation); `matmulIkj` is the plain JS
 * loop the benchmark compares against.
 */
import { ShoalError } from '@shoal/protocol';
import { toF32, type KernelInput } from '../arrays.ts';
import type { GpuDevice } from '../device.ts';
import { Submission } from '../submission.ts';
import code from './matmul.wgsl?raw';

/** Rows and columns of C per workgroup. */
export const MATMUL_TILE = 32;

export function roundUp4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

/** Copies a rows×cols matrix into rows×paddedCols, zero-filled (no copy when equal). */
export function padColumns(matrix: Float32Array, rows: number, cols: number, paddedCols: number): Float32Array {
  if (paddedCols === cols) return matrix;
  const out = new Float32Array(rows * paddedCols);
  for (let r = 0; r < rows; r++) out.set(matrix.subarray(r * cols, (r + 1) * cols), r * paddedCols);
  return out;
}

/** Workgroups for an M×N result: `[ceil(N/32), ceil(M/32), 1]`. */
export function matmulDispatch(M: number, N: number): [number, number, number] {
  return [Math.ceil(N / MATMUL_TILE), Math.ceil(M / MATMUL_TILE), 1];
}

function checkDims(M: number, N: number, K: number, a: Float32Array, b: Float32Array): void {
  for (const [name, v] of [['M', M], ['N', N], ['K', K]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ShoalError('ERR_BAD_OPTION', `matmul() ${name} must be a whole number ≥ 1, got ${v}`);
  }
  if (a.length !== M * K) throw new ShoalError('ERR_BAD_OPTION', `matmul() a must have M×K = ${M * K} elements, got ${a.length}`);
  if (b.length !== K * N) throw new ShoalError('ERR_BAD_OPTION', `matmul() b must have K×N = ${K * N} elements, got ${b.length}`);
}

export async function matmul(gpu: GpuDevice, a: KernelInput, b: KernelInput, M: number, N: number, K: number): Promise<Float32Array> {
  const a32 = toF32(a, 'a');
  const b32 = toF32(b, 'b');
  checkDims(M, N, K, a32, b32);
  const K4 = roundUp4(K);
  const N4 = roundUp4(N);
  const [gx, gy] = matmulDispatch(M, N4);
  if (Math.max(gx, gy) > gpu.limits.maxComputeWorkgroupsPerDimension) {
    throw new ShoalError('ERR_BAD_OPTION', `matmul() of ${M}×${N} needs more than ${gpu.limits.maxComputeWorkgroupsPerDimension} workgroups in a dimension; split it into blocks`);
  }
  const largest = Math.max(M * K4, K4 * N4, M * N4) * 4;
  if (largest > gpu.limits.maxStorageBufferBindingSize) {
    throw new ShoalError('ERR_BAD_OPTION', `matmul() needs a ${largest}-byte buffer, over this device's binding limit of ${gpu.limits.maxStorageBufferBindingSize}; split it into blocks`);
  }
  return gpu.run(async () => {
    const pipeline = await gpu.pipelines.get({
      label: 'shoal.matmul',
      code,
      entryPoint: 'main',
      workgroupSize: [8, 8, 1],
      bindings: ['read-only-storage', 'read-only-storage', 'storage', 'uniform'],
    });
    const sub = new Submission(gpu, 'shoal.matmul');
    try {
      const aBuf = sub.upload(padColumns(a32, M, K, K4), 'a');
      const bBuf = sub.upload(padColumns(b32, K, N, N4), 'b');
      const cBuf = sub.output(M * N4 * 4, 'c', false);
      const dims = sub.uniform(new Uint32Array([M, N4, K4, 0]).buffer, 'dims');
      sub.dispatch(pipeline, [aBuf, bBuf, cBuf, dims], [gx, gy, 1], 'dispatch');
      const [bytes] = await sub.finish([{ ...cBuf, bytes: M * N4 * 4 }]);
      const c = new Float32Array(bytes!);
      if (N4 === N) return c;
      const out = new Float32Array(M * N);
      for (let r = 0; r < M; r++) out.set(c.subarray(r * N4, r * N4 + N), r * N);
      return out;
    } catch (error) {
      sub.discard();
      throw error;
    }
  });
}
