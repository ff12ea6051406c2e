/**
 * `reduce(gpu, op, array)`: sum, min, max or mean of an f32 array, as a tree
 * reduction in workgroup shared memory (reduce.wgsl). Each pass folds 4096
 * elements into one; passes repeat, in one submission, until one is left
 * (1M elements: 245 → 1, two passes). Sums add in a balanced tree, so their
 * error grows with log n: over 1M elements within 1e-4 relative of a float64
 * sum (tests check it). `mean` is the GPU sum divided by n in float64.
 * An empty array gives 0 for sum, NaN for the others. CPU reference: `reduceReference`.
 */
import { ShoalError } from '@shoal/protocol';
import { toF32, type KernelInput } from '../arrays.ts';
import type { GpuDevice } from '../device.ts';
import { Submission, grid1d } from '../submission.ts';
import code from './reduce.wgsl?raw';

export type ReduceOp = 'sum' | 'min' | 'max' | 'mean';
export const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'min', 'max', 'mean'];

/** Elements one workgroup folds per pass (256 threads × 16). */
export const REDUCE_PER_GROUP = 4096;

const OP_CODE: Record<ReduceOp, number> = { sum: 0, mean: 0, min: 1, max: 2 };

/** Element counts after each pass for `n` inputs: 1_000_000 → [245, 1]. */
export function reducePasses(n: number): number[] {
  const counts: number[] = [];
  let remaining = n;
  do {
    remaining = Math.ceil(remaining / REDUCE_PER_GROUP);
    counts.push(remaining);
  } while (remaining > 1);
  return counts;
}

export async function reduce(gpu: GpuDevice, op: ReduceOp, array: KernelInput): Promise<number> {
  if (!REDUCE_OPS.includes(op)) throw new ShoalError('ERR_BAD_OPTION', `reduce() op must be one of ${REDUCE_OPS.join(', ')}, got ${JSON.stringify(op)}`);
  const data = toF32(array, 'array');
  const n = data.length;
  if (n === 0) return op === 'sum' ? 0 : NaN;
  return gpu.run(async () => {
    const pipeline = await gpu.pipelines.get({
      label: `shoal.reduce.${op === 'mean' ? 'sum' : op}`,
      code,
      entryPoint: 'main',
      constants: { OP: OP_CODE[op] },
      bindings: ['read-only-storage', 'storage'],
    });
    const sub = new Submission(gpu, `shoal.reduce.${op}`);
    try {
      let src = sub.upload(data, 'input');
      reducePasses(n).forEach((count, pass) => {
        const dst = sub.output(count * 4, `partials${pass}`, false);
        sub.dispatch(pipeline, [src, dst], grid1d(count, gpu.limits.maxComputeWorkgroupsPerDimension), `pass${pass}`);
        src = dst;
      });
      const [bytes] = await sub.finish([{ ...src, bytes: 4 }]);
      const value = new Float32Array(bytes!)[0]!;
      return op === 'mean' ? value / n : value;
    } catch (error) {
      sub.discard();
      throw error;
    }
  });
}
