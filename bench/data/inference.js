// bench:data's inference: the example's MLP (16 → 32 → 4) in onnxruntime-web
// through ctx.onnx on one worker, on the execution provider PROVIDER (set by
// bench/data.ts). The model is loaded and warmed up first (not timed), then
// RUNS batches of BATCH rows are timed inside the task: inferences/s.
export default async (cluster) => {
  const model = cluster.put(cluster.models.mlp({ inputs: 16, hidden: 32, classes: 4, seed: 7 }).bytes);
  const bench = cluster.remote(async (bytes, provider, batch, runs, ctx) => {
    const loadStart = performance.now();
    const m = await ctx.onnx.load(bytes, { executionProvider: provider });
    const loadMs = performance.now() - loadStart;
    const x = new Float32Array(batch * 16);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37);
    for (let i = 0; i < 3; i++) await m.run({ x: { data: x, dims: [batch, 16] } });
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await m.run({ x: { data: x, dims: [batch, 16] } });
    const ms = performance.now() - t0;
    return { provider: m.executionProvider, loadMs, ms, inferencesPerSec: (batch * runs * 1000) / ms };
  });
  return cluster.get(bench(model, __PROVIDER__, 4096, 20));
};
