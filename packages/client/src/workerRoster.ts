/**
 * The coordinator's workers, by peer id. A worker is linked once its link
 * opens, and admitted once it says hello (its `caps` are set): only admitted
 * workers are listed, counted and sent work.
 */
import { ShoalError, type WorkerSummary } from '@shoal/protocol';
import { workerLoad, type SchedulerState } from '@shoal/scheduler';
import type { CoordinatorObjects } from './coordinatorObjects.ts';
import type { WorkerEntry } from './coordinatorTypes.ts';

export class WorkerRoster {
  readonly #byId = new Map<string, WorkerEntry>();

  get(peerId: string): WorkerEntry | undefined {
    return this.#byId.get(peerId);
  }

  /** Adds (or replaces) the worker of `entry.info.peerId`. */
  set(entry: WorkerEntry): void {
    this.#byId.set(entry.info.peerId, entry);
  }

  /** Takes a worker off the roster; answers its entry, if it was on it. */
  remove(peerId: string): WorkerEntry | undefined {
    const entry = this.#byId.get(peerId);
    this.#byId.delete(peerId);
    return entry;
  }

  /** Linked workers, admitted or not. */
  get linked(): number {
    return this.#byId.size;
  }

  /** Admitted workers' peer ids. */
  admittedIds(): string[] {
    const ids: string[] = [];
    for (const worker of this.#byId.values()) if (worker.caps) ids.push(worker.info.peerId);
    return ids;
  }

  /** How many workers said hello (O(workers), without building summaries). */
  admitted(): number {
    let count = 0;
    for (const worker of this.#byId.values()) if (worker.caps) count += 1;
    return count;
  }

  /** Admitted workers with a GPU. */
  withGpu(): number {
    let count = 0;
    for (const worker of this.#byId.values()) if (worker.caps?.gpu) count += 1;
    return count;
  }

  /** Admitted workers as the worker list shows them. */
  summaries(scheduler: SchedulerState, plane: CoordinatorObjects): WorkerSummary[] {
    const summaries: WorkerSummary[] = [];
    for (const worker of this.#byId.values()) {
      const summary = workerSummary(worker, scheduler, plane);
      if (summary) summaries.push(summary);
    }
    return summaries;
  }
}

/** One worker's row in the worker list; null until it said hello. */
export function workerSummary(worker: WorkerEntry, scheduler: SchedulerState, plane: CoordinatorObjects): WorkerSummary | null {
  if (!worker.caps) return null;
  const running = workerLoad(scheduler, worker.info.peerId)?.assigned ?? 0;
  const store = plane.workerStats.get(worker.info.peerId) ?? null;
  return { peerId: worker.info.peerId, name: worker.info.name, state: running > 0 ? 'busy' : 'idle', caps: worker.caps, running, tasksDone: worker.tasksDone, store, paused: worker.paused === true };
}

/**
 * Resolves once `count()` reaches `target`, checked on each change that
 * `onChange` reports (it answers how to stop listening); ERR_TIMEOUT after
 * `timeoutMs`.
 */
export function waitForCount(count: () => number, target: number, timeoutMs: number, onChange: (listener: () => void) => () => void): Promise<void> {
  if (count() >= target) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new ShoalError('ERR_TIMEOUT', `only ${count()} of ${target} workers joined within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = onChange(() => {
      if (count() < target) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}
