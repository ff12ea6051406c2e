/**
 * A worker's speed, measured once when it joins: a short matmul on its GPU
 * (if it offers one) and a short JS matmul on the CPU, well under a second
 * even on SwiftShader. The coordinator shows the figures in the worker list.
 * `?bench=0` in the join link skips it; a software adapter is not measured
 * (workerRuntime.ts says why).
 */
// @shoal/gpu is loaded when the measurement runs, not with the page: a tab that joins with `bench=0` never needs it.

export interface DeviceSpeed {
  gflops: number | null;
  cpuMflops: number;
}

export async function measureSpeed(withGpu: boolean): Promise<DeviceSpeed> {
  const { matmulIkj, measureDevice, sharedDevice } = await import('@shoal/gpu');
  if (withGpu) {
    try {
      const result = await measureDevice(await sharedDevice({ label: 'shoal.bench' }), { minMs: 30, maxReps: 4 });
      return { gflops: result.gflops, cpuMflops: result.cpuMflops };
    } catch {
      // no usable device after all: report the CPU alone
    }
  }
  return { gflops: null, cpuMflops: cpuMflops(matmulIkj) };
}

function cpuMflops(matmulIkj: typeof import('@shoal/gpu').matmulIkj): number {
  const n = 96;
  const a = new Float32Array(n * n).fill(0.5);
  const b = new Float32Array(n * n).fill(0.25);
  let reps = 0;
  const started = performance.now();
  do {
    matmulIkj(a, b, n, n, n);
    reps += 1;
  } while (reps < 8 && performance.now() - started < 30);
  const ms = (performance.now() - started) / reps;
  return (2 * n * n * n) / (ms * 1000);
}
