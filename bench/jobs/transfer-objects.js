// Object transfer through the whole object plane: a task on worker w1 makes an
// object, a task on worker w2 consumes it. Timed from the consumer's submit
// (the object already made and stored on w1) to its result: fetch over the
// bulk path, the copy into w2's Web Worker, decode. Sizes in MiB come from
// globalThis.__transferSizes. Used by bench/transfer.ts.
export default async (cluster) => {
  const sizes = globalThis.__transferSizes ?? [16, 64, 256];
  const on = (w) => ({ resources: { custom: { [w]: 1 } } });
  const makeTyped = cluster.remote((mib) => new Float64Array((mib * 1024 * 1024) / 8).fill(1.5), { name: 'makeTyped', ...on('w1') });
  const makeArrow = cluster.remote((mib, ctx) => {
    const n = (mib * 1024 * 1024) / 16;
    const a = new Float64Array(n), b = new Float64Array(n);
    for (let i = 0; i < n; i++) { a[i] = i; b[i] = 1; }
    return ctx.arrow.tableFromArrays({ a, b });
  }, { name: 'makeArrow', ...on('w1') });
  const lengthOf = cluster.remote((x) => (x.numRows !== undefined ? x.numRows : x.length), { name: 'consume', ...on('w2') });
  await cluster.get(lengthOf(makeTyped(1))); // warm-up: links, functions
  const results = [];
  for (const kind of ['typed', 'arrow']) {
    for (const mib of sizes) {
      const ref = kind === 'typed' ? makeTyped(mib) : makeArrow(mib);
      await cluster.wait([ref]);
      const t0 = performance.now();
      const n = await cluster.get(lengthOf(ref));
      const ms = performance.now() - t0;
      cluster.free(ref);
      results.push({ kind, mib, ms, mbPerSec: (mib * 1024 * 1024) / 1e6 / (ms / 1000), n });
    }
  }
  return results;
};
