// Data-parallel logistic regression across the worker tabs (cluster.train):
// a synthetic, seeded two-class set of 8 features in 16 blocks, spread over
// 4 workers (ctx.shard: blocks r, r+4, ...). Each step every worker sums the
// gradient of its shard, `ctx.allreduce` adds them up (a ring over the tabs),
// and all apply the same update: full-batch gradient descent, so 4 tabs give
// the loss curve of 1 tab. Rank 0 reports the loss each step and a
// checkpoint every 10; close a tab mid-run and training resumes from the last
// checkpoint on the tabs left.
//
//   npx shoal run examples/train-logistic.js --workers 4
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const D = 8;
const ROWS = 1024;
const BLOCKS = 16;

function dataset(seed) {
  const rand = random(seed);
  const truth = Array.from({ length: D }, () => rand() * 4 - 2);
  return Array.from({ length: BLOCKS }, () => {
    const x = new Float64Array(ROWS * D);
    const y = new Float64Array(ROWS);
    for (let i = 0; i < ROWS; i++) {
      let z = 0.5;
      for (let k = 0; k < D; k++) {
        x[i * D + k] = rand() * 2 - 1;
        z += truth[k] * x[i * D + k];
      }
      y[i] = rand() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    return { x, y, rows: ROWS, d: D };
  });
}

const trainLoop = async (ctx) => {
  const { lr, steps, d, total, every } = ctx.config;
  const w = ctx.checkpoint ? Float64Array.from(ctx.checkpoint.w) : new Float64Array(d + 1);
  for (let step = ctx.checkpoint ? ctx.checkpoint.step : 0; step < steps; step++) {
    const g = new Float64Array(d + 3); // gradient (weights, bias), loss sum, correct count
    for (const b of ctx.shard) {
      for (let i = 0; i < b.rows; i++) {
        let z = w[d];
        for (let k = 0; k < d; k++) z += w[k] * b.x[i * d + k];
        const p = 1 / (1 + Math.exp(-z));
        const e = p - b.y[i];
        for (let k = 0; k < d; k++) g[k] += e * b.x[i * d + k];
        g[d] += e;
        g[d + 1] -= b.y[i] ? Math.log(p + 1e-12) : Math.log(1 - p + 1e-12);
        if (p > 0.5 === (b.y[i] === 1)) g[d + 2] += 1;
      }
    }
    const sum = await ctx.allreduce(g);
    for (let k = 0; k <= d; k++) w[k] -= (lr * sum[k]) / total;
    const checkpoint = (step + 1) % every === 0 ? { w: Array.from(w), step: step + 1 } : undefined;
    await ctx.report({ step: step + 1, loss: sum[d + 1] / total, accuracy: sum[d + 2] / total }, checkpoint);
  }
};

export default async (cluster) => {
  const result = await cluster.train({
    numWorkers: 4,
    trainLoop,
    config: { lr: 1.0, steps: 60, d: D, total: ROWS * BLOCKS, every: 10 },
    dataset: dataset(7),
    onReport: (m) => m.step % 10 === 0 && console.log(`step ${m.step}: loss ${m.loss.toFixed(4)}, accuracy ${(m.accuracy * 100).toFixed(1)}%`),
  });
  const last = result.metrics.at(-1);
  return {
    lossCurve: result.metrics.map((m) => Number(m.loss.toFixed(5))),
    finalLoss: last.loss,
    accuracy: last.accuracy,
    weights: result.checkpoint.w,
    attempts: result.attempts,
  };
};
