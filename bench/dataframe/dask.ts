/**
 * The Dask side of bench/dataframe.ts: runs bench/peers/dask_dataframe.py
 * (LocalCluster(2, 1)) on the same CSV files, passing its progress through to
 * stderr, and gathers its JSON lines.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../common.ts';
import type { BenchData } from './datagen.ts';
import type { Figures, SideResult } from './shoal.ts';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const PACKAGES = 'python3-dask python3-distributed python3-pandas python3-numpy python3-psutil';

/** Whether Debian's Dask (with dask.dataframe and pandas) imports; says how to install it if not. */
export function daskAvailable(): boolean {
  const probe = spawnSync(PYTHON, ['-c', 'import dask.dataframe, distributed, pandas'], { encoding: 'utf8' });
  if (probe.status === 0) return true;
  console.log(
    `\nDask skipped: ${PYTHON} cannot import dask.dataframe / distributed / pandas (${probe.stderr.trim().split('\n').at(-1)}).\n` +
      `Install Debian's packages: apt-get install -y --no-install-recommends ${PACKAGES}`,
  );
  return false;
}

export interface DaskRunOptions {
  data: BenchData;
  runs: number;
  only: readonly string[];
  /** Each JSON line, as it comes. */
  onLine?: (line: Record<string, unknown>) => void;
}

export function runDask(options: DaskRunOptions): Promise<SideResult> {
  const args = [
    join(root, 'bench', 'peers', 'dask_dataframe.py'),
    '--x',
    join(options.data.dir, options.data.groupby),
    '--y',
    join(options.data.dir, options.data.join),
    '--runs',
    String(options.runs),
    ...(options.only.length > 0 ? ['--only', options.only.join(',')] : []),
  ];
  return new Promise((resolve) => {
    const result: SideResult = { workloads: {}, errors: {} };
    const child = spawn(PYTHON, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const tail: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      let nl;
      while ((nl = stdout.indexOf('\n')) >= 0) {
        const line = stdout.slice(0, nl);
        stdout = stdout.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        const parsed = JSON.parse(line) as Record<string, unknown> & Figures & { workload: string };
        result.workloads[parsed.workload] = parsed;
        options.onLine?.(parsed);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        if (line.startsWith('dask:')) process.stderr.write(`  ${line}\n`);
      }
    });
    child.on('close', (code) => {
      if (code !== 0) result.errors.job = `the Dask peer exited with ${code}:\n${tail.join('\n')}`;
      resolve(result);
    });
  });
}
