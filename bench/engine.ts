/**
 * The per-partition engine (@shoal/engine) in Node, over the same duckdb-eh.wasm
 * the browser runs: load time, a 10M-row GROUP BY, Arrow IPC export and import
 * speed, and queryPartitioned's two ways of splitting rows into parts:
 *   (a) one query per part over the partitioned temp table (`WHERE __p = i`),
 *       what Engine.queryPartitioned does;
 *   (b) one query ordered by part, exported once, split with apache-arrow
 *       (slice + tableToIPC per part).
 * The browser's load time is printed by e2e/engine.spec.ts.
 *
 *   npx tsx bench/engine.ts [--rows N] [--runs N]
 */
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { loadNodeDatabase } from '@shoal/engine/node';
import type { Engine } from '@shoal/engine';
import { RUNS, median } from './common.ts';

const argv = process.argv.slice(2);
const at = argv.indexOf('--rows');
const ROWS = at >= 0 ? Number(argv[at + 1]) : 10_000_000;

const time = <T>(work: () => T): [T, number] => {
  const started = performance.now();
  const out = work();
  return [out, performance.now() - started];
};
const best = (work: () => unknown): number => median(Array.from({ length: RUNS }, () => time(work)[1]));
const mb = (bytes: number) => bytes / 1e6;

/** Variant (b): one export ordered by part, split by apache-arrow. */
function splitOnce(e: Engine, sql: string, keys: string[], n: number): Uint8Array[] {
  e.exec(`CREATE OR REPLACE TABLE __b AS SELECT *, (hash(${keys.map((k) => `"${k}"`).join(', ')}) % ${n})::INTEGER AS __p FROM (${sql})`);
  const counts = new Array<number>(n).fill(0);
  for (const row of tableFromIPC(e.query('SELECT __p, count(*)::INTEGER AS c FROM __b GROUP BY __p')).toArray()) counts[row.__p as number] = row.c as number;
  const whole = tableFromIPC(e.query('SELECT * EXCLUDE (__p) FROM __b ORDER BY __p'));
  e.exec('DROP TABLE __b');
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const count of counts) {
    parts.push(tableToIPC(whole.slice(start, start + count), 'stream'));
    start += count;
  }
  return parts;
}

const [db, loadMs] = await (async () => {
  const started = performance.now();
  const loaded = await loadNodeDatabase();
  return [loaded, performance.now() - started] as const;
})();
const e = db.session();
console.log(`DuckDB ${db.version} (duckdb-eh.wasm, Node ${process.version}); ${ROWS.toLocaleString()} rows; median of ${RUNS} runs`);
console.log(`load (instantiate + open): ${loadMs.toFixed(0)} ms`);

const [, makeMs] = time(() => e.exec(`CREATE TABLE big AS SELECT (range % 1000)::INTEGER AS k, (range * 0.5)::DOUBLE AS v FROM range(${ROWS})`));
console.log(`make ${ROWS.toLocaleString()} rows (INTEGER k, DOUBLE v) in the engine: ${makeMs.toFixed(0)} ms`);

const groupMs = best(() => e.query('SELECT k, sum(v) AS s, count(*) AS n FROM big GROUP BY k'));
console.log(`GROUP BY k (1000 groups) over ${ROWS.toLocaleString()} rows: ${groupMs.toFixed(0)} ms (${(ROWS / groupMs / 1e3).toFixed(0)} M rows/s)`);

const whole = e.query('SELECT k, v FROM big');
const exportMs = best(() => e.query('SELECT k, v FROM big'));
console.log(`IPC export (query all rows): ${mb(whole.byteLength).toFixed(0)} MB in ${exportMs.toFixed(0)} ms = ${(mb(whole.byteLength) / (exportMs / 1e3)).toFixed(0)} MB/s`);
const loadIpcMs = best(() => e.load('copy', whole));
console.log(`IPC load (load one stream): ${mb(whole.byteLength).toFixed(0)} MB in ${loadIpcMs.toFixed(0)} ms = ${(mb(whole.byteLength) / (loadIpcMs / 1e3)).toFixed(0)} MB/s`);
const decodeMs = best(() => tableFromIPC(whole));
console.log(`apache-arrow 21 tableFromIPC of it: ${decodeMs.toFixed(1)} ms`);

for (const n of [2, 8]) {
  const a = best(() => e.queryPartitioned('SELECT k, v FROM big', ['k'], n));
  const b = best(() => splitOnce(e, 'SELECT k, v FROM big', ['k'], n));
  console.log(`queryPartitioned n=${n} over ${ROWS.toLocaleString()} rows: (a) n queries ${a.toFixed(0)} ms, (b) one ordered export + split ${b.toFixed(0)} ms`);
}
e.close();
