// A 1,000-link dependent chain: each task takes the previous task's ref and
// adds one. All 1,000 are submitted, then the last is fetched; ms per link is
// the wall time / 1,000. A 50-link chain runs first, untimed. Used by
// bench/tasks.ts.
export default async (cluster) => {
  const inc = cluster.remote((x) => x + 1, { name: 'inc' });
  const WARMUP = 50;
  const LINKS = 1_000;

  let warm = inc(0);
  for (let i = 1; i < WARMUP; i++) warm = inc(warm);
  await cluster.get(warm);

  const t0 = performance.now();
  let ref = inc(0);
  for (let i = 1; i < LINKS; i++) ref = inc(ref);
  const submitMs = performance.now() - t0;
  const last = await cluster.get(ref);
  const wallMs = performance.now() - t0;

  if (last !== LINKS) throw new Error(`the chain ended at ${last}, expected ${LINKS}`);
  return { links: LINKS, wallMs, submitMs, msPerLink: wallMs / LINKS };
};
