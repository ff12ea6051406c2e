/**
 * Foundation figures: cold start (CLI start to first task result) and the
 * one-task round trip, with Dask distributed on the same machine as the peer
 * when Debian's python3-distributed is installed.
 *
 *   npm run bench            (or: npx tsx bench/foundation.ts [--runs N])
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startLocalCluster } from '@shoal/launcher';

const root = fileURLToPath(new URL('..', import.meta.url));
const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;

function cliColdStart(): number {
  const t0 = performance.now();
  const run = spawnSync(process.execPath, ['packages/cli/bin/shoal.js', 'run', 'bench/jobs/one-task.js', '--workers', '2', '--json'], { cwd: root, encoding: 'utf8' });
  const wall = performance.now() - t0;
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.status !== 0 || !last.includes('"result":42')) throw new Error(`shoal run failed (${run.status}): ${last}\n${run.stderr}`);
  return wall;
}

/** Debian's python3 (where python3-distributed installs), else whatever is on PATH. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function dask(): { coldStartMs: number; medianMs: number; p95Ms: number } | null {
  const probe = spawnSync(PYTHON, ['-c', 'import distributed'], { encoding: 'utf8' });
  if (probe.status !== 0) return null;
  const run = spawnSync(PYTHON, ['bench/peers/dask_roundtrip.py'], { cwd: root, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`dask peer failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { coldStartMs: number; medianMs: number; p95Ms: number };
}

console.log(`Shoal foundation bench: ${RUNS} runs each, 2 worker tabs, 1 slot each\n`);

const cli = Array.from({ length: RUNS }, cliColdStart);
console.log(`cold start, \`shoal run bench/jobs/one-task.js\` process start → exit: median ${ms(median(cli))} (runs: ${cli.map((x) => x.toFixed(0)).join(', ')})`);

const local = await startLocalCluster({ workers: 2, slotsPerWorker: 1 });
try {
  const t = local.timings;
  const t0 = performance.now();
  const first = await local.runJob(readFileSync(`${root}/bench/jobs/one-task.js`, 'utf8'));
  const firstTask = performance.now() - t0;
  if (!first.ok) throw new Error(JSON.stringify(first.error));
  console.log(
    `cold start phases (in process): server ${ms(t.serverMs)}, browser ${ms(t.browserMs)}, coordinator tab ${ms(t.coordinatorMs)}, ` +
      `worker tabs ${ms(t.workerTabsMs)}, workers ready ${ms(t.workersReadyMs)}, first task ${ms(firstTask)}; total ${ms(t.totalMs + firstTask)}`,
  );
  const rt = await local.runJob(readFileSync(`${root}/bench/jobs/tasks-roundtrip.js`, 'utf8'));
  if (!rt.ok) throw new Error(JSON.stringify(rt.error));
  const r = rt.result as { medianMs: number; p95Ms: number; minMs: number; samples: number };
  console.log(`one-task round trip (${r.samples} sequential): median ${ms(r.medianMs)}, p95 ${ms(r.p95Ms)}, min ${ms(r.minMs)}`);

  const peer = dask();
  if (peer) {
    console.log(`\nDask distributed (LocalCluster, 2 processes × 1 thread), same machine:`);
    console.log(`cold start, interpreter start → first result: ${ms(peer.coldStartMs)}  (Shoal/Dask: ${(median(cli) / peer.coldStartMs).toFixed(2)}×)`);
    console.log(`one-task round trip: median ${ms(peer.medianMs)}, p95 ${ms(peer.p95Ms)}  (Dask/Shoal: ${(peer.medianMs / r.medianMs).toFixed(1)}× faster for Shoal)`);
  } else {
    console.log('\n(peer skipped: `apt-get install -y python3-distributed` to compare with Dask)');
  }
} finally {
  await local.close();
}
