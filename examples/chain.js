// A dependency chain and a fan-in: each task takes the previous task's ref as an
// argument, so it waits for that result. No values pass through this job code.
export default async function chain(cluster) {
  const start = cluster.remote((n) => n);
  const addOne = cluster.remote((x) => x + 1);
  const double = cluster.remote((x) => 2 * x);
  const sum = cluster.remote((values) => values.reduce((a, b) => a + b, 0));

  // x → 2(x + 1), five times from 1: 4, 10, 22, 46, 94 (eleven tasks deep)
  let ref = start(1);
  for (let i = 0; i < 5; i++) ref = double(addOne(ref));
  // 95 + 188 + 376 = 659, fanned out from the chain's result and summed on a worker
  const branches = [addOne(ref), double(ref), double(double(ref))];
  const total = sum(branches);

  return { chain: await cluster.get(ref), total: await cluster.get(total) };
}
