/**
 * Actor call latency and throughput: Shoal (2 worker tabs × 1 slot) against
 * Dask distributed's actors (LocalCluster, 2 processes × 1 thread) on the same
 * machine.
 *
 *   npm run bench:actors     (or: npx tsx bench/actors.ts [--runs N] [--no-dask] [--build])
 *
 * Workloads, the same for both systems (see bench/README.md, "Actors"):
 *   actor-roundtrip  one counter actor; 30 warm-up, then 300 sequential
 *                    `get(h.add(1))`; median and p90
 *   actor-pipelined  5,000 `h.add(1)` calls submitted without waiting, then all
 *                    fetched (100-call warm-up); calls/s; the final value is checked
 *   actor-fanin      one task takes the handle and makes 100 sequential
 *                    `ctx.get(handle.add(1))` calls; ms per call, timed in the task
 *
 * Each workload runs --runs times (default 3) and the median run is reported:
 * one JSON line per (system, workload), then a table with the Shoal advantage.
 * Timing happens inside the job (performance.now() in the coordinator tab, or
 * in the task's Web Worker for actor-fanin) and inside the Python script, so
 * neither side counts process or cluster startup.
 *
 *   --no-dask   Shoal only
 *   --build     rebuild the pages (vite build) first
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalCluster, type LocalCluster } from '@shoal/launcher';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/[\\/]$/, '');
const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(name);
const runsAt = argv.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(argv[runsAt + 1]) : 3;
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error(`--runs takes a whole number ≥ 1, got ${argv[runsAt + 1]}`);
  process.exit(2);
}
const WORKERS = 2;
const SLOTS = 1;

type Workload = 'actor-roundtrip' | 'actor-pipelined' | 'actor-fanin';
interface Figures {
  callsPerSec?: number;
  medianMs?: number;
  p90Ms?: number;
  msPerCall?: number;
}
type Line = { system: 'shoal' | 'dask'; workload: Workload } & Figures & Record<string, unknown>;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** The run whose `key` is the median one (the upper middle for an even count). */
const medianRun = <T extends Record<string, unknown>>(runs: T[], key: keyof T): T =>
  [...runs].sort((a, b) => (a[key] as number) - (b[key] as number))[Math.floor(runs.length / 2)]!;

// ---------------------------------------------------------------- the pages

/** Warns when a browser-side source is newer than the built pages (the launcher never rebuilds). */
function checkDist(): void {
  const built = join(root, 'dist', 'coordinator.html');
  if (!existsSync(built)) return; // the launcher builds a missing dist/
  const builtAt = statSync(built).mtimeMs;
  const newer: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(path);
      } else if (/\.(ts|js|html|css|wgsl)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) && statSync(path).mtimeMs > builtAt) {
        newer.push(path.slice(root.length + 1));
      }
    }
  };
  walk(join(root, 'apps'));
  for (const pkg of readdirSync(join(root, 'packages'))) walk(join(root, 'packages', pkg, 'src'));
  if (newer.length > 0) {
    console.log(
      `warning: dist/ is older than ${newer.length} source file(s) (${newer.slice(0, 3).join(', ')}${newer.length > 3 ? ', ...' : ''}); ` +
        'the pages may be stale. Rebuild with `npx vite build --logLevel warn` or pass --build.\n',
    );
  }
}

