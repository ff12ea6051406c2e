// A big matrix product on the workers' GPUs: C = A × B (768×512 by 512×640),
// split into row blocks of A, one GPU task each (resources: { gpu: 1 }).
// B is put once and shared by every task. The job then checks 64 sampled
// entries of C against a float64 CPU computation.
export default async function gpuMatmul(cluster) {
  const M = 768;
  const K = 512;
  const N = 640;
  const BLOCK_ROWS = 128;

  // Deterministic inputs (a small linear congruential generator), values in [-1, 1).
  let seed = 12345;
  const next = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2147483648 - 1;
  };
  const a = Float32Array.from({ length: M * K }, next);
  const b = Float32Array.from({ length: K * N }, next);

  const multiplyRows = cluster.remote(
    async function multiplyRows(aRows, b, rows, N, K, ctx) {
      const started = performance.now();
      const c = await ctx.gpu.matmul(aRows, b, rows, N, K);
      return { c, ms: performance.now() - started, adapter: ctx.gpu.info.architecture || ctx.gpu.info.vendor };
    },
    { resources: { gpu: 1 } },
  );

  const bRef = cluster.put(b);
  const refs = [];
  for (let row = 0; row < M; row += BLOCK_ROWS) {
    const rows = Math.min(BLOCK_ROWS, M - row);
    refs.push(multiplyRows(a.slice(row * K, (row + rows) * K), bRef, rows, N, K));
  }
  const blocks = await cluster.get(refs);

  const c = new Float32Array(M * N);
  blocks.forEach((block, i) => c.set(block.c, i * BLOCK_ROWS * N));

  // Spot check: 64 entries against a float64 dot product.
  let worst = 0;
  let scale = 0;
  for (let s = 0; s < 64; s++) {
    const i = Math.floor(((next() + 1) / 2) * M);
    const j = Math.floor(((next() + 1) / 2) * N);
    let expected = 0;
    for (let k = 0; k < K; k++) expected += a[i * K + k] * b[k * N + j];
    worst = Math.max(worst, Math.abs(c[i * N + j] - expected));
    scale = Math.max(scale, Math.abs(expected));
  }
  const relError = worst / scale;
  if (!(relError < 1e-3)) throw new Error(`GPU matmul disagrees with the CPU: relative error ${relError}`);

  const gpuMs = blocks.reduce((sum, block) => sum + block.ms, 0);
  return {
    M,
    N,
    K,
    tasks: blocks.length,
    adapters: [...new Set(blocks.map((block) => block.adapter))],
    checked: 64,
    relError,
    gflopsPerTask: (2 * M * N * K) / (gpuMs * 1e6),
  };
}
