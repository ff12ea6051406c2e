/**
 * The coordinator's task stream, for dashboards and history: one event per
 * step of a task's life, in the order they happen. `t` is `Date.now()`.
 * Emitted as the coordinator's `task` event; cheap when nobody listens.
 */
export type TaskEvent =
  | { kind: 'submitted'; t: number; taskId: string; name: string; deps: readonly string[]; parentTaskId: string | null }
  /** Sent to a worker (again on a retry: `attempt` > 1). `fetchBytes`: stored inputs it must fetch first. */
  | { kind: 'dispatched'; t: number; taskId: string; workerId: string; attempt: number; fetchBytes: number }
  /**
   * A straggling run got a copy on `workerId` (speculation.ts): it had run
   * `elapsedMs` on `original`, against a median of `medianMs` for its finished
   * peers. The first to finish wins (its `finished` event names it).
   */
  | { kind: 'speculated'; t: number; taskId: string; workerId: string; original: string; elapsedMs: number; medianMs: number }
  /** `durationMs` is the run as the worker measured it; `bytes` the outputs' sizes. */
  | { kind: 'finished'; t: number; taskId: string; workerId: string; durationMs: number; bytes: number }
  | {
      kind: 'failed';
      t: number;
      taskId: string;
      name: string;
      workerId: string | null;
      error: { code: string; message: string; stack?: string | undefined; remoteStack?: string | undefined };
      /** A short summary of the task's arguments (wire form, truncated). */
      args: string;
    };

/** The first `max` characters of a value's JSON, for error reports. */
export function summarize(value: unknown, max = 200): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
