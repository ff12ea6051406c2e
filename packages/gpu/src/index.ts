/**
 * @shoal/gpu: WebGPU compute for Shoal tasks. A device wrapper that turns
 * device loss into ERR_GPU_LOST, a buffer pool, a per-device pipeline cache,
 * `runKernel` for user WGSL, and built-in kernels (map, reduce, matmul, scan)
 * with CPU references. Browser code (pages and Web Workers); the pure parts
 * are tested under Node.
 */
export { acquireDevice, sharedDevice, readAdapterInfo, GpuDevice } from './device.ts';
export type { AcquireDeviceOptions, GpuAdapterInfo, GpuLimits, GpuDeviceState } from './device.ts';
export { BufferPool, sizeClass, poolKey } from './bufferPool.ts';
export type { BufferFactory, BufferPoolOptions, BufferPoolStats } from './bufferPool.ts';
export { PipelineCache, pipelineKey, hashText } from './pipelineCache.ts';
export type { PipelineSpec, CachedPipeline, PipelineCacheStats } from './pipelineCache.ts';
export { formatCompilationMessage, formatCompilationMessages, sourceLocation } from './compilation.ts';
export type { CompilationMessageLike, SourceMapping } from './compilation.ts';
export { planBindings, bindingPrelude, layoutEntries, uniformLayout, packUniforms } from './bindings.ts';
export type { BindingPlan, BindingSlot, BindingKind, UniformValue, UniformLayout, UniformField } from './bindings.ts';
export { toGpuArray } from './arrays.ts';
export type { ScalarType, GpuArray, KernelInput, ArrayLike32 } from './arrays.ts';
export { runKernel, prepareKernel } from './kernel.ts';
export type { KernelSpec, OutputSpec, KernelOutputs, PreparedKernel } from './kernel.ts';
export { map, mapSource } from './kernels/map.ts';
export { reduce, reducePasses, REDUCE_OPS } from './kernels/reduce.ts';
export type { ReduceOp } from './kernels/reduce.ts';
export { matmul } from './kernels/matmul.ts';
export { scan, scanLevels } from './kernels/scan.ts';
export {
  mapReference,
  reduceReference,
  matmulReference,
  matmulEntry,
  matmulIkj,
  scanReference,
  maxRelativeError,
  scaledError,
} from './kernels/reference.ts';
export { createTaskGpu } from './taskGpu.ts';
export type { TaskGpu } from './taskGpu.ts';
export { measureDevice } from './measure.ts';
export type { DeviceMeasurement, MeasureOptions } from './measure.ts';
