// One-task round trip: submit a trivial task and wait for its result, one at a
// time (30 warm-up, then 300 timed). Used by bench/tasks.ts and bench/foundation.ts.
export default async (cluster) => {
  const inc = cluster.remote((x) => x + 1, { name: 'inc' });
  const WARMUP = 30;
  const SAMPLES = 300;
  const times = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const t0 = performance.now();
    const value = await cluster.get(inc(i));
    const dt = performance.now() - t0;
    if (value !== i + 1) throw new Error(`task ${i} returned ${value}`);
    if (i >= WARMUP) times.push(dt);
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { samples: SAMPLES, medianMs: at(0.5), p90Ms: at(0.9), p95Ms: at(0.95), minMs: times[0], maxMs: times[times.length - 1] };
};
