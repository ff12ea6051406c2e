/**
 * Object transfer: the raw data channel, Shoal's bulk layer, and Shoal's whole
 * object plane, in one run.
 *
 *   npm run bench:transfer      (or: npx tsx bench/transfer.ts [--sizes 16,64,256] [--runs N] [--skip-raw])
 *
 * 1. bench/transfer-raw.ts (a child process): a plain RTCDataChannel between
 *    two tabs against BulkEndpoint.fetch over 1/2/4 bulk channels, and the
 *    co-located MessagePort path (see that file).
 * 2. The object plane end to end (jobs/transfer-objects.js) on a local
 *    cluster of 2 worker tabs: a Float64Array and an Arrow table of each size
 *    made on w1 and consumed by a task on w2; timed from the consumer's
 *    submit to its result (fetch, the copy into the Web Worker, decode). Once
 *    with the co-located path off (WebRTC data channels), once with it on.
 *    Meanwhile each tab (coordinator, w1, w2) records the longest stall of
 *    its main thread (a 50 ms interval timer that ran late). Heartbeats are
 *    sent from that thread every second, and a worker silent past 3 s is
 *    declared lost, so this tells a blocked main thread apart from control
 *    messages that queue behind bulk bytes (bench/transfer-raw.ts's pings).
 *
 * Prints JSON lines and a table with each figure's ratio to the raw channel.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startLocalCluster } from '@shoal/launcher';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = argv.indexOf(name);
  return at >= 0 && argv[at + 1] ? argv[at + 1]! : fallback;
};
const SIZES = option('--sizes', '16,64,256').split(',').map(Number);
const RUNS = option('--runs', '3');

/** `--skip-raw`: only part 2 (the object plane and its stall figures). */
const SKIP_RAW = argv.includes('--skip-raw');
if (!SKIP_RAW) console.log(`# 1. raw data channel and the bulk layer (bench/transfer-raw.ts --runs ${RUNS} --sizes ${SIZES.join(',')})`);
const raw = SKIP_RAW ? { stdout: '', stderr: '', status: 0 } : spawnSync(process.execPath, ['--import', 'tsx', 'bench/transfer-raw.ts', '--runs', RUNS, '--sizes', SIZES.join(',')], { cwd: root, encoding: 'utf8' });
process.stdout.write(raw.stdout);
if (raw.status !== 0) process.stderr.write(raw.stderr);
let rawMBps: number | null = null;
for (const line of raw.stdout.split('\n')) {
  if (!line.startsWith('{')) continue;
  try {
    const parsed = JSON.parse(line) as { kind?: string; path?: string; mbPerSec?: number; MBps?: number };
    if ((parsed.kind ?? parsed.path) === 'raw') rawMBps = parsed.mbPerSec ?? parsed.MBps ?? null;
  } catch {
    // not a figure
  }
}

interface Figure {
  kind: 'typed' | 'arrow';
  mib: number;
  ms: number;
  mbPerSec: number;
  n: number;
}

/** Installs a main-thread stall monitor in a page (a 50 ms timer; the longest gap between its runs, less 50 ms). */
const STALL_MONITOR = `(() => {
  const w = globalThis;
  if (w.__stall) return;
  w.__stall = { last: performance.now(), worst: 0 };
  setInterval(() => {
    const now = performance.now();
    w.__stall.worst = Math.max(w.__stall.worst, now - w.__stall.last - 50);
    w.__stall.last = now;
  }, 50);
})()`;
const readStall = (): number => (globalThis as unknown as { __stall: { worst: number } }).__stall.worst;

const job = readFileSync(new URL('./jobs/transfer-objects.js', import.meta.url), 'utf8');
const rows: Array<Figure & { path: string }> = [];
const stallRows: Array<{ path: string; coordinator: number; w1: number; w2: number }> = [];
for (const colocated of [false, true]) {
  const path = colocated ? 'colocated' : 'webrtc';
  console.log(`\n# 2. object plane, ${path}: ${SIZES.join('/')} MiB, typed arrays and Arrow`);
  const cluster = await startLocalCluster({ workers: 2, slotsPerWorker: 1, workerQuery: (i) => `resources=w${i}:1${colocated ? '' : '&colocated=0'}` });
  try {
    await cluster.coordinator.evaluate((sizes) => ((globalThis as { __transferSizes?: number[] }).__transferSizes = sizes), SIZES);
    const tabs = [cluster.coordinator, ...cluster.workers];
    for (const tab of tabs) await tab.evaluate(STALL_MONITOR);
    const outcome = await cluster.runJob(job);
    const stalls = await Promise.all(tabs.map((tab) => tab.evaluate(readStall)));
    const stall = { coordinator: Math.round(stalls[0]!), w1: Math.round(stalls[1]!), w2: Math.round(stalls[2]!) };
    console.log(JSON.stringify({ bench: 'main-thread-stall', path, longestStallMs: stall }));
    stallRows.push({ path, ...stall });
    if (!outcome.ok) {
      console.log(JSON.stringify({ path, error: outcome.error }));
      continue;
    }
    for (const figure of outcome.result as Figure[]) {
      rows.push({ ...figure, path });
      console.log(JSON.stringify({ bench: 'object-plane', path, ...figure, ratioToRaw: rawMBps ? figure.mbPerSec / rawMBps : null }));
    }
  } finally {
    await cluster.close();
  }
}

console.log(`\nraw data channel: ${rawMBps === null ? 'not measured' : `${rawMBps.toFixed(1)} MB/s`}`);
console.log('path        kind    MiB    ms        MB/s     ratio to raw');
for (const row of rows) {
  const ratio = rawMBps ? `${(row.mbPerSec / rawMBps).toFixed(2)}×` : '—';
  console.log(`${row.path.padEnd(11)} ${row.kind.padEnd(7)} ${String(row.mib).padStart(4)}  ${row.ms.toFixed(0).padStart(7)}  ${row.mbPerSec.toFixed(1).padStart(8)}     ${ratio}`);
}
console.log('\nlongest main-thread stall during the run (ms; a heartbeat is due every 1000 ms, a worker silent for 3000 ms is declared lost)');
console.log('path        coordinator      w1      w2');
for (const row of stallRows) console.log(`${row.path.padEnd(11)} ${String(row.coordinator).padStart(11)}  ${String(row.w1).padStart(6)}  ${String(row.w2).padStart(6)}`);
