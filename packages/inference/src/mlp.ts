/**
 * A small classifier the project makes itself: a two-layer perceptron
 * (MatMul, Add, Relu, MatMul, Add, Softmax) with seeded weights, as an ONNX
 * model built in code with onnx-proto (mlpModel.ts), and the same model in
 * plain JS here (the reference the tests compare onnxruntime with, in
 * float32 arithmetic). Nothing is downloaded from a model hub.
 */
export interface MlpSpec {
  /** Features per row. */
  inputs: number;
  hidden: number;
  classes: number;
  /** Seeds the weights (default 1). */
  seed?: number;
}

export interface MlpWeights {
  readonly spec: Required<MlpSpec>;
  readonly w1: Float32Array; // inputs × hidden, row-major
  readonly b1: Float32Array;
  readonly w2: Float32Array; // hidden × classes
  readonly b2: Float32Array;
}

/** Seeded weights in [-1, 1) / sqrt(fan-in) (mulberry32). */
export function mlpWeights(spec: MlpSpec): MlpWeights {
  const full = { seed: 1, ...spec };
  let a = full.seed >>> 0;
  const draw = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const fill = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, () => (draw() * 2 - 1) * scale);
  return {
    spec: full,
    w1: fill(full.inputs * full.hidden, 1 / Math.sqrt(full.inputs)),
    b1: fill(full.hidden, 0.1),
    w2: fill(full.hidden * full.classes, 1 / Math.sqrt(full.hidden)),
    b2: fill(full.classes, 0.1),
  };
}

/** The same model in plain JS, float32 at every step: class probabilities, `rows × classes` row-major. */
export function mlpReference(weights: MlpWeights, x: Float32Array): Float32Array {
  const { inputs, hidden, classes } = weights.spec;
  const rows = x.length / inputs;
  const out = new Float32Array(rows * classes);
  const h = new Float32Array(hidden);
  const logits = new Float32Array(classes);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < hidden; j++) {
      let s = 0;
      for (let k = 0; k < inputs; k++) s = Math.fround(s + Math.fround(x[r * inputs + k]! * weights.w1[k * hidden + j]!));
      h[j] = Math.max(0, Math.fround(s + weights.b1[j]!));
    }
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let k = 0; k < hidden; k++) s = Math.fround(s + Math.fround(h[k]! * weights.w2[k * classes + c]!));
      logits[c] = Math.fround(s + weights.b2[c]!);
      max = Math.max(max, logits[c]!);
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[c]! - max);
    for (let c = 0; c < classes; c++) out[r * classes + c] = Math.exp(logits[c]! - max) / sum;
  }
  return out;
}

/** The predicted class of each row (argmax of its probabilities). */
export function argmax(probs: ArrayLike<number>, classes: number): Int32Array {
  const rows = probs.length / classes;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[r * classes + c]! > probs[r * classes + best]!) best = c;
    out[r] = best;
  }
  return out;
}