async function buildPages(): Promise<void> {
  const { build } = await import('vite');
  const t0 = performance.now();
  await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
  console.log(`built the pages in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

// ---------------------------------------------------------------- Shoal

const JOBS: Record<Workload, string> = {
  'actor-roundtrip': 'bench/jobs/actors-roundtrip.js',
  'actor-pipelined': 'bench/jobs/actors-pipelined.js',
  'actor-fanin': 'bench/jobs/actors-fanin.js',
};

/** Runs one job module; returns its result, or throws with the job's error verbatim. */
async function runJobFile(cluster: LocalCluster, workload: Workload): Promise<Record<string, number>> {
  const outcome = await cluster.runJob(readFileSync(join(root, JOBS[workload]), 'utf8'));
  if (!outcome.ok) {
    const e = outcome.error;
    const remote = e.remote ? `\n  remote: ${JSON.stringify(e.remote)}` : '';
    throw new Error(`${e.code}: ${e.message}${remote}${e.stack ? `\n  stack: ${e.stack}` : ''}`);
  }
  return outcome.result as Record<string, number>;
}

async function shoalWorkload(cluster: LocalCluster, workload: Workload): Promise<Line> {
  const runs: Record<string, number>[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await runJobFile(cluster, workload));
  switch (workload) {
    case 'actor-roundtrip':
      return {
        system: 'shoal',
        workload,
        medianMs: median(runs.map((r) => r.medianMs!)),
        p90Ms: median(runs.map((r) => r.p90Ms!)),
        runs: runs.map((r) => ({ medianMs: r.medianMs, p90Ms: r.p90Ms, minMs: r.minMs, maxMs: r.maxMs })),
      };
    case 'actor-pipelined': {
      const m = medianRun(runs, 'callsPerSec');
      return { system: 'shoal', workload, callsPerSec: m.callsPerSec!, runs: runs.map((r) => r.callsPerSec), median: m };
    }
    case 'actor-fanin': {
      const m = medianRun(runs, 'msPerCall');
      return { system: 'shoal', workload, msPerCall: m.msPerCall!, runs: runs.map((r) => r.msPerCall), median: m };
    }
  }
}

// ---------------------------------------------------------------- Dask

/** Debian's python3 (where python3-distributed installs). */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const hasDistributed = (): boolean => spawnSync(PYTHON, ['-c', 'import distributed'], { encoding: 'utf8' }).status === 0;

/** Makes sure `import distributed` works, installing Debian's package when running as root. */
function ensureDask(): boolean {
  if (hasDistributed()) return true;
  if (process.getuid?.() === 0) {
    console.log(`\n${PYTHON}: no module named distributed; running \`apt-get install -y python3-distributed\` ...`);
    const apt = spawnSync('apt-get', ['install', '-y', 'python3-distributed'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (apt.status === 0 && hasDistributed()) return true;
    console.log('apt-get install -y python3-distributed failed (try `apt-get update` first).');
  }
  console.log(`\nDask skipped: ${PYTHON} cannot import distributed. Install it with \`sudo apt-get install -y python3-distributed\` and run again.`);
  return false;
}

function runDask(): Line[] {
  const run = spawnSync(PYTHON, ['bench/peers/dask_actors.py', '--runs', String(RUNS)], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  const lines = run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
  if (run.status !== 0) {
    console.log(`\nDask peer failed (exit ${run.status}):\n${run.stderr.trim().split('\n').slice(-20).join('\n')}`);
  }
  return lines;
}

// ---------------------------------------------------------------- report

function report(results: Line[]): void {
  const find = (system: Line['system'], workload: Workload): Line | undefined => results.find((r) => r.system === system && r.workload === workload);
  const num = (line: Line | undefined, key: keyof Figures): number | undefined => line?.[key];
  const rate = (x: number | undefined): string => (x === undefined ? '—' : `${x.toFixed(0)} calls/s`);
  const ms = (x: number | undefined): string => (x === undefined ? '—' : `${x.toFixed(2)} ms`);
  const ratio = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '—' : `${x.toFixed(x < 10 ? 1 : 0)}×`);

  const rows: [string, Workload, keyof Figures, 'higher' | 'lower', (x: number | undefined) => string][] = [
    ['round trip median', 'actor-roundtrip', 'medianMs', 'lower', ms],
    ['round trip p90', 'actor-roundtrip', 'p90Ms', 'lower', ms],
    ['5k pipelined calls', 'actor-pipelined', 'callsPerSec', 'higher', rate],
    ['from a task, /call', 'actor-fanin', 'msPerCall', 'lower', ms],
  ];
  console.log(`\n${'workload'.padEnd(21)}${'Shoal'.padEnd(17)}${'Dask'.padEnd(17)}ratio (Shoal advantage)`);
  for (const [label, workload, key, better, fmt] of rows) {
    const s = num(find('shoal', workload), key);
    const d = num(find('dask', workload), key);
    const adv = s === undefined || d === undefined ? undefined : better === 'higher' ? s / d : d / s;
    console.log(`${label.padEnd(21)}${fmt(s).padEnd(17)}${fmt(d).padEnd(17)}${ratio(adv)}`);
  }
}

// ---------------------------------------------------------------- main

console.log(`Shoal actor bench: ${RUNS} run(s) per workload, median run reported; Shoal ${WORKERS} worker tabs × ${SLOTS} slot, Dask LocalCluster ${WORKERS} processes × 1 thread\n`);
if (flag('--build')) await buildPages();
else checkDist();

const results: Line[] = [];
const failures: string[] = [];
const cluster = await startLocalCluster({ workers: WORKERS, slotsPerWorker: SLOTS });
try {
  for (const workload of Object.keys(JOBS) as Workload[]) {
    try {
      const line = await shoalWorkload(cluster, workload);
      results.push(line);
      console.log(JSON.stringify(line));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push(`shoal ${workload}: ${message}`);
      console.log(JSON.stringify({ system: 'shoal', workload, error: message }));
    }
  }
} finally {
  await cluster.close();
}

if (!flag('--no-dask') && ensureDask()) {
  for (const line of runDask()) {
    results.push(line);
    console.log(JSON.stringify(line));
  }
}

report(results);
if (failures.length > 0) {
  console.log(`\nfailed:\n${failures.map((f) => `  ${f}`).join('\n')}`);
  process.exitCode = 1;
}
