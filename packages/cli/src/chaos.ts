/**
 * Fault injection for `shoal run --chaos PLAN`, to watch a job survive lost
 * workers (lineage reconstruction, retries) on a local cluster.
 *
 *   kill-worker@2,4     close one random worker tab 2 s and again 4 s after the job starts
 *
 * A kill closes the tab outright (as a crash or a closed laptop would, with
 * no goodbye), so the coordinator learns of it when the tab's data channel
 * closes. The last worker tab is never closed: a cluster with no workers
 * cannot finish anything.
 */
import type { LocalCluster } from '@shoal/launcher';
import { UsageError } from './args.ts';

export interface ChaosPlan {
  /** Seconds after the job starts at which one random worker tab is closed, ascending. */
  killWorkerAtS: number[];
}

const KILL_WORKER = /^kill-worker@(\d+(?:\.\d+)?(?:,\d+(?:\.\d+)?)*)$/;

/** Parses a `--chaos` plan; throws a UsageError that shows the form. */
export function parseChaos(text: string): ChaosPlan {
  const match = KILL_WORKER.exec(text.trim());
  if (!match) throw new UsageError(`--chaos must look like kill-worker@<seconds>[,<seconds>...] (e.g. kill-worker@2,4), got ${JSON.stringify(text)}`, 'run');
  return { killWorkerAtS: match[1]!.split(',').map(Number).sort((a, b) => a - b) };
}

/**
 * Starts the plan against `cluster` now (call it as the job starts); `log`
 * gets one line per kill. Answers a function that cancels what is left.
 */
export function startChaos(cluster: LocalCluster, plan: ChaosPlan, log: (line: string) => void, random: () => number = Math.random): () => void {
  const started = performance.now();
  const timers = plan.killWorkerAtS.map((seconds) =>
    setTimeout(() => {
      const open = cluster.workers.filter((page) => !page.isClosed());
      if (open.length <= 1) return log(`chaos: not closing the last worker tab (at ${seconds} s)`);
      const index = Math.min(open.length - 1, Math.floor(random() * open.length));
      const victim = open[index]!;
      const name = new URL(victim.url()).searchParams.get('name') ?? `tab ${index + 1}`;
      log(`chaos: closing worker tab ${name} at ${((performance.now() - started) / 1000).toFixed(1)} s`);
      victim.close().catch(() => undefined);
    }, seconds * 1000),
  );
  return () => {
    for (const timer of timers) clearTimeout(timer);
  };
}
