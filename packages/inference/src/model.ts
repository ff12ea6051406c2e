/** `@shoal/inference/model`: building ONNX models in code (onnx-proto), kept out of the Web Worker bundle. */
export { argmax, mlpReference, mlpWeights } from './mlp.ts';
export { mlpModel } from './mlpModel.ts';
export type { MlpSpec, MlpWeights } from './mlp.ts';

import { mlpReference, mlpWeights, type MlpSpec, type MlpWeights } from './mlp.ts';
import { mlpModel } from './mlpModel.ts';

export interface BuiltModel {
  /** The ONNX file. */
  bytes: Uint8Array;
  weights: MlpWeights;
  /** The same model in plain JS: class probabilities, rows × classes. */
  reference(x: Float32Array): Float32Array;
}

/** What a job's `cluster` gains: `cluster.models.mlp({inputs, hidden, classes, seed})`, a model made in code. */
export function modelsApi(): { models: { mlp(spec: MlpSpec): BuiltModel } } {
  return {
    models: {
      mlp(spec) {
        const weights = mlpWeights(spec);
        return { bytes: mlpModel(weights), weights, reference: (x) => mlpReference(weights, x) };
      },
    },
  };
}
