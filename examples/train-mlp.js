// A small MLP (2 → hidden → 2, tanh, softmax) trained data-parallel across
// the worker tabs with cluster.train, on a synthetic two-spirals set: each
// worker computes the gradient of its shard by backpropagation (Float32),
// `ctx.allreduce(grad)` sums them (a ring over the tabs), and all apply the
// same SGD-with-momentum step. Rank 0 reports the loss each epoch and
// checkpoints the weights every 10 epochs. The result carries the trained
// weights in a plain layout ({layers: [{w, b, shape}]}) for export.
//
// Where the worker has a real GPU (`ctx.gpu`, not a fallback adapter), the
// gradient's five matrix products run as WGSL kernels (@shoal/gpu's matmul):
// forward X·W1 and A·W2, backward Aᵀ·dZ2, dZ2·W2ᵀ and Xᵀ·dZ1, over the
// worker's whole shard as one batch; tanh, softmax and the bias sums stay on
// the CPU. Elsewhere a plain per-example loop computes the same gradient.
// `config.device` chooses: 'auto' (a real GPU, else the CPU), 'gpu' (any
// WebGPU adapter, SwiftShader's CPU fallback in headless Chromium included:
// how the tests run the kernels) or 'cpu'. Each report says which ran
// (`device`, and `kernels`: GPU dispatches so far on that rank).
//
//   npx shoal run examples/train-mlp.js --workers 4
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

/** Two interleaved spirals, `blocks` blocks of `rows` points. */
function spirals(seed, blocks, rows) {
  const rand = random(seed);
  return Array.from({ length: blocks }, () => {
    const x = new Float32Array(rows * 2);
    const y = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      const label = rand() < 0.5 ? 0 : 1;
      const r = rand() * 3 + 0.2;
      const angle = r * 2.2 + label * Math.PI;
      x[i * 2] = r * Math.cos(angle) / 3 + (rand() - 0.5) * 0.1;
      x[i * 2 + 1] = r * Math.sin(angle) / 3 + (rand() - 0.5) * 0.1;
      y[i] = label;
    }
    return { x, y, rows };
  });
}

