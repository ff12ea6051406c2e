/**
 * Running a planned task graph through the ordinary task API: each kernel
 * becomes a remote function (cached per cluster by its source, so each ships
 * to a worker once), each task one call, with `{$dep}` markers replaced by the
 * refs of the calls before it. Also `runLocal`, the same graph evaluated in
 * this process, which the unit tests use as the reference executor.
 */
import type { Cluster, ObjectRef } from '@shoal/client';
import { combinePartials } from './combine.ts';
import { matmulWasmSource } from './gemm.ts';
import { assembleBlock, reshapeBlock } from './kernels.ts';
import { FIXED, type TaskGraph } from './plan.ts';

/** The fixed kernels' sources, by id. */
export const FIXED_SOURCES: Record<string, string> = {
  [FIXED.combine]: combinePartials.toString(),
  [FIXED.assemble]: assembleBlock.toString(),
  // The WASM SIMD kernel (gemm.wat), the JS one where WebAssembly SIMD is missing.
  [FIXED.matmul]: matmulWasmSource(),
  [FIXED.reshape]: reshapeBlock.toString(),
  // float32 products on a GPU: @shoal/gpu's tiled matmul per pair of blocks (through ctx.gpu), summed in float64; the CPU kernel elsewhere.
  [FIXED.matmulGpu]: `async function matmul_gpu(as, bs, M, N, ks, ctor, trans, mode, ctx) {
  const cpu = (${matmulWasmSource()});
  const gpu = ctx && ctx.gpu;
  if (!gpu || (gpu.info.isFallback && mode !== 'force') || M * N === 0) return cpu(as, bs, M, N, ks, ctor, trans);
  const f32 = (x, rows, cols, flipped) => {
    if (!flipped) return x instanceof Float32Array ? x : Float32Array.from(x);
    const out = new Float32Array(rows * cols); // x holds the cols × rows transpose
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = x[j * rows + i];
    return out;
  };
  const c = new Float64Array(M * N);
  for (let k = 0; k < as.length; k++) {
    if (ks[k] === 0) continue;
    const part = await gpu.matmul(f32(as[k], M, ks[k], trans && trans.a), f32(bs[k], ks[k], N, trans && trans.b), M, N, ks[k]);
    for (let i = 0; i < c.length; i++) c[i] += part[i];
  }
  return Float32Array.from(c);
}`,
};

type Fn = (...args: unknown[]) => unknown;
const compiled = new Map<string, Fn>();

/** A function whose `toString()` is exactly `source` (so it can ship as a task). */
export function compileKernel(source: string): Fn {
  let fn = compiled.get(source);
  if (!fn) {
    fn = new Function(`return (${source});`)() as Fn;
    compiled.set(source, fn);
  }
  return fn;
}

function resolveArgs(value: unknown, lookup: (marker: { $dep?: string; $ext?: number }) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveArgs(v, lookup));
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const obj = value as Record<string, unknown>;
    if ('$dep' in obj || '$ext' in obj) return lookup(obj as { $dep?: string; $ext?: number });
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolveArgs(v, lookup)]));
  }
  return value;
}

const remotes = new WeakMap<Cluster, Map<string, (...args: unknown[]) => ObjectRef>>();

/** Submits every task; answers the output blocks' refs (in C order over the grid). Nothing waits here. */
export function submitGraph(cluster: Cluster, graph: TaskGraph): ObjectRef[] {
  let cache = remotes.get(cluster);
  if (!cache) remotes.set(cluster, (cache = new Map()));
  const refs = new Map<string, ObjectRef>();
  const lookup = (m: { $dep?: string; $ext?: number }) => (m.$dep !== undefined ? refs.get(m.$dep)! : graph.externals[m.$ext!]);
  for (const task of graph.tasks) {
    const source = graph.kernels[task.kernel]!;
    const cacheKey = `${task.name}\n${task.gpu ? 'gpu' : ''}\n${source}`;
    let fn = cache.get(cacheKey);
    if (!fn) {
      fn = cluster.remote(compileKernel(source), { name: task.name, ...(task.gpu ? { resources: { gpu: 'prefer' } } : {}) }) as unknown as (...args: unknown[]) => ObjectRef;
      cache.set(cacheKey, fn);
    }
    refs.set(task.key, fn(...(resolveArgs(task.args, lookup) as unknown[])));
  }
  return graph.outputs.map((o) => lookup(o) as ObjectRef);
}

/** Evaluates the graph here, in order (externals are the block values themselves; `ctx` is what tasks get last, e.g. a `gpu`). */
export async function runLocal(graph: TaskGraph, ctx: unknown = null): Promise<unknown[]> {
  const values = new Map<string, unknown>();
  const lookup = (m: { $dep?: string; $ext?: number }) => (m.$dep !== undefined ? values.get(m.$dep) : graph.externals[m.$ext!]);
  for (const task of graph.tasks) {
    const fn = compileKernel(graph.kernels[task.kernel]!);
    values.set(task.key, await fn(...(resolveArgs(task.args, lookup) as unknown[]), ctx));
  }
  return graph.outputs.map(lookup);
}
