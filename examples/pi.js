// Monte Carlo π: throw darts at the unit square, count those inside the circle.
// 40 tasks × 2.5 M darts = 100 M samples, so the estimate is good to about ±0.0003.
export default async function pi(cluster) {
  const TASKS = 40;
  const DARTS = 2_500_000;

  const throwDarts = cluster.remote(function throwDarts(darts, ctx) {
    let inside = 0;
    for (let i = 0; i < darts; i++) {
      const x = Math.random();
      const y = Math.random();
      if (x * x + y * y <= 1) inside++;
    }
    return inside;
  });

  const refs = [];
  for (let i = 0; i < TASKS; i++) refs.push(throwDarts(DARTS));
  const counts = await cluster.get(refs);
  const inside = counts.reduce((sum, count) => sum + count, 0);
  return 4 * inside / (TASKS * DARTS);
}
