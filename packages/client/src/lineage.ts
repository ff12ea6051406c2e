/**
 * The driver's half of lineage reconstruction (the scheduler's half is
 * scheduler/src/lineage.ts): finished tasks' entries (function id, wire-form
 * arguments, outputs) are kept while the scheduler keeps their lineage, so a
 * lost output can be made again by sending the same `runTask` to another
 * worker.
 *
 *   taskDone ok      → entry moves from `tasks` to here (`keep`)
 *   reconstructTask  → entry moves back to `tasks`, its lost outputs are pending
 *                      again in the object table (gets wait instead of failing)
 *   dropLineage      → entry forgotten (every output was released)
 *
 * Failed tasks keep nothing: their outputs are failed for good.
 */
import type { TaskEntry } from './coordinator.ts';
import type { ObjectTable } from './objectTable.ts';

export class TaskLineage {
  private readonly finished = new Map<string, TaskEntry>();

  /** A task finished: keep its entry until the scheduler drops its lineage. */
  keep(taskId: string, task: TaskEntry): void {
    this.finished.set(taskId, task);
  }

  /** The scheduler runs `taskId` again to remake `outputs`: answers its entry (back among live tasks), or null if unknown. */
  revive(taskId: string, outputs: readonly string[], objects: ObjectTable): TaskEntry | null {
    const task = this.finished.get(taskId);
    if (!task) return null;
    this.finished.delete(taskId);
    task.progress = null;
    for (const output of outputs) objects.remake(output, taskId);
    return task;
  }

  drop(taskId: string): void {
    this.finished.delete(taskId);
  }

  get size(): number {
    return this.finished.size;
  }
}
