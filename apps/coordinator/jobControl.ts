/**
 * Running one job at a time from the dashboard or the page API, recording it
 * (history.ts's `recordJob`) and cancelling it.
 *
 * Cancel: `runJob` takes no AbortSignal, so cancelling works on the cluster's
 * side. Every task the coordinator still tracks (queued or running, nested
 * ones too) is cancelled with `force` (its Web Worker is terminated), and until
 * the job's code returns, any task it submits is cancelled at once. Its `get`s
 * then reject with ERR_CANCELLED. The outcome is ERR_CANCELLED right away, and
 * the next job may start even if the cancelled job's code never returns.
 */
import { createCluster, recordJob, runJob, type Coordinator, type JobRecord } from '@shoal/client';
import { dataClientForPage } from '@shoal/data';
import { hashSource, type JobOutcome } from '@shoal/protocol';
import { withCollections } from './collections.ts';

export interface JobHooks {
  /** A job starts; `record` fills as it runs. */
  started(record: JobRecord): void;
  /** It ended (or was cancelled); `record` is complete. */
  ended(record: JobRecord, outcome: JobOutcome): void;
}

export interface JobControl {
  run(source: string, label?: string): Promise<JobOutcome>;
  /** Cancels the running job; false if none runs. */
  cancel(): boolean;
  readonly busy: boolean;
}

export function createJobControl(coordinator: Coordinator, hooks: JobHooks): JobControl {
  let current: { cancel: () => void } | null = null;
  /** Cancels what a cancelled job's code still submits; stopped when it returns or the next job starts. */
  let sweeping: { stop: () => void } | null = null;

  const cancelAll = (): void => {
    for (const taskId of [...coordinator.tasks.keys()]) coordinator.apply({ type: 'taskCancelled', taskId, force: true });
  };

  return {
    get busy() {
      return current !== null;
    },
    cancel() {
      if (!current) return false;
      current.cancel();
      return true;
    },
    async run(source, label = 'job') {
      if (current) return { ok: false, error: { code: 'ERR_BAD_JOB', message: 'a job is already running in this coordinator' }, elapsedMs: 0 };
      sweeping?.stop();
      sweeping = null;
      const started = performance.now();
      const recorder = recordJob(coordinator, { label, source });
      let cancelled = false;
      let sweep: { stop: () => void } | null = null;
      const cancelledOutcome = new Promise<JobOutcome>((resolve) => {
        current = {
          cancel: () => {
            cancelled = true;
            cancelAll();
            // Whatever the job's code submits from now on is cancelled as it arrives.
            const off = coordinator.on('task', (event) => {
              if (event.kind === 'submitted') queueMicrotask(() => coordinator.apply({ type: 'taskCancelled', taskId: event.taskId, force: true }));
            });
            sweeping = sweep = { stop: off };
            resolve({ ok: false, error: { code: 'ERR_CANCELLED', message: 'the job was cancelled from the dashboard' }, elapsedMs: Math.round(performance.now() - started) });
          },
        };
      });
      hooks.started(recorder.record);
      // Worker pages show their volunteers what runs: its name and a hash of its code.
      coordinator.setJob({ name: label.slice(0, 256), codeHash: await codeHash(source) });
      // `cluster.dataClient`: the server's data folder with this page's token (@shoal/data), for jobs and collections.
      const cluster = Object.assign(createCluster(coordinator), { dataClient: dataClientForPage() });
      const job = runJob(withCollections(cluster, coordinator), source);
      void job.finally(() => {
        sweep?.stop();
        if (sweeping === sweep) sweeping = null;
      });
      const outcome = await Promise.race([job, cancelledOutcome]);
      current = null;
      coordinator.actors.killAll(); // a job's actors end with it (as Ray's non-detached actors do)
      coordinator.setJob(null);
      const record = recorder.finish(outcome, cancelled ? 'cancelled' : undefined);
      if (label === 'job') record.label = labelFromTasks(record);
      hooks.ended(record, outcome);
      return outcome;
    },
  };
}

/** The SHA-256 of a job's source, hex; outside a secure context (no crypto.subtle) a 53-bit hash, marked as such. */
export async function codeHash(source: string): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return `cyrb53:${hashSource(source)}`;
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(source));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** A name for a job that came without one: its first task names, e.g. "job: square, sum, total, …". */
function labelFromTasks(record: JobRecord): string {
  const names = new Set<string>();
  for (const event of record.events) {
    if (event.kind !== 'submitted') continue;
    names.add(event.name);
    if (names.size > 3) break;
  }
  if (names.size === 0) return 'job (no tasks)';
  const shown = [...names].slice(0, 3).join(', ');
  return `job: ${shown}${names.size > 3 ? ', …' : ''}`;
}
