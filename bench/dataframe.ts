/**
 * DataFrames and SQL: Shoal (N worker tabs × 1 slot, default 2) against
 * dask.dataframe on LocalCluster(2 processes × 1 thread), on the same CSV:
 * h2oai/db-benchmark's groupby table G1_1e7_1e2_0_0 (10M rows, K = 100).
 *
 *   npm run bench:dataframe     (or: npx tsx bench/dataframe.ts [flags])
 *
 * Workloads (see bench/README.md and bench/dataframe/queries.ts):
 *   load      the CSV read into the workers' memory (Shoal: read.csv →
 *             repartition → cache → count; Dask: read_csv → persist), timed apart
 *   q1..q10   db-benchmark's groupby questions, on the loaded data; each
 *             answer comes back to the driver
 *   sort      every row ordered by v3, kept on the workers
 *   join      G1 (10M) ⋈ J1 (100k unique id6 keys, 90 % matching) on id6, inner;
 *             only the count and two sums come back
 *
 * Flags:
 *   --rows N         rows of the G1 table (default 1e7; 1e6 for a quick run)
 *   --tabs 1,2,4     worker tab counts for the Shoal side, one cluster each (default 2)
 *   --partitions P   repartition the cached table to P (default: none; the CSV scan splits the file into byte
 *                    ranges, at least one per tab and at most 64 MiB each, as Spark's maxSplitBytes)
 *   --runs R         timed runs per workload, median reported (default 3)
 *   --only q1,sort   only these workloads (the loads always run)
 *   --task-memory M  the worker tabs' cap on a task's binary memory, MiB (taskMemory=M; 0: none;
 *                    default the worker page's, 1024)
 *   --page-log FILE  append every page console line (coordinator, workers), timestamped, to FILE
 *   --timeout S      a Shoal or native run of one workload that takes longer fails (default 600)
 *   --skip-dask      Shoal only (also --no-dask)    --skip-shoal  Dask only
 *   --stages         print where each Shoal workload's time goes: its actions'
 *                    stages from the coordinator's query log (and keep them in the JSON lines)
 *   --native         also run the same job on native DuckDB, one thread, in
 *                    this process (a yardstick; bench/dataframe/native.ts)
 *   --split N        hand both systems G1 as N CSV files (a glob) instead of one file
 *   --data DIR       bench data folder (default /tmp/shoal-bench-data); the
 *                    CSVs go to DIR/h2o/ and are reused while rows and seed match
 *   --build          rebuild the pages (vite build) first
 *
 * Prints one JSON line per (system, tabs, workload), then the table, the
 * result check (row counts and column sums must agree with Dask's, else a
 * loud MISMATCH and exit status 1) and the goals line.
 */
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureAppsBuilt } from '@shoal/launcher';
import { RUNS, buildPages, checkDist, flag } from './common.ts';
import { daskAvailable, runDask } from './dataframe/dask.ts';
import { ensureBenchData, prettyRows, splitGroupby } from './dataframe/datagen.ts';
import { runNative } from './dataframe/native.ts';
import { checkResults, printGoals, printStages, printTable, shoalLabel, type Sides } from './dataframe/report.ts';
import { runShoal, type SideResult } from './dataframe/shoal.ts';

const argv = process.argv.slice(2);
function option(name: string): string | undefined {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
}
function usage(message: string): never {
  console.error(message);
  process.exit(2);
}

const rows = Number(option('--rows') ?? 1e7);
if (!Number.isInteger(rows) || rows < 100) usage(`--rows takes a whole number ≥ 100 (1e6 works), got ${option('--rows')}`);
const tabCounts = (option('--tabs') ?? '2').split(',').map(Number);
if (tabCounts.some((n) => !Number.isInteger(n) || n < 1)) usage(`--tabs takes whole numbers ≥ 1, comma-separated, got ${option('--tabs')}`);
const partitionsFlag = option('--partitions');
if (partitionsFlag !== undefined && !(Number.isInteger(Number(partitionsFlag)) && Number(partitionsFlag) >= 1)) usage(`--partitions takes a whole number ≥ 1, got ${partitionsFlag}`);
const only = (option('--only') ?? '').split(',').filter(Boolean);
const taskMemoryFlag = option('--task-memory');
if (taskMemoryFlag !== undefined && !(Number.isInteger(Number(taskMemoryFlag)) && Number(taskMemoryFlag) >= 0)) usage(`--task-memory takes MiB ≥ 0, got ${taskMemoryFlag}`);
const pageLogFile = option('--page-log');
const pageLog = pageLogFile ? { pageLog: (source: string, text: string) => appendFileSync(pageLogFile, `${new Date().toISOString()} [${source}] ${text}\n`) } : {};
const timeoutS = Number(option('--timeout') ?? 600);
if (!(timeoutS > 0)) usage(`--timeout takes seconds > 0, got ${option('--timeout')}`);
const dataDir = option('--data') ?? join(tmpdir(), 'shoal-bench-data');
const skipDask = flag('--skip-dask') || flag('--no-dask');
const skipShoal = flag('--skip-shoal');

