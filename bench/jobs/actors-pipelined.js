// Pipelined actor calls: 5,000 `add(1)` calls on one counter actor submitted
// without waiting, then all fetched. calls/s = 5,000 / (first call -> last
// result). 100 calls warm up first, untimed. Calls from one caller run in
// order, so the i-th result must be warm-up + i + 1 and the final value
// warm-up + 5,000. Used by bench/actors.ts.
export default async (cluster) => {
  class Counter {
    constructor(start) { this.n = start; }
    add(k) { this.n += k; return this.n; }
    value() { return this.n; }
  }
  const counter = cluster.actor(Counter, { args: [0] });
  const WARMUP = 100;
  const N = 5_000;

  const warm = [];
  for (let i = 0; i < WARMUP; i++) warm.push(counter.add(1));
  await cluster.get(warm);

  const t0 = performance.now();
  const refs = new Array(N);
  for (let i = 0; i < N; i++) refs[i] = counter.add(1);
  const submitMs = performance.now() - t0;
  const values = await cluster.get(refs);
  const wallMs = performance.now() - t0;

  for (let i = 0; i < N; i++) if (values[i] !== WARMUP + i + 1) throw new Error(`call ${i} returned ${values[i]}, expected ${WARMUP + i + 1}`);
  const finalValue = await cluster.get(counter.value());
  if (finalValue !== WARMUP + N) throw new Error(`final counter value ${finalValue}, expected ${WARMUP + N}`);
  cluster.kill(counter);
  return { calls: N, wallMs, submitMs, callsPerSec: (N * 1000) / wallMs, finalValue };
};
