/**
 * What the GPU bench/test page can do, as plain functions of JSON-able
 * arguments: run each built-in kernel against its CPU reference, run a user
 * kernel, compile a broken shader, lose a device, and time matmuls. The page
 * (bench-gpu.ts) runs them in itself and in a dedicated Web Worker
 * (bench-gpu.worker.ts), the way tasks run.
 */
import { ShoalError, seededRandom } from '@shoal/protocol';
import {
  acquireDevice,
  createTaskGpu,
  map,
  mapReference,
  matmul,
  matmulIkj,
  matmulReference,
  maxRelativeError,
  measureDevice,
  reduce,
  reduceReference,
  runKernel,
  scaledError,
  scan,
  scanReference,
  sharedDevice,
  type KernelSpec,
  type ReduceOp,
  type ScalarType,
} from '@shoal/gpu';


function floats(n: number, seed: number, lo = 0, hi = 1): Float32Array {
  const next = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

/** A caught error as data: its ShoalError code (or name) and message. */
export interface CaughtError {
  code: string;
  message: string;
}

async function caught(work: () => Promise<unknown>): Promise<CaughtError | null> {
  try {
    await work();
    return null;
  } catch (error) {
    if (error instanceof ShoalError) return { code: error.code, message: error.message };
    return { code: error instanceof Error ? error.name : 'NonError', message: String(error) };
  }
}

/** A user kernel as JSON: inputs as `{type, values}`. */
export interface JsonKernelSpec extends Omit<KernelSpec, 'inputs'> {
  inputs?: Record<string, { type: ScalarType; values: number[] }>;
}

const ARRAY = { f32: Float32Array, u32: Uint32Array, i32: Int32Array } as const;

export const ops = {
  async info() {
    const gpu = await sharedDevice({ label: 'shoal.bench' });
    return { info: gpu.info, limits: gpu.limits, scope: (globalThis as { constructor: { name: string } }).constructor.name };
  },

  async reduce({ n, op, seed = 1 }: { n: number; op: ReduceOp; seed?: number }) {
    const gpu = await sharedDevice({ label: 'shoal.bench' });
    const data = floats(n, seed);
    const started = performance.now();
    const value = await reduce(gpu, op, data);
    const ms = performance.now() - started;
    const expected = reduceReference(op, data);
    // The naive sequential f32 sum, for contrast with the tree order.
    let naive = Math.fround(0);
    for (let i = 0; i < n; i++) naive = Math.fround(naive + data[i]!);
    return { value, expected, relError: Math.abs(value - expected) / Math.abs(expected), naiveRelError: Math.abs(naive - expected) / Math.abs(expected), ms };
  },

  async matmul({ M, N, K, seed = 2 }: { M: number; N: number; K: number; seed?: number }) {
    const gpu = await sharedDevice({ label: 'shoal.bench' });
    const a = floats(M * K, seed, -1, 1);
    const b = floats(K * N, seed + 1, -1, 1);
    const started = performance.now();
    const c = await matmul(gpu, a, b, M, N, K);
    const ms = performance.now() - started;
    const expected = matmulReference(a, b, M, N, K);
    // Inputs in [0, 1): no cancellation, so a per-entry relative error is meaningful too.
    const pa = floats(M * K, seed + 2);
    const pb = floats(K * N, seed + 3);
    const positive = maxRelativeError(await matmul(gpu, pa, pb, M, N, K), matmulReference(pa, pb, M, N, K));
    return { length: c.length, scaledError: scaledError(c, expected), positiveRelError: positive, ms };
  },

  async map({ n, seed = 3 }: { n: number; seed?: number }) {
    const gpu = await sharedDevice({ label: 'shoal.bench' });
    const a = floats(n, seed, -2, 2);
    const b = floats(n, seed + 1, -2, 2);
    const two = await map(gpu, 'a * b + 1.0', a, b);
    const one = await map(gpu, 'sqrt(abs(a)) + f32(i % 7u)', a);
    return {
      length: two.length,
      // a * b + 1 cancels near a * b = -1 (and the GPU may fuse it), so measure against the result's scale.
      scaledError: scaledError(two, mapReference((x, y) => x * y + 1, a, b)),
      relErrorIndexed: maxRelativeError(one, mapReference((x) => Math.sqrt(Math.abs(x)), a).map((v, i) => v + (i % 7))),
    };
  },

  async scan({ n, type, seed = 4 }: { n: number; type: 'u32' | 'f32'; seed?: number }) {
    const gpu = await sharedDevice({ label: 'shoal.bench' });
    const next = seededRandom(seed);
    const data = type === 'u32' ? Uint32Array.from({ length: n }, () => Math.floor(next() * 1000)) : floats(n, seed);
    const started = performance.now();
    const out = await scan(gpu, data);
    const ms = performance.now() - started;
    const expected = scanReference(data);
    let mismatches = 0;
    let first = -1;
    for (let i = 0; i < n; i++) {
      if (out[i] !== expected[i]) {
        mismatches++;
        if (first < 0) first = i;
      }
    }
    return { length: out.length, kind: out.constructor.name, mismatches, first, relError: type === 'f32' ? scaledError(out, expected) : 0, ms };
  },

  async kernel(spec: JsonKernelSpec) {
    const gpu = await sharedDevice({ label: 'shoal.bench' });
    const inputs = Object.fromEntries(Object.entries(spec.inputs ?? {}).map(([name, v]) => [name, ARRAY[v.type].from(v.values)]));
    const error = { value: null as CaughtError | null };
    let outputs: Record<string, number[]> = {};
    error.value = await caught(async () => {
      const result = await runKernel(gpu, { ...spec, inputs });
      outputs = Object.fromEntries(Object.entries(result).map(([name, array]) => [name, Array.from(array)]));
    });
    return { outputs, error: error.value };
  },

  /** A device destroyed while a matmul is in flight: that call, later calls, and a fresh device. */
  async lost() {
    const gpu = await acquireDevice({ label: 'shoal.bench.doomed' });
    const size = 256;
    const a = floats(size * size, 9);
    const inFlight = caught(() => matmul(gpu, a, a, size, size, size));
    await new Promise((resolve) => setTimeout(resolve, 5));
    gpu.destroy();
    const during = await inFlight;
    const after = await caught(() => reduce(gpu, 'sum', a));
    const again = await acquireDevice({ label: 'shoal.bench.again' });
    const sum = await reduce(again, 'sum', new Float32Array([1, 2, 3]));
    again.destroy();
    return { during, after, state: gpu.state, reacquiredSum: sum };
  },

  /** Times `reps` GPU matmuls of size³ after one untimed warm-up; ms each. */
  async benchMatmul({ size, reps }: { size: number; reps: number }) {
    const gpu = await sharedDevice({ label: 'shoal.bench' });
    const a = floats(size * size, 5, -1, 1);
    const b = floats(size * size, 6, -1, 1);
    const times: number[] = [];
    const warm = performance.now();
    await matmul(gpu, a, b, size, size, size);
    const warmMs = performance.now() - warm;
    for (let r = 0; r < reps; r++) {
      const started = performance.now();
      await matmul(gpu, a, b, size, size, size);
      times.push(performance.now() - started);
    }
    return { warmMs, times };
  },

  /**
   * Times a matmul kernel of your own with the built-in's bindings (A, B, C as
   * array<vec4<f32>>, dims {M, N, K, _pad} uniform; K and N multiples of 4):
   * `dispatch` workgroups, `reps` timed runs after a warm-up, checked against
   * the CPU reference. For trying kernel variants.
   */
  async timeMatmulKernel({ wgsl, size, dispatch, reps }: { wgsl: string; size: number; dispatch: number[]; reps: number }) {
    const gpu = await sharedDevice({ label: 'shoal.bench' });
    const a = floats(size * size, 5, -1, 1);
    const b = floats(size * size, 6, -1, 1);
    const spec: KernelSpec = {
      wgsl,
      declare: false,
      label: 'shoal.bench.variant',
      workgroupSize: [1],
      dispatch,
      inputs: { A: a, B: b },
      outputs: { C: { type: 'f32', length: size * size } },
      uniforms: { dims: { type: 'u32', value: [size, size, size, 0] } },
    };
    const first = await runKernel(gpu, spec);
    const error = scaledError(first['C']!, matmulReference(a, b, size, size, size));
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const started = performance.now();
      await runKernel(gpu, spec);
      times.push(performance.now() - started);
    }
    return { error, times };
  },

  /**
   * Runs an example job (ES module source) against a stand-in cluster in
   * this scope: each remote task is rebuilt from its source (so it must be
   * self-contained) and called with a context whose `gpu` is createTaskGpu().
   * Typed arrays in the result come back summarized.
   */
  async example({ source }: { source: string }) {
    const gpu = await sharedDevice({ label: 'shoal.bench' });
    const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    const job = (await import(/* @vite-ignore */ url)) as { default: (cluster: unknown) => Promise<unknown> };
    URL.revokeObjectURL(url);
    const ctx = { gpu: createTaskGpu(gpu), log: () => undefined, progress: () => undefined };
    const options: unknown[] = [];
    let tasks = 0;
    class Ref {
      constructor(readonly value: Promise<unknown>) {}
    }
    const resolve = (arg: unknown): unknown => (arg instanceof Ref ? arg.value : arg);
    const cluster = {
      put: (value: unknown) => new Ref(Promise.resolve(value)),
      get: (refs: Ref | Ref[]) => (Array.isArray(refs) ? Promise.all(refs.map((r) => r.value)) : refs.value),
      remote(fn: (...args: unknown[]) => unknown, opts?: unknown) {
        options.push(opts ?? null);
        const rebuilt = new Function(`return (${fn.toString()});`)() as (...args: unknown[]) => unknown;
        return (...args: unknown[]) => {
          tasks++;
          return new Ref(Promise.all(args.map(resolve)).then((values) => rebuilt(...values, ctx)));
        };
      },
    };
    const result = await job.default(cluster);
    return { result: summarize(result), options, tasks };
  },

  /** Times `reps` plain JS i-k-j matmuls of size³; ms each. */
  async cpuMatmul({ size, reps }: { size: number; reps: number }) {
    const a = floats(size * size, 7, -1, 1);
    const b = floats(size * size, 8, -1, 1);
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const started = performance.now();
      matmulIkj(a, b, size, size, size);
      times.push(performance.now() - started);
    }
    return { times };
  },

  async measure() {
    const gpu = await sharedDevice({ label: 'shoal.bench' });
    const started = performance.now();
    const result = await measureDevice(gpu);
    return { ...result, totalMs: performance.now() - started };
  },
};

/** JSON-able copy of a result: typed arrays become `{ typedArray, length, sum }`. */
function summarize(value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const array = value as unknown as ArrayLike<number>;
    let sum = 0;
    for (let i = 0; i < array.length; i++) sum += array[i]!;
    return { typedArray: value.constructor.name, length: array.length, sum };
  }
  if (Array.isArray(value)) return value.map(summarize);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, summarize(v)]));
  return value;
}

export type GpuOps = typeof ops;
export type GpuOpName = keyof GpuOps;

/** Runs an op by name; failures come back as `{error}` rather than a throw. */
export async function runOp(name: string, args: unknown): Promise<{ ok: true; value: unknown } | { ok: false; error: CaughtError }> {
  const op = (ops as Record<string, (args: never) => Promise<unknown>>)[name];
  if (!op) return { ok: false, error: { code: 'ERR_BAD_OPTION', message: `no op ${name}; valid ones are ${Object.keys(ops).join(', ')}` } };
  try {
    return { ok: true, value: await op(args as never) };
  } catch (error) {
    return { ok: false, error: error instanceof ShoalError ? { code: error.code, message: error.message } : { code: error instanceof Error ? error.name : 'NonError', message: String(error) } };
  }
}
