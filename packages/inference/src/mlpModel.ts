/** The MLP of mlp.ts as ONNX bytes, built with onnx-proto (kept apart so Web Workers never bundle protobufjs). */
import onnxProto from 'onnx-proto';
import type { MlpWeights } from './mlp.ts';

const { onnx } = onnxProto as unknown as typeof import('onnx-proto');

const tensor = (name: string, dims: number[], data: Float32Array) =>
  onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
const valueInfo = (name: string, dims: Array<number | string>) =>
  onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });

/** The model as ONNX bytes: input `x` [batch, inputs] float32, output `probs` [batch, classes]. */
export function mlpModel(weights: MlpWeights): Uint8Array {
  const { inputs, hidden, classes } = weights.spec;
  const node = (opType: string, input: string[], output: string, attribute: object[] = []) => onnx.NodeProto.create({ opType, input, output: [output], name: output, attribute });
  const graph = onnx.GraphProto.create({
    name: 'shoal_mlp',
    node: [
      node('MatMul', ['x', 'w1'], 'h1'),
      node('Add', ['h1', 'b1'], 'h2'),
      node('Relu', ['h2'], 'h3'),
      node('MatMul', ['h3', 'w2'], 'h4'),
      node('Add', ['h4', 'b2'], 'logits'),
      node('Softmax', ['logits'], 'probs', [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 })]),
    ],
    initializer: [tensor('w1', [inputs, hidden], weights.w1), tensor('b1', [hidden], weights.b1), tensor('w2', [hidden, classes], weights.w2), tensor('b2', [classes], weights.b2)],
    input: [valueInfo('x', ['batch', inputs])],
    output: [valueInfo('probs', ['batch', classes])],
  });
  const model = onnx.ModelProto.create({ irVersion: 7, producerName: 'shoal', opsetImport: [{ domain: '', version: 13 }], graph });
  return onnx.ModelProto.encode(model).finish();
}

