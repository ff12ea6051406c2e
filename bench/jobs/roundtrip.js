// One-task round trip: submit a trivial task and wait for its result, one at a
// time, so each sample is a full coordinator → worker → coordinator trip.
export default async (cluster) => {
  const inc = cluster.remote((x) => x + 1, { name: 'inc' });
  const WARMUP = 30;
  const SAMPLES = 300;
  const times = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const t0 = performance.now();
    await cluster.get(inc(i));
    if (i >= WARMUP) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { samples: SAMPLES, medianMs: at(0.5), p95Ms: at(0.95), minMs: times[0] };
};
