// Classifies a synthetic dataset with a model made in code: a small MLP
// (cluster.models.mlp, built as ONNX with onnx-proto; nothing downloaded),
// run by onnxruntime-web (ctx.onnx) in an autoscaling pool of actors, each
// loading the model once: WebGPU on a real GPU, wasm elsewhere. Checks every
// label against the same model in plain JS.
//
//   npx shoal run examples/classify.js --workers 2
export default async (cluster) => {
  const FEATURES = 16;
  const CLASSES = 4;
  const ROWS = 50_000;
  const model = cluster.models.mlp({ inputs: FEATURES, hidden: 32, classes: CLASSES, seed: 7 });
  const modelRef = cluster.put(model.bytes); // the actors get the bytes; ctx.onnx caches sessions by their hash

  class Classifier {
    constructor(modelBytes, features) {
      this.modelBytes = modelBytes;
      this.features = features;
    }
    async call(batch, ctx) {
      this.model ??= await ctx.onnx.load(this.modelBytes);
      const rows = batch.id.length;
      const F = this.features;
      const x = new Float32Array(rows * F);
      for (let r = 0; r < rows; r++) for (let k = 0; k < F; k++) x[r * F + k] = Math.sin(batch.id[r] * (k + 1) * 0.37);
      const { probs } = await this.model.run({ x: { data: x, dims: [rows, F] } });
      const classes = probs.dims[1];
      const label = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        let best = 0;
        for (let c = 1; c < classes; c++) if (probs.data[r * classes + c] > probs.data[r * classes + best]) best = c;
        label[r] = best;
      }
      return { id: batch.id, label, provider: Array.from({ length: rows }, () => this.model.executionProvider) };
    }
  }

  const started = performance.now();
  const ds = cluster.data
    .range(ROWS, { blocks: 20 })
    .mapBatches(Classifier, { concurrency: [1, 2], constructorArgs: [modelRef, FEATURES], batchSize: 1024 });
  const counts = new Array(CLASSES).fill(0);
  const providers = new Set();
  let mismatches = 0;
  for await (const batch of ds.iterBatches({ batchFormat: 'columns' })) {
    const x = new Float32Array(batch.id.length * FEATURES);
    for (let r = 0; r < batch.id.length; r++) for (let k = 0; k < FEATURES; k++) x[r * FEATURES + k] = Math.sin(batch.id[r] * (k + 1) * 0.37);
    const want = model.reference(x);
    for (let r = 0; r < batch.id.length; r++) {
      counts[batch.label[r]] += 1;
      providers.add(batch.provider[r]);
      let best = 0;
      for (let c = 1; c < CLASSES; c++) if (want[r * CLASSES + c] > want[r * CLASSES + best]) best = c;
      if (best !== batch.label[r]) mismatches += 1;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return { rows: ROWS, counts, mismatches, providers: [...providers], inferencesPerSec: Math.round(ROWS / seconds) };
};
