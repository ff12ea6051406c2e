// 10,000 trivial tasks: submit all, then get all. Throughput is 10,000 / the
// wall time from the first submit to the last result. A 500-task warm-up runs
// first, untimed. Used by bench/tasks.ts.
export default async (cluster) => {
  const inc = cluster.remote((x) => x + 1, { name: 'inc' });
  const WARMUP = 500;
  const N = 10_000;

  const warm = [];
  for (let i = 0; i < WARMUP; i++) warm.push(inc(i));
  await cluster.get(warm);

  const t0 = performance.now();
  const refs = new Array(N);
  for (let i = 0; i < N; i++) refs[i] = inc(i);
  const submittedMs = performance.now() - t0;
  const values = await cluster.get(refs);
  const wallMs = performance.now() - t0;

  for (let i = 0; i < N; i++) if (values[i] !== i + 1) throw new Error(`task ${i} returned ${values[i]}`);
  return { tasks: N, wallMs, submitMs: submittedMs, tasksPerSec: (N * 1000) / wallMs };
};
