/**
 * `scan(gpu, array)`: exclusive prefix sum of a u32, i32 or f32 array
 * (out[0] = 0, out[i] = in[0] + ... + in[i-1]), work-efficient and
 * multi-level: scan.wgsl scans 2048-element blocks (8 elements a thread)
 * and writes each block's total; the totals are scanned the same way
 * (recursively, until one block is left), then scanAdd.wgsl adds each
 * block's offset back, level by level. All passes go in one submission.
 * u32/i32 results are exact (they wrap mod 2^32, as `scanReference` does);
 * f32 ones are rounded per addition.
 */
import { toGpuArray, viewArray, type GpuArray, type KernelInput, type ScalarType } from '../arrays.ts';
import type { GpuDevice } from '../device.ts';
import { Submission, grid1d, type Binding } from '../submission.ts';
import scanCode from './scan.wgsl?raw';
import addCode from './scanAdd.wgsl?raw';

/** Elements per block (256 threads × 8). */
export const SCAN_BLOCK = 2048;

/** Lengths of each level: the input, its block totals, theirs, ... down to one block. 1_000_000 → [1000000, 489]. */
export function scanLevels(n: number): number[] {
  const levels = [n];
  while (levels[levels.length - 1]! > SCAN_BLOCK) levels.push(Math.ceil(levels[levels.length - 1]! / SCAN_BLOCK));
  return levels;
}

export async function scan<T extends KernelInput>(gpu: GpuDevice, array: T): Promise<GpuArray> {
  const { type, data } = toGpuArray(array, 'array');
  const n = data.length;
  if (n === 0) return viewArray(type, new ArrayBuffer(0), 0);
  return gpu.run(async () => {
    const alias = `alias T = ${type};\n`;
    const [scanPipeline, addPipeline] = await Promise.all([
      gpu.pipelines.get({ label: `shoal.scan.${type}`, code: alias + scanCode, entryPoint: 'main', bindings: ['read-only-storage', 'storage', 'storage'], preludeLines: 1 }),
      gpu.pipelines.get({ label: `shoal.scanAdd.${type}`, code: alias + addCode, entryPoint: 'main', bindings: ['storage', 'read-only-storage'], preludeLines: 1 }),
    ]);
    const sub = new Submission(gpu, `shoal.scan.${type}`);
    const maxGroups = gpu.limits.maxComputeWorkgroupsPerDimension;
    try {
      const levels = scanLevels(n);
      // Level l scans `source` into `scanned[l]` and writes its block totals, the source of level l + 1.
      let source: Binding = sub.upload(data, 'input');
      const scanned: Binding[] = [];
      levels.forEach((length, level) => {
        const blocks = Math.ceil(length / SCAN_BLOCK);
        const out = sub.output(length * 4, `scanned${level}`, false);
        const totals = sub.output(blocks * 4, `totals${level}`, false);
        sub.dispatch(scanPipeline, [source, out, totals], grid1d(blocks, maxGroups), `scan${level}`);
        scanned.push(out);
        source = totals;
      });
      for (let level = levels.length - 2; level >= 0; level--) {
        const groups = Math.ceil(levels[level]! / 256);
        sub.dispatch(addPipeline, [scanned[level]!, scanned[level + 1]!], grid1d(groups, maxGroups), `add${level}`);
      }
      const [bytes] = await sub.finish([{ ...scanned[0]!, bytes: n * 4 }]);
      return viewArray(type as ScalarType, bytes!, n);
    } catch (error) {
      sub.discard();
      throw error;
    }
  });
}
