/**
 * Task throughput and latency: Shoal (2 worker tabs × 1 slot) against Dask
 * distributed (LocalCluster, 2 processes × 1 thread) on the same machine.
 *
 *   npm run bench:tasks      (or: npx tsx bench/tasks.ts [--runs N] [--no-dask] [--build] [--profile])
 *
 * Workloads, the same for both systems (see bench/README.md):
 *   trivial-10k  10,000 `x => x + 1` tasks, submit all then get all (500-task warm-up)
 *   roundtrip    30 warm-up, then 300 sequential submit + get; median and p90
 *   chain-1000   each task takes the previous task's ref; submit all, get the last
 *
 * Each workload runs --runs times (default 3) and the median run is reported:
 * one JSON line per (system, workload), then a table and the goals line.
 * Timing happens inside the job (performance.now() in the coordinator tab) and
 * inside the Python script, so neither side counts process or cluster startup.
 *
 *   --no-dask   Shoal only
 *   --build     rebuild the pages (vite build) first
 *   --profile   after the timed runs, record a CPU profile of the coordinator tab
 *               and of worker tab w1 during one more trivial-10k run, write the
 *               .cpuprofile files to the temp dir and print the top self times
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
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

type Workload = 'trivial-10k' | 'roundtrip' | 'chain-1000';
interface Figures {
  tasksPerSec?: number;
  medianMs?: number;
  p90Ms?: number;
  msPerLink?: number;
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
  'trivial-10k': 'bench/jobs/tasks-trivial.js',
  roundtrip: 'bench/jobs/tasks-roundtrip.js',
  'chain-1000': 'bench/jobs/tasks-chain.js',
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
    case 'trivial-10k': {
      const m = medianRun(runs, 'tasksPerSec');
      return { system: 'shoal', workload, tasksPerSec: m.tasksPerSec!, runs: runs.map((r) => r.tasksPerSec), median: m };
    }
    case 'roundtrip':
      return {
        system: 'shoal',
        workload,
        medianMs: median(runs.map((r) => r.medianMs!)),
        p90Ms: median(runs.map((r) => r.p90Ms!)),
        runs: runs.map((r) => ({ medianMs: r.medianMs, p90Ms: r.p90Ms, minMs: r.minMs, maxMs: r.maxMs })),
      };
    case 'chain-1000': {
      const m = medianRun(runs, 'msPerLink');
      return { system: 'shoal', workload, msPerLink: m.msPerLink!, runs: runs.map((r) => r.msPerLink), median: m };
    }
  }
}

// ---------------------------------------------------------------- profiling (optional)

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function topSelfTimes(profile: CpuProfile, count: number): string[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i + 1] ?? 0; // a sample's time runs until the next one
    const f = byNode.get(id)!.callFrame;
    const file = f.url.split('/').at(-1) ?? '';
    const key = f.url ? `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}` : f.functionName;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, us]) => `${(us / 1000).toFixed(0).padStart(6)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`);
}

async function profileTrivial(cluster: LocalCluster): Promise<void> {
  const tabs: [string, Page][] = [['coordinator', cluster.coordinator], ['w1', cluster.workers[0]!]];
  const sessions = await Promise.all(tabs.map(([, page]) => cluster.context.newCDPSession(page)));
  for (const s of sessions) {
    await s.send('Profiler.enable');
    await s.send('Profiler.setSamplingInterval', { interval: 100 });
    await s.send('Profiler.start');
  }
  const result = await runJobFile(cluster, 'trivial-10k');
  const dir = join(tmpdir(), 'shoal-bench-profiles');
  mkdirSync(dir, { recursive: true });
  console.log(`\nCPU profile of one more trivial-10k run (${result.tasksPerSec!.toFixed(0)} tasks/s while profiling; includes the 500-task warm-up):`);
  for (const [i, s] of sessions.entries()) {
    const { profile } = (await s.send('Profiler.stop')) as unknown as { profile: CpuProfile };
    const file = join(dir, `tasks-trivial-${tabs[i]![0]}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    console.log(`\n${tabs[i]![0]} tab main thread, top self time (${file}):`);
    for (const line of topSelfTimes(profile, 15)) console.log(`  ${line}`);
    await s.detach();
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
  const run = spawnSync(PYTHON, ['bench/peers/dask_tasks.py', '--runs', String(RUNS)], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
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
  const rate = (x: number | undefined): string => (x === undefined ? '—' : `${x.toFixed(0)} tasks/s`);
  const ms = (x: number | undefined): string => (x === undefined ? '—' : `${x.toFixed(2)} ms`);
  const ratio = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '—' : `${x.toFixed(x < 10 ? 1 : 0)}×`);

  const rows: [string, Workload, keyof Figures, 'higher' | 'lower', (x: number | undefined) => string][] = [
    ['10k trivial tasks', 'trivial-10k', 'tasksPerSec', 'higher', rate],
    ['round trip median', 'roundtrip', 'medianMs', 'lower', ms],
    ['round trip p90', 'roundtrip', 'p90Ms', 'lower', ms],
    ['chain, per link', 'chain-1000', 'msPerLink', 'lower', ms],
  ];
  console.log(`\n${'workload'.padEnd(20)}${'Shoal'.padEnd(15)}${'Dask'.padEnd(15)}ratio (Shoal advantage)`);
  for (const [label, workload, key, better, fmt] of rows) {
    const s = num(find('shoal', workload), key);
    const d = num(find('dask', workload), key);
    const adv = s === undefined || d === undefined ? undefined : better === 'higher' ? s / d : d / s;
    console.log(`${label.padEnd(20)}${fmt(s).padEnd(15)}${fmt(d).padEnd(15)}${ratio(adv)}`);
  }

  const tps = num(find('shoal', 'trivial-10k'), 'tasksPerSec');
  const daskTps = num(find('dask', 'trivial-10k'), 'tasksPerSec');
  const rt = num(find('shoal', 'roundtrip'), 'medianMs');
  const link = num(find('shoal', 'chain-1000'), 'msPerLink');
  const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'n/a' : ok ? 'met' : 'missed');
  const goals = [
    `≥10× Dask tasks/s: ${verdict(tps === undefined || daskTps === undefined ? undefined : tps >= 10 * daskTps)}` +
      (tps !== undefined && daskTps !== undefined ? ` (${(tps / daskTps).toFixed(1)}×)` : ''),
    `round trip ≤1.5 ms: ${verdict(rt === undefined ? undefined : rt <= 1.5)}${rt !== undefined ? ` (median ${rt.toFixed(2)} ms)` : ''}`,
    `chain link ≤1.5 ms: ${verdict(link === undefined ? undefined : link <= 1.5)}${link !== undefined ? ` (${link.toFixed(2)} ms)` : ''}`,
  ];
  console.log(`\ngoals: ≥10× Dask tasks/s, round trip ≤1.5 ms, chain link ≤1.5 ms`);
  console.log(`       ${goals.join('; ')}`);
}

// ---------------------------------------------------------------- main

console.log(`Shoal task bench: ${RUNS} run(s) per workload, median run reported; Shoal ${WORKERS} worker tabs × ${SLOTS} slot, Dask LocalCluster ${WORKERS} processes × 1 thread\n`);
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
  if (flag('--profile')) await profileTrivial(cluster);
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
