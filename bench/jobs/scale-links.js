// Moves bytes between workers the way jobs do, so bench/scale.ts can count the
// links that opens: a 256 KiB broadcast to every worker (down a tree), then
// one 64 KiB object from each worker consumed on the next one (a ring).
export default async (cluster) => {
  const n = cluster.workers().length;
  const ref = cluster.put(new Float64Array(1 << 15).map((_, i) => i), { broadcast: true });
  const read = cluster.remote((a) => a[a.length - 1], { name: 'read' });
  const lasts = await cluster.get(Array.from({ length: n }, () => read(ref)));
  if (!lasts.every((v) => v === (1 << 15) - 1)) throw new Error('a broadcast copy was wrong');
  const make = cluster.remote((i) => new Float64Array(1 << 13).fill(i), { name: 'make' });
  const sum = cluster.remote((a) => a.reduce((s, v) => s + v, 0), { name: 'sum' });
  const sums = await cluster.get(Array.from({ length: n }, (_, i) => sum(make(i))));
  for (let i = 0; i < n; i++) if (sums[i] !== i * (1 << 13)) throw new Error(`ring ${i}: ${sums[i]}`);
  return { workers: n };
};
