// Hyperparameter search with early stopping (cluster.tune): a small MLP on a
// synthetic two-spirals set, over learning rate (loguniform) and hidden size
// (grid), 4 samples of each hidden size. Each trial trains on one tab and
// reports its loss every epoch; ASHA (rungs at 1, 3, 9, 27 epochs, η = 3)
// stops trials outside the best third at each rung, so the search runs far
// fewer epochs than trying every config to the end. The dashboard's Tune
// view draws each trial's curve and marks the stopped ones.
//
//   npx shoal run examples/tune-mlp.js --workers 4
const trainable = async (config, ctx) => {
  let a = 11;
  const rand = () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 4294967296);
  const N = 512;
  const x = new Float32Array(N * 2);
  const y = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const label = rand() < 0.5 ? 0 : 1;
    const r = rand() * 3 + 0.2;
    const angle = r * 2.2 + label * Math.PI;
    x[i * 2] = (r * Math.cos(angle)) / 3;
    x[i * 2 + 1] = (r * Math.sin(angle)) / 3;
    y[i] = label;
  }
  const H = config.hidden;
  const w1 = new Float32Array(2 * H), b1 = new Float32Array(H), w2 = new Float32Array(H * 2), b2 = new Float32Array(2);
  for (let i = 0; i < w1.length; i++) w1[i] = (rand() * 2 - 1) * Math.sqrt(6 / (2 + H));
  for (let i = 0; i < w2.length; i++) w2[i] = (rand() * 2 - 1) * Math.sqrt(6 / (H + 2));
  const h = new Float32Array(H);
  for (let epoch = 1; epoch <= 81; epoch++) {
    let loss = 0;
    for (let n = 0; n < N; n++) {
      const x0 = x[n * 2], x1 = x[n * 2 + 1];
      for (let j = 0; j < H; j++) h[j] = Math.tanh(w1[j] * x0 + w1[H + j] * x1 + b1[j]);
      let z0 = b2[0], z1 = b2[1];
      for (let j = 0; j < H; j++) { z0 += h[j] * w2[j * 2]; z1 += h[j] * w2[j * 2 + 1]; }
      const p1 = 1 / (1 + Math.exp(z0 - z1));
      loss -= Math.log((y[n] ? p1 : 1 - p1) + 1e-7);
      const d1 = (p1 - y[n]) * config.lr; // per-sample SGD
      b2[0] += d1; b2[1] -= d1;
      for (let j = 0; j < H; j++) {
        const dh = (w2[j * 2 + 1] - w2[j * 2]) * d1 * (1 - h[j] * h[j]);
        w2[j * 2] += d1 * h[j]; w2[j * 2 + 1] -= d1 * h[j];
        w1[j] -= dh * x0; w1[H + j] -= dh * x1; b1[j] -= dh;
      }
    }
    await ctx.report({ epoch, loss: loss / N });
  }
};

export default async (cluster) => {
  const { tune } = cluster;
  const result = await tune(trainable, {
    paramSpace: { lr: tune.loguniform(1e-3, 1), hidden: tune.grid([4, 16, 32]) },
    numSamples: 4,
    metric: 'loss',
    mode: 'min',
    scheduler: 'asha',
    maxT: 81,
    gracePeriod: 1,
    reductionFactor: 3,
    maxConcurrent: 4,
  });
  return {
    best: { config: result.best.config, loss: result.best.metrics.loss },
    epochsRun: result.iterations,
    epochsWithoutEarlyStopping: result.trials.length * 81,
    trials: result.trials.map((t) => ({ lr: Number(t.config.lr.toPrecision(3)), hidden: t.config.hidden, status: t.status, epochs: t.iterations, loss: Number(t.metrics?.loss?.toFixed(4)) })),
  };
};
