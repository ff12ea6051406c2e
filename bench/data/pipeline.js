// bench:data's pipeline: range(ROWS) through three mapBatches operators
// (widen, mix, summarize), the same arithmetic as bench/peers/dask_data.py;
// rows/s from the job's first call to the last summary row. ROWS, BLOCKS and
// FUSE (the three operators fused into one task per block, as Ray does) are set
// by bench/data.ts (the placeholders below).
export default async (cluster) => {
  const ROWS = __ROWS__;
  cluster.data.context.fuseTransforms = __FUSE__;
  const t0 = performance.now();
  const ds = cluster.data
    .range(ROWS, { blocks: __BLOCKS__ })
    .mapBatches(function widen(b) {
      const x = new Float64Array(b.id.length);
      for (let i = 0; i < x.length; i++) x[i] = (b.id[i] % 65536) * 3 + 1;
      return { id: b.id, x };
    })
    .mapBatches(function mix(b) {
      const y = new Float64Array(b.id.length);
      for (let i = 0; i < y.length; i++) y[i] = b.x[i] ^ (b.id[i] & 1023);
      return { y };
    })
    .mapBatches(function summarize(b) {
      let s = 0;
      for (let i = 0; i < b.y.length; i++) s += b.y[i];
      return { n: [b.y.length], s: [s] };
    });
  let count = 0;
  let checksum = 0;
  for await (const batch of ds.iterBatches({ batchFormat: 'columns', prefetchBatches: 2 })) {
    for (let i = 0; i < batch.n.length; i++) {
      count += batch.n[i];
      checksum += batch.s[i];
    }
  }
  const ms = performance.now() - t0;
  if (count !== ROWS) throw new Error(`counted ${count} rows, expected ${ROWS}`);
  return { rows: ROWS, ms, rowsPerSec: (ROWS * 1000) / ms, checksum, operators: ds.lastStats.map((s) => ({ name: s.name, taskMs: Math.round(s.taskMs) })) };
};
