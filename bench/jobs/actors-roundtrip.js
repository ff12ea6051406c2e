// One actor call round trip: a counter actor's `add(1)` called and awaited one
// at a time (30 warm-up, then 300 timed); median and p90. Used by bench/actors.ts.
export default async (cluster) => {
  class Counter {
    constructor(start) { this.n = start; }
    add(k) { this.n += k; return this.n; }
  }
  const counter = cluster.actor(Counter, { args: [0] });
  const WARMUP = 30;
  const SAMPLES = 300;
  const times = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const t0 = performance.now();
    const value = await cluster.get(counter.add(1));
    const dt = performance.now() - t0;
    if (value !== i + 1) throw new Error(`call ${i} returned ${value}, expected ${i + 1}`);
    if (i >= WARMUP) times.push(dt);
  }
  cluster.kill(counter);
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { samples: SAMPLES, medianMs: at(0.5), p90Ms: at(0.9), p95Ms: at(0.95), minMs: times[0], maxMs: times[times.length - 1] };
};
