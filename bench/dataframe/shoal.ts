/**
 * The Shoal side of bench/dataframe.ts: one local cluster per tab count
 * (N worker tabs × 1 slot, the server's data folder = the bench data), one job
 * (bench/dataframe/job.js) that loads, caches and times every workload.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalCluster, type LocalClusterOptions } from '@shoal/launcher';
import { root } from '../common.ts';
import type { BenchData } from './datagen.ts';
import { JOIN_CHK, JOIN_SQL, QUESTIONS } from './queries.ts';

/** One DataFrame action of a Shoal run, from the coordinator tab's query log. */
export interface QuerySummary {
  action: string;
  ms: number;
  rowsOut: number;
  stages: { name: string; tasks: number; ms: number; taskMs?: number; keptBlocks?: number; phaseMs?: { load: number; run: number; export: number }; rowsOut: number; bytesIn: number; bytesOut: number; notes: string[] }[];
}

/** One workload's figures, from either system. */
export interface Figures {
  ms: number;
  runs: number[];
  outRows?: number;
  chk?: number[];
  /** Shoal: how the answer came home (`toArrow` or `collect`), and the SQL that ran. */
  via?: string;
  sql?: string;
  fallbackFrom?: string[];
  partitions?: number;
  /** Shoal's sort: the take(3) after the timed count. */
  headMs?: number;
  /** Shoal: the actions of the last run, with their stages. */
  queries?: QuerySummary[];
}

export interface SideResult {
  workloads: Record<string, Figures>;
  /** Workload id (or `job`, when the whole job failed) → error text. */
  errors: Record<string, string>;
}

export interface ShoalRunOptions {
  data: BenchData;
  tabs: number;
  partitions: number;
  runs: number;
  only: readonly string[];
  /** A run of one workload that takes longer fails (default 600 s). */
  timeoutMs?: number;
  /** The worker tabs' `taskMemory=<MiB>` cap on a task's binary memory (0: none); default the worker page's. */
  taskMemoryMiB?: number;
  /** Page console lines worth showing (errors), as they come. */
  log?: (line: string) => void;
  /** Every page console line, as it comes (`--page-log`). */
  pageLog?: (source: string, text: string) => void;
}

/** The job's source: PARAMS, then bench/dataframe/job.js. */
export function jobSource(options: ShoalRunOptions): string {
  const params = {
    groupby: options.data.groupby,
    join: options.data.join,
    partitions: options.partitions,
    runs: options.runs,
    timeoutMs: options.timeoutMs ?? 600_000,
    only: options.only,
    questions: QUESTIONS.map(({ id, sql, chk }) => ({ id, sql, chk })),
    joinSql: JOIN_SQL,
    joinChk: JOIN_CHK,
  };
  return `const PARAMS = ${JSON.stringify(params)};\n${readFileSync(join(root, 'bench', 'dataframe', 'job.js'), 'utf8')}`;
}

/**
 * Starts a cluster of `tabs` worker tabs serving `data.dir`, runs the job,
 * closes the cluster. Never throws: a failure to start or a failed job is
 * reported under `errors.job`.
 */
export async function runShoal(options: ShoalRunOptions): Promise<SideResult> {
  const clusterOptions: LocalClusterOptions = {
    workers: options.tabs,
    slotsPerWorker: 1,
    dataDir: options.data.dir,
    readyTimeoutMs: 120_000,
    ...(options.taskMemoryMiB !== undefined ? { workerQuery: () => `taskMemory=${options.taskMemoryMiB}` } : {}),
    onLog: (source, text) => {
      options.pageLog?.(source, text);
      if (/^(error|warning|pageerror|crash)/i.test(text)) options.log?.(`  [${source}] ${text.slice(0, 400)}`);
    },
  };
  let cluster;
  try {
    cluster = await startLocalCluster(clusterOptions);
  } catch (error) {
    return { workloads: {}, errors: { job: `cluster start failed: ${error instanceof Error ? error.message : String(error)}` } };
  }
  try {
    const outcome = await cluster.runJob(jobSource(options), `bench:dataframe ${options.tabs} tabs`);
    if (!outcome.ok) {
      const e = outcome.error;
      return { workloads: {}, errors: { job: `${e.code}: ${e.message}${e.remote ? ` (remote: ${JSON.stringify(e.remote)})` : ''}` } };
    }
    return outcome.result as SideResult;
  } finally {
    await cluster.close();
  }
}
