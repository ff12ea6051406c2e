// Dask Array's first example: the mean of a 10000 × 10000 random array in 1000 × 1000 blocks.
//   da.random.random((10000, 10000), chunks=(1000, 1000)).mean().compute()
// Creation and the mean fuse: each of the 100 tasks generates its block and sums it in one
// streaming loop, so no block array is ever allocated; a tree of small tasks adds the sums.
export default async function daskArrayMean(cluster) {
  const x = cluster.array.random.random([10000, 10000], { chunks: [1000, 1000], seed: 1 });
  const started = performance.now();
  const mean = await x.mean().compute();
  return { mean, ms: Math.round(performance.now() - started), plan: x.mean().explain() };
}