const trainLoop = async (ctx) => {
  const { hidden: H, lr, epochs, momentum, seed, every } = ctx.config;
  const device = ctx.config.device ?? 'auto';
  const useGpu = Boolean(ctx.gpu) && (device === 'gpu' || (device === 'auto' && !ctx.gpu.info.isFallback));
  if (device === 'gpu' && !useGpu) throw new Error("device: 'gpu', but this worker has no WebGPU");
  const sizes = [2 * H, H, H * 2, 2]; // w1 (2×H), b1, w2 (H×2), b2
  const total = sizes.reduce((a, b) => a + b, 0);
  const [w1, b1, w2, b2] = [0, 2 * H, 3 * H, 5 * H];
  let params;
  if (ctx.checkpoint) params = Float32Array.from(ctx.checkpoint.params);
  else {
    // Every rank starts from the same weights: the same seeded draw.
    let a = seed >>> 0;
    const rand = () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 4294967296);
    params = new Float32Array(total);
    for (let i = 0; i < 2 * H; i++) params[i] = (rand() * 2 - 1) * Math.sqrt(6 / (2 + H));
    for (let i = 0; i < H * 2; i++) params[3 * H + i] = (rand() * 2 - 1) * Math.sqrt(6 / (H + 2));
  }
  const velocity = ctx.checkpoint ? Float32Array.from(ctx.checkpoint.velocity) : new Float32Array(total);
  const start = ctx.checkpoint ? ctx.checkpoint.epoch : 0;

  /** The gradient on the CPU: one example at a time. `grad` gets the gradient, then the loss sum and the count. */
  const h = new Float32Array(H);
  const cpuGradient = (grad) => {
    for (const block of ctx.shard) {
      for (let n = 0; n < block.rows; n++) {
        const x0 = block.x[n * 2], x1 = block.x[n * 2 + 1];
        for (let j = 0; j < H; j++) h[j] = Math.tanh(params[w1 + j] * x0 + params[w1 + H + j] * x1 + params[b1 + j]);
        let z0 = params[b2], z1 = params[b2 + 1];
        for (let j = 0; j < H; j++) {
          z0 += h[j] * params[w2 + j * 2];
          z1 += h[j] * params[w2 + j * 2 + 1];
        }
        const m = Math.max(z0, z1);
        const e0 = Math.exp(z0 - m), e1 = Math.exp(z1 - m);
        const p1 = e1 / (e0 + e1);
        const label = block.y[n];
        grad[total] -= Math.log((label ? p1 : 1 - p1) + 1e-7);
        grad[total + 1] += 1;
        const d1 = p1 - label; // dz1; dz0 = -d1
        grad[b2] -= d1;
        grad[b2 + 1] += d1;
        for (let j = 0; j < H; j++) {
          grad[w2 + j * 2] -= d1 * h[j];
          grad[w2 + j * 2 + 1] += d1 * h[j];
          const dh = (params[w2 + j * 2 + 1] - params[w2 + j * 2]) * d1 * (1 - h[j] * h[j]);
          grad[w1 + j] += dh * x0;
          grad[w1 + H + j] += dh * x1;
          grad[b1 + j] += dh;
        }
      }
    }
  };

  /** The same gradient with the matrix products on the GPU, the shard as one batch X (N×2). */
  const N = ctx.shard.reduce((sum, block) => sum + block.rows, 0);
  const X = new Float32Array(N * 2), Y = new Float32Array(N), XT = new Float32Array(2 * N);
  let kernels = 0;
  {
    let at = 0;
    for (const block of ctx.shard) {
      X.set(block.x.subarray(0, block.rows * 2), at * 2);
      for (let n = 0; n < block.rows; n++) Y[at + n] = block.y[n];
      at += block.rows;
    }
    for (let n = 0; n < N; n++) (XT[n] = X[n * 2]), (XT[N + n] = X[n * 2 + 1]);
  }
  const transpose = (a, rows, cols) => {
    const t = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
    return t;
  };
  const gpuGradient = async (grad) => {
    const gpu = ctx.gpu;
    const W1 = params.slice(w1, w1 + 2 * H), W2 = params.slice(w2, w2 + 2 * H);
    const Z1 = await gpu.matmul(X, W1, N, H, 2); // N×H
    const A = new Float32Array(N * H);
    for (let n = 0; n < N; n++) for (let j = 0; j < H; j++) A[n * H + j] = Math.tanh(Z1[n * H + j] + params[b1 + j]);
    const Z2 = await gpu.matmul(A, W2, N, 2, H); // N×2
    const D2 = new Float32Array(N * 2); // dLoss/dZ2
    for (let n = 0; n < N; n++) {
      const z0 = Z2[n * 2] + params[b2], z1 = Z2[n * 2 + 1] + params[b2 + 1];
      const m = Math.max(z0, z1);
      const e0 = Math.exp(z0 - m), e1 = Math.exp(z1 - m);
      const p1 = e1 / (e0 + e1);
      grad[total] -= Math.log((Y[n] ? p1 : 1 - p1) + 1e-7);
      const d1 = p1 - Y[n];
      D2[n * 2] = -d1;
      D2[n * 2 + 1] = d1;
      grad[b2] -= d1;
      grad[b2 + 1] += d1;
    }
    grad[total + 1] += N;
    const [dW2, dA] = await Promise.all([gpu.matmul(transpose(A, N, H), D2, H, 2, N), gpu.matmul(D2, transpose(W2, H, 2), N, H, 2)]); // H×2, N×H
    for (let i = 0; i < 2 * H; i++) grad[w2 + i] += dW2[i];
    const dZ1 = dA; // dLoss/dZ1 = dA ⊙ (1 − A²), in place
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < H; j++) {
        const k = n * H + j;
        dZ1[k] *= 1 - A[k] * A[k];
        grad[b1 + j] += dZ1[k];
      }
    }
    const dW1 = await gpu.matmul(XT, dZ1, 2, H, N); // 2×H
    for (let i = 0; i < 2 * H; i++) grad[w1 + i] += dW1[i];
    kernels += 5;
  };

  for (let epoch = start; epoch < epochs; epoch++) {
    const grad = new Float32Array(total + 2); // gradient, then loss sum and count
    if (useGpu) await gpuGradient(grad);
    else cpuGradient(grad);
    const sum = await ctx.allreduce(grad); // summed over every shard
    const count = sum[total + 1];
    for (let i = 0; i < total; i++) {
      velocity[i] = momentum * velocity[i] - (lr * sum[i]) / count;
      params[i] += velocity[i];
    }
    const checkpoint = (epoch + 1) % every === 0 ? { params: Array.from(params), velocity: Array.from(velocity), epoch: epoch + 1 } : undefined;
    await ctx.report({ epoch: epoch + 1, loss: sum[total] / count, device: useGpu ? 'webgpu' : 'cpu', kernels }, checkpoint);
  }
};

export default async (cluster) => {
  const hidden = 16;
  const result = await cluster.train({
    numWorkers: 4,
    trainLoop,
    config: { hidden, lr: 0.5, momentum: 0.9, epochs: 150, seed: 3, every: 10, device: 'auto' },
    dataset: spirals(11, 16, 256),
    onReport: (m) => m.epoch % 25 === 0 && console.log(`epoch ${m.epoch}: loss ${m.loss.toFixed(4)}`),
  });
  const p = result.checkpoint.params;
  const H = hidden;
  return {
    lossCurve: result.metrics.map((m) => Number(m.loss.toFixed(4))),
    finalLoss: result.metrics.at(-1).loss,
    attempts: result.attempts,
    // Where rank 0's gradient ran: 'webgpu' (matmul kernels, `kernels` dispatches) or 'cpu'.
    device: result.metrics.at(-1).device,
    kernels: result.metrics.at(-1).kernels,
    // The trained model, for export: y = softmax(tanh(x·W1 + b1)·W2 + b2).
    model: {
      activation: 'tanh',
      layers: [
        { shape: [2, H], w: p.slice(0, 2 * H), b: p.slice(2 * H, 3 * H) },
        { shape: [H, 2], w: p.slice(3 * H, 5 * H), b: p.slice(5 * H, 5 * H + 2) },
      ],
    },
  };
};
