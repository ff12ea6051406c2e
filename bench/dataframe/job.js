// The Shoal side of bench/dataframe.ts, run as one job on a local cluster.
// bench/dataframe.ts prepends `const PARAMS = {...};` (see bench/dataframe/shoal.ts):
//   groupby, join   CSV paths inside the server's --data folder
//   partitions      x is repartitioned to this many partitions before cache() (0: as read)
//   runs            timed runs per workload
//   timeoutMs       a run that takes longer fails
//   only            workload ids to run (empty: all)
//   questions       [{id, sql: [text, fallback...], chk: [column...]}]
//   joinSql, joinChk
// Everything is timed here with performance.now(), in the coordinator tab, on
// data already cached on the workers; the load is timed separately. Each
// question's answer comes back to the coordinator (toArrow(), or collect()
// where toArrow is missing), as Dask's `.compute()` brings a pandas frame home.
// A workload that fails records its error and the others still run.
/* global PARAMS */
export default async (cluster) => {
  const P = PARAMS;
  const wanted = (id) => P.only.length === 0 || P.only.includes(id);
  const out = { workloads: {}, errors: {} };
  // Times one run; a run past P.timeoutMs fails (what it started may go on in the background).
  const time = async (fn) => {
    const t0 = performance.now();
    let timer;
    const limit = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${P.timeoutMs / 1000} s`)), P.timeoutMs);
    });
    try {
      const value = await Promise.race([fn(), limit]);
      return [value, performance.now() - t0];
    } finally {
      clearTimeout(timer);
    }
  };
  const upperMedian = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const message = (e) => (e && typeof e === 'object' && 'code' in e ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e));
  const num = (v) => (v === null || v === undefined ? NaN : typeof v === 'bigint' ? Number(v) : Number(v));

  // An answer, materialized on the coordinator: an Arrow Table if the API has toArrow, else rows.
  const materialize = async (df) => (typeof df.toArrow === 'function' ? { via: 'toArrow', value: await df.toArrow() } : { via: 'collect', value: await df.collect() });
  const rowCount = (v) => (Array.isArray(v) ? v.length : v.numRows);
  const columnSum = (v, name) => {
    let sum = 0;
    if (Array.isArray(v)) {
      for (const row of v) if (row[name] !== null && row[name] !== undefined) sum += num(row[name]);
      return sum;
    }
    const column = v.getChild(name);
    if (!column) return NaN;
    for (const x of column) if (x !== null && x !== undefined) sum += num(x);
    return sum;
  };

  // The coordinator tab's query log (the dashboard's Queries view), when this job runs in that tab:
  // each workload's last run gets its actions' stages (time, tasks, rows, bytes) as `queries`.
  const logged = () => globalThis.shoalCoordinator?.queries?.() ?? [];
  const mark = () => new Set(logged().map((r) => `${r.job}:${r.id}`));
  const since = (seen) =>
    logged()
      .filter((r) => !seen.has(`${r.job}:${r.id}`))
      .map((r) => ({
        action: r.action,
        ms: r.ms,
        rowsOut: r.rowsOut,
        stages: r.stages.map((st) => ({ name: st.name, tasks: st.tasks, ms: st.ms, taskMs: st.taskMs, keptBlocks: st.keptBlocks, phaseMs: st.phaseMs, rowsOut: st.rowsOut, bytesIn: st.bytesIn, bytesOut: st.bytesOut, notes: st.notes })),
      }));

  // Runs `sql` texts in order until one works; answers which one and its timing.
  const runSql = async (texts) => {
    const failed = [];
    for (const [i, text] of texts.entries()) {
      try {
        const [answer, ms] = await time(async () => materialize(cluster.sql(text)));
        return { sqlVariant: i, answer, ms, failed };
      } catch (e) {
        failed.push(`sql[${i}]: ${message(e)}`);
      }
    }
    throw new Error(failed.join(' | '));
  };

  // ---- load (once)
  let seen = mark();
  const read = cluster.read.csv(P.groupby, { header: true });
  const x = (P.partitions > 0 ? read.repartition(P.partitions) : read).cache();
  const [rows, loadMs] = await time(() => x.count());
  out.workloads.load = { ms: loadMs, runs: [loadMs], outRows: Number(rows), partitions: P.partitions, queries: since(seen) };
  await x.createOrReplaceTempView('x'); // await: harmless if it returns nothing
  seen = mark();
  const y = cluster.read.csv(P.join, { header: true }).cache();
  const [joinRows, loadJoinMs] = await time(() => y.count());
  out.workloads.loadJoin = { ms: loadJoinMs, runs: [loadJoinMs], outRows: Number(joinRows), queries: since(seen) };
  await y.createOrReplaceTempView('y');

  /** Runs one SQL workload `P.runs` times; its record carries the median, each run, the answer's row count and column sums. */
  const sqlWorkload = async (id, sql, chkCols) => {
    try {
      const runs = [];
      let last;
      let queries;
      for (let r = 0; r < P.runs; r++) {
        const seen = mark();
        last = await runSql(sql);
        runs.push(last.ms);
        queries = since(seen);
      }
      const v = last.answer.value;
      out.workloads[id] = {
        queries,
        ms: upperMedian(runs),
        runs,
        outRows: rowCount(v),
        chk: chkCols.map((c) => columnSum(v, c)),
        via: last.answer.via,
        sql: sql[last.sqlVariant],
        ...(last.failed.length > 0 ? { fallbackFrom: last.failed } : {}),
      };
    } catch (e) {
      out.errors[id] = message(e);
    }
  };

  // ---- q1..q10
  for (const q of P.questions) if (wanted(q.id)) await sqlWorkload(q.id, q.sql, q.chk);

  // ---- sort: every row by v3, kept on the workers (cache + count); chk: the count and the first three v3.
  if (wanted('sort')) {
    try {
      const runs = [];
      let chk;
      let outRows;
      let headMs;
      let queries;
      for (let r = 0; r < P.runs; r++) {
        const seen = mark();
        const sorted = x.orderBy('v3').cache();
        const [n, ms] = await time(() => sorted.count());
        runs.push(ms);
        outRows = Number(n);
        const [head, ms3] = await time(() => sorted.take(3));
        headMs = ms3;
        chk = head.map((row) => num(row.v3));
        queries = since(seen);
        await sorted.unpersist?.();
      }
      // headMs: the take(3) after the timed count; large if cache() did not keep the sorted rows.
      out.workloads.sort = { ms: upperMedian(runs), runs, outRows, chk, headMs, queries };
    } catch (e) {
      out.errors.sort = message(e);
    }
  }

  // ---- join: x ⋈ y on id6 (inner); only the count and sums come home.
  if (wanted('join')) await sqlWorkload('join', P.joinSql, P.joinChk);

  await x.unpersist?.();
  await y.unpersist?.();
  return out;
};
