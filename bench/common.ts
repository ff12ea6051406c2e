/**
 * What the benches that run a Shoal job beside a Dask peer share: the
 * command line (--runs, flags), medians, the pages' freshness, running a
 * job file on a local cluster, and running the Python peer.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalCluster } from '@shoal/launcher';

export const root = fileURLToPath(new URL('..', import.meta.url)).replace(/[\\/]$/, '');
const argv = process.argv.slice(2);
export const flag = (name: string): boolean => argv.includes(name);
/** The value after `--name` on the command line (`arg('tabs')` for `--tabs 16`), or undefined. */
export const arg = (name: string): string | undefined => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1] : undefined;
};

/** `--runs N` (default 3); exits with a usage message on a bad value. */
export const RUNS = ((): number => {
  const at = argv.indexOf('--runs');
  const runs = at >= 0 ? Number(argv[at + 1]) : 3;
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`--runs takes a whole number ≥ 1, got ${argv[at + 1]}`);
    process.exit(2);
  }
  return runs;
})();

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** The run whose `key` is the median one (the upper middle for an even count). */
export const medianRun = <T extends Record<string, unknown>>(runs: T[], key: keyof T): T =>
  [...runs].sort((a, b) => (a[key] as number) - (b[key] as number))[Math.floor(runs.length / 2)]!;

/** Warns when a browser-side source is newer than the built pages (the launcher never rebuilds). */
export function checkDist(): void {
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

export async function buildPages(): Promise<void> {
  const { build } = await import('vite');
  const t0 = performance.now();
  await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
  console.log(`built the pages in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

/** Runs one job module (a path from the repo root); returns its result, or throws with the job's error verbatim. */
export async function runJobFile(cluster: LocalCluster, path: string): Promise<Record<string, number>> {
  const outcome = await cluster.runJob(readFileSync(join(root, path), 'utf8'));
  if (!outcome.ok) {
    const e = outcome.error;
    const remote = e.remote ? `\n  remote: ${JSON.stringify(e.remote)}` : '';
    throw new Error(`${e.code}: ${e.message}${remote}${e.stack ? `\n  stack: ${e.stack}` : ''}`);
  }
  return outcome.result as Record<string, number>;
}

/** Debian's python3 (where python3-distributed installs). */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const hasDistributed = (): boolean => spawnSync(PYTHON, ['-c', 'import distributed'], { encoding: 'utf8' }).status === 0;

/** Makes sure `import distributed` works, installing Debian's package when running as root. */
export function ensureDask(): boolean {
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

/** Runs a Python peer script with `--runs`; answers the JSON lines it printed. */
export function runPeer<L>(script: string, args: readonly string[] = []): L[] {
  const run = spawnSync(PYTHON, [script, '--runs', String(RUNS), ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  const lines = run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as L);
  if (run.status !== 0) {
    console.log(`\nDask peer failed (exit ${run.status}):\n${run.stderr.trim().split('\n').slice(-20).join('\n')}`);
  }
  return lines;
}

/** One JSON line of a bench: a system's figures for one workload. */
export type BenchLine = { system: 'shoal' | 'dask'; workload: string } & Record<string, unknown>;

/** A row of the comparison table: label, workload, figure, which way is better, how to print it. */
export type Row = [label: string, workload: string, key: string, better: 'higher' | 'lower', format: (x: number | undefined) => string];

export const formatRate =
  (unit: string) =>
  (x: number | undefined): string =>
    x === undefined ? '—' : `${x.toFixed(0)} ${unit}`;
export const formatMs = (x: number | undefined): string => (x === undefined ? '—' : `${x.toFixed(2)} ms`);

/** A figure from the results, or undefined if that system did not report it. */
export function figure(results: readonly BenchLine[], system: BenchLine['system'], workload: string, key: string): number | undefined {
  const value = results.find((r) => r.system === system && r.workload === workload)?.[key];
  return typeof value === 'number' ? value : undefined;
}

/** Prints Shoal beside Dask for each row, with the ratio in Shoal's favour. */
export function printComparison(results: readonly BenchLine[], rows: readonly Row[]): void {
  const ratio = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '—' : `${x.toFixed(x < 10 ? 1 : 0)}×`);
  const cells = rows.map(([, workload, key, , format]) => [format(figure(results, 'shoal', workload, key)), format(figure(results, 'dask', workload, key))]);
  const labelWidth = Math.max(20, ...rows.map(([label]) => label.length + 2));
  const width = Math.max(15, ...cells.flat().map((cell) => cell.length + 2));
  console.log(`\n${'workload'.padEnd(labelWidth)}${'Shoal'.padEnd(width)}${'Dask'.padEnd(width)}ratio (Shoal advantage)`);
  rows.forEach(([label, workload, key, better], i) => {
    const s = figure(results, 'shoal', workload, key);
    const d = figure(results, 'dask', workload, key);
    const advantage = s === undefined || d === undefined ? undefined : better === 'higher' ? s / d : d / s;
    console.log(`${label.padEnd(labelWidth)}${cells[i]![0]!.padEnd(width)}${cells[i]![1]!.padEnd(width)}${ratio(advantage)}`);
  });
}

/**
 * Runs each workload on one local Shoal cluster (`measure`, then `after` if
 * given, on the same cluster), then the Dask peer script (with `peerArgs`
 * after `--runs`); prints each JSON
 * line as it comes. Answers every line and the failures.
 */
export async function runBench(
  workloads: readonly string[],
  measure: (cluster: LocalCluster, workload: string) => Promise<BenchLine>,
  peerScript: string,
  cluster: LocalCluster,
  after?: (cluster: LocalCluster) => Promise<void>,
  peerArgs: readonly string[] = [],
): Promise<{ results: BenchLine[]; failures: string[] }> {
  const results: BenchLine[] = [];
  const failures: string[] = [];
  try {
    for (const workload of workloads) {
      try {
        const line = await measure(cluster, workload);
        results.push(line);
        console.log(JSON.stringify(line));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        failures.push(`shoal ${workload}: ${message}`);
        console.log(JSON.stringify({ system: 'shoal', workload, error: message }));
      }
    }
    await after?.(cluster);
  } finally {
    await cluster.close();
  }
  if (!flag('--no-dask') && ensureDask()) {
    for (const line of runPeer<BenchLine>(peerScript, peerArgs)) {
      results.push(line);
      console.log(JSON.stringify(line));
    }
  }
  return { results, failures };
}

/** Lists failures (and makes the exit code 1), if any. */
export function reportFailures(failures: readonly string[]): void {
  if (failures.length === 0) return;
  console.log(`\nfailed:\n${failures.map((f) => `  ${f}`).join('\n')}`);
  process.exitCode = 1;
}

/** The opening lines: what runs, and the pages built or checked for staleness. */
export async function openBench(title: string, workers: number, slots: number): Promise<void> {
  console.log(`${title}: ${RUNS} run(s) per workload, median run reported; Shoal ${workers} worker tabs × ${slots} slot, Dask LocalCluster ${workers} processes × 1 thread\n`);
  if (flag('--build')) await buildPages();
  else checkDist();
}
