/**
 * A quick device benchmark for a worker that joins: one 256×256×256 matmul on
 * the GPU (after a small one that compiles the pipeline) and a plain JS
 * i-k-j matmul of 96×96×96 on the CPU, each repeated until it has run for a
 * few tens of milliseconds. Under a second in all, even on SwiftShader.
 *
 *   const { gflops, cpuMflops } = await measureDevice(gpu);
 */
import type { GpuDevice } from './device.ts';
import { matmul } from './kernels/matmul.ts';
import { matmulIkj } from './kernels/reference.ts';

export interface DeviceMeasurement {
  /** GPU matmul throughput, GFLOP/s (2·M·N·K per product, upload and readback included). */
  gflops: number;
  /** Plain JS matmul throughput on this thread, MFLOP/s. */
  cpuMflops: number;
  /** Milliseconds of one GPU product of the measured size. */
  gpuMs: number;
  /** Milliseconds of one CPU product. */
  cpuMs: number;
  /** The GPU product's size. */
  size: number;
}

export interface MeasureOptions {
  /** GPU matmul size. Default 256. */
  size?: number;
  /** CPU matmul size. Default 96. */
  cpuSize?: number;
  /** Keep repeating each part until it has run this long, ms. Default 50. */
  minMs?: number;
  /** But no more than this many repetitions. Default 8. */
  maxReps?: number;
}

function randomMatrix(n: number): Float32Array {
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = Math.random() - 0.5;
  return m;
}

async function timeRepeated(run: () => unknown, minMs: number, maxReps: number): Promise<number> {
  let reps = 0;
  const started = performance.now();
  do {
    await run();
    reps++;
  } while (reps < maxReps && performance.now() - started < minMs);
  return (performance.now() - started) / reps;
}

export async function measureDevice(gpu: GpuDevice, options: MeasureOptions = {}): Promise<DeviceMeasurement> {
  const size = options.size ?? 256;
  const cpuSize = options.cpuSize ?? 96;
  const minMs = options.minMs ?? 50;
  const maxReps = options.maxReps ?? 8;
  const a = randomMatrix(size * size);
  const b = randomMatrix(size * size);
  await matmul(gpu, a.subarray(0, 32 * 32), b.subarray(0, 32 * 32), 32, 32, 32);
  const gpuMs = await timeRepeated(() => matmul(gpu, a, b, size, size, size), minMs, maxReps);
  const ca = a.subarray(0, cpuSize * cpuSize);
  const cb = b.subarray(0, cpuSize * cpuSize);
  matmulIkj(ca, cb, cpuSize, cpuSize, cpuSize);
  const cpuMs = await timeRepeated(() => matmulIkj(ca, cb, cpuSize, cpuSize, cpuSize), minMs, maxReps * 4);
  const flop = (n: number): number => 2 * n * n * n;
  return { gflops: flop(size) / (gpuMs * 1e6), cpuMflops: flop(cpuSize) / (cpuMs * 1e3), gpuMs, cpuMs, size };
}
