// A tree reduction that survives lost workers. 128 leaf tasks each make a
// 1 MiB Float64Array; pairs are added level by level (127 add tasks) and a
// last task sums the root: 256 tasks, with large intermediate arrays that live
// only on the worker tabs that made them. If a tab goes away mid-run (closed,
// crashed, `shoal run --chaos kill-worker@2`), the arrays it held are made
// again by re-running the tasks that made them (lineage), recursively, and
// the result is still exact: every value is a whole number below 2^53.
const LEAVES = 128;
const LENGTH = 131072; // float64s per array: 1 MiB
const WORK_MS = 25; // busy time per task, so the run lasts long enough to lose a worker in it

export default async function resilientTree(cluster) {
  const leaf = cluster.remote(
    (i, n, ms) => {
      const end = Date.now() + ms;
      while (Date.now() < end);
      const a = new Float64Array(n);
      for (let k = 0; k < n; k++) a[k] = i + (k % 7);
      return a;
    },
    { name: 'leaf' },
  );
  const add = cluster.remote(
    (a, b, ms) => {
      const end = Date.now() + ms;
      while (Date.now() < end);
      const c = new Float64Array(a.length);
      for (let k = 0; k < a.length; k++) c[k] = a[k] + b[k];
      return c;
    },
    { name: 'add' },
  );
  const total = cluster.remote(
    (a) => {
      let s = 0;
      for (let k = 0; k < a.length; k++) s += a[k];
      return s;
    },
    { name: 'total' },
  );

  const started = Date.now();
  let level = [];
  for (let i = 0; i < LEAVES; i++) level.push(leaf(i, LENGTH, WORK_MS));
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? add(level[i], level[i + 1], WORK_MS) : level[i]);
    // Let go of our handles: each array is released once its consumer is done
    // (its lineage stays while the root can need it, to remake it if lost).
    cluster.free(level.filter((ref) => !next.includes(ref)));
    level = next;
  }
  const sum = await cluster.get(total(level[0]));

  // Σ_i Σ_k (i + k mod 7) = LENGTH · Σ i + LEAVES · Σ_k (k mod 7)
  let perLeaf = 0;
  for (let k = 0; k < LENGTH; k++) perLeaf += k % 7;
  const expected = (LENGTH * LEAVES * (LEAVES - 1)) / 2 + LEAVES * perLeaf;
  return { sum, expected, correct: sum === expected, tasks: 2 * LEAVES, ms: Date.now() - started };
}
