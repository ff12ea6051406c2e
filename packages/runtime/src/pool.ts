/**
 * A pool of Web Workers, one task at a time each, driven through comlink.
 * Workers start lazily (the first one at once, to be warm), learn a function's
 * source on first use, and are replaced if one crashes.
 */
import { proxy, wrap, type Remote } from 'comlink';
import type { TaskResult } from '@shoal/protocol';
import type { LogSink, TaskWorkerApi } from './taskWorker.ts';

export interface PoolTask {
  taskId: string;
  fnId: string;
  fnName: string;
  fnSource: string;
  args: unknown[];
  attempt: number;
  /** Called when a Web Worker picks the task up. */
  onStart?: () => void;
}

interface Slot {
  worker: Worker;
  remote: Remote<TaskWorkerApi>;
  defined: Set<string>;
  current: { task: PoolTask; settle: (result: TaskResult) => void } | null;
}

interface Queued {
  task: PoolTask;
  settle: (result: TaskResult) => void;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Queued[] = [];
  private closed = false;

  constructor(
    readonly size: number,
    private readonly workerId: string,
    private readonly onLog: LogSink,
  ) {
    this.slots.push(this.spawn());
  }

  /** Tasks running now. */
  get running(): number {
    return this.slots.filter((slot) => slot.current !== null).length;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Runs a task on a free Web Worker (queueing if none is free). Never rejects. */
  run(task: PoolTask): Promise<TaskResult> {
    return new Promise((settle) => {
      this.queue.push({ task, settle });
      this.pump();
    });
  }

  terminate(): void {
    this.closed = true;
    for (const slot of this.slots) slot.worker.terminate();
    this.slots.length = 0;
    for (const item of this.queue.splice(0)) {
      item.settle({ ok: false, error: { name: 'ShoalError', code: 'ERR_CANCELLED', message: 'the worker is shutting down' } });
    }
  }

  private pump(): void {
    while (!this.closed && this.queue.length > 0) {
      let slot = this.slots.find((candidate) => candidate.current === null);
      if (!slot && this.slots.length < this.size) this.slots.push((slot = this.spawn()));
      if (!slot) return;
      const next = this.queue.shift()!;
      void this.execute(slot, next);
    }
  }

  private async execute(slot: Slot, item: Queued): Promise<void> {
    slot.current = item;
    item.task.onStart?.();
    let result: TaskResult;
    try {
      if (!slot.defined.has(item.task.fnId)) {
        await slot.remote.define(item.task.fnId, item.task.fnName, item.task.fnSource);
        slot.defined.add(item.task.fnId);
      }
      const { taskId, fnId, args, attempt } = item.task;
      result = await slot.remote.run({ taskId, fnId, args, attempt, workerId: this.workerId });
    } catch (thrown) {
      // Structured clone refused the arguments, or the Web Worker died.
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      result = { ok: false, error: { name: 'ShoalError', code: 'ERR_TASK_FAILED', message: `the task could not run in a Web Worker: ${message}`, workerId: this.workerId } };
    }
    if (slot.current !== item) return; // the slot crashed and already settled this task
    slot.current = null;
    item.settle(result);
    this.pump();
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./taskWorker.ts', import.meta.url), { type: 'module', name: 'shoal-task' });
    const remote = wrap<TaskWorkerApi>(worker);
    const slot: Slot = { worker, remote, defined: new Set(), current: null };
    void remote.setLogSink(proxy(this.onLog));
    worker.addEventListener('error', (event) => this.crashed(slot, event.message || 'the Web Worker failed'));
    return slot;
  }

  /** A Web Worker died: fail its task, replace it, carry on. */
  private crashed(slot: Slot, message: string): void {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    slot.worker.terminate();
    const current = slot.current;
    slot.current = null;
    current?.settle({ ok: false, error: { name: 'ShoalError', code: 'ERR_TASK_FAILED', message: `the task's Web Worker crashed: ${message}`, workerId: this.workerId } });
    if (!this.closed && this.slots.length === 0) this.slots.push(this.spawn());
    this.pump();
  }
}
