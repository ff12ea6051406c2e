import { expect, test } from 'vitest';
import * as ort from 'onnxruntime-web';
import { argmax, mlpReference, mlpWeights } from './mlp.ts';
import { mlpModel } from './mlpModel.ts';

test('the ONNX model built in code matches the plain-JS reference in onnxruntime (wasm, Node)', async () => {
  const weights = mlpWeights({ inputs: 8, hidden: 16, classes: 4, seed: 3 });
  const x = Float32Array.from({ length: 8 * 33 }, (_, i) => Math.sin(i * 0.7) * 3);
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(mlpModel(weights), { executionProviders: ['wasm'] });
  const out = await session.run({ x: new ort.Tensor('float32', x, [33, 8]) });
  const got = out['probs']!.data as Float32Array;
  const want = mlpReference(weights, x);
  expect(out['probs']!.dims).toEqual([33, 4]);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-6);
  expect(Array.from(argmax(got, 4))).toEqual(Array.from(argmax(want, 4)));
}, 60_000);

test('weights are seeded: the same seed gives the same model, another seed another', () => {
  const a = mlpWeights({ inputs: 4, hidden: 4, classes: 2, seed: 5 });
  expect(mlpWeights({ inputs: 4, hidden: 4, classes: 2, seed: 5 }).w1).toEqual(a.w1);
  expect(mlpWeights({ inputs: 4, hidden: 4, classes: 2, seed: 6 }).w1).not.toEqual(a.w1);
});

test('onnxruntime refuses bytes that are not a model (what ERR_MODEL_LOAD carries)', async () => {
  await expect(ort.InferenceSession.create(new Uint8Array([1, 2, 3]), { executionProviders: ['wasm'] })).rejects.toThrow(/.+/);
});
