// Dask Array's second example: the same mean over 100000 × 100000 = 1e10 elements (80 GB
// of float64 if it were ever held). Each of the 1000 tasks generates a 10000 × 1000 block
// and folds it into one running sum as it goes, so a worker holds a few numbers, not the
// block: it runs in tabs whose object store is set to 512 MiB (`store=512` in the join link).
export default async function daskArrayMean1e10(cluster) {
  const x = cluster.array.random.random([100000, 100000], { chunks: [10000, 1000], seed: 1 });
  const started = performance.now();
  const mean = await x.mean().compute();
  const ms = Math.round(performance.now() - started);
  // What each worker tab's object store holds afterwards, against its capacity.
  const stores = cluster.memory().slice(1).map((peer) => ({
    capacityMiB: Math.round(peer.stats.capacityBytes / 2 ** 20),
    heldMiB: +(peer.stats.memoryBytes / 2 ** 20).toFixed(3),
  }));
  return { mean, elements: 1e10, ms, stores };
}
