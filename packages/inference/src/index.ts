/** @shoal/inference: `ctx.onnx` (onnxruntime-web, WebGPU or wasm, loaded lazily per Web Worker) and a small model built in code. */
export { createTaskOnnx } from './taskOnnx.ts';
export type { ExecutionProvider, LoadOptions, OnnxModel, OnnxTensor, TaskOnnx } from './taskOnnx.ts';
export { argmax, mlpReference, mlpWeights } from './mlp.ts';
export type { MlpSpec, MlpWeights } from './mlp.ts';