console.log(
  `Shoal DataFrame bench: db-benchmark G1_${prettyRows(rows)}_1e2_0_0, ${RUNS} run(s) per workload, median reported; ` +
    `Shoal ${tabCounts.join(', ')} worker tab(s) × 1 slot, Dask LocalCluster 2 processes × 1 thread\n`,
);
if (!skipShoal) {
  if (flag('--build')) await buildPages();
  else if ((await ensureAppsBuilt()).built) console.log('built the pages (none were there)\n');
  else checkDist();
}

const split = Number(option('--split') ?? 1);
if (!Number.isInteger(split) || split < 1) usage(`--split takes a whole number ≥ 1, got ${option('--split')}`);
const data = splitGroupby(ensureBenchData(dataDir, rows), split);
console.log(`data: ${data.dir}/${data.groupby} (${data.rows.toLocaleString('en-US')} rows) and ${data.join} (${data.joinRows.toLocaleString('en-US')} rows), ${(data.bytes / 1e6).toFixed(0)} MB\n`);

const failures: string[] = [];
const printLine = (line: Record<string, unknown>): void => console.log(JSON.stringify(line));
const noteErrors = (label: string, side: SideResult): void => {
  for (const [workload, error] of Object.entries(side.errors)) {
    failures.push(`${label} ${workload}: ${error}`);
    printLine({ system: label.split(' ')[0]!.toLowerCase(), workload, error });
  }
};

const sides: Sides = { shoal: [] };
if (!skipShoal) {
  for (const tabs of tabCounts) {
    // By default the scan's own partitions are kept: byte ranges of the CSV, at least one per tab, each at most 64 MiB (or the --split files).
    const partitions = partitionsFlag !== undefined ? Number(partitionsFlag) : 0;
    console.log(`Shoal, ${tabs} worker tab(s), ${partitions > 0 ? `${partitions} partition(s)` : split > 1 ? `${split} files as read` : 'partitions as read (CSV byte ranges: at least one per tab, at most 64 MiB each)'} ...`);
    const t0 = performance.now();
    const taskMemory = taskMemoryFlag !== undefined ? { taskMemoryMiB: Number(taskMemoryFlag) } : {};
    const side = await runShoal({ data, tabs, partitions, runs: RUNS, only, timeoutMs: timeoutS * 1000, ...taskMemory, ...pageLog, log: (l) => console.log(l) });
    for (const [workload, { queries, ...figures }] of Object.entries(side.workloads)) printLine({ system: 'shoal', tabs, workload, ...figures, ...(flag('--stages') ? { queries } : {}) });
    noteErrors(shoalLabel(tabs), side);
    console.log(`  (${((performance.now() - t0) / 1000).toFixed(0)} s with cluster start and close)\n`);
    sides.shoal.push([tabs, side]);
  }
}
if (flag('--native')) {
  console.log('native DuckDB, 1 thread ...');
  const native = await runNative({ data, partitions: 1, runs: RUNS, only, timeoutMs: timeoutS * 1000 });
  for (const [workload, figures] of Object.entries(native.workloads)) printLine({ system: 'native-duckdb', workload, ...figures });
  noteErrors('native-duckdb', native);
  sides.native = native;
}
if (!skipDask && daskAvailable()) {
  console.log('Dask, LocalCluster(2, 1) ...');
  const dask = await runDask({ data, runs: RUNS, only, onLine: printLine });
  noteErrors('Dask', dask);
  sides.dask = dask;
}

printTable(sides);
if (flag('--stages')) for (const [tabs, side] of sides.shoal) printStages(shoalLabel(tabs), side);
const mismatches = checkResults(sides);
printGoals(sides);
if (failures.length > 0) console.log(`\nfailed:\n${failures.map((f) => `  ${f}`).join('\n')}`);
if (failures.length > 0 || mismatches.length > 0) process.exitCode = 1;
