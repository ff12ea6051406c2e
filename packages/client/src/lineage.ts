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
import type { TaskEntry } from './coordinatorTypes.ts';
import type { ObjectTable } from './objectTable.ts';

export class TaskLineage {
  private readonly finished = new Map<string, TaskEntry>();
  /** Finished tasks run again so far. */
  remade = 0;

  /** A task finished: keep its entry until the scheduler drops its lineage. */
  keep(taskId: string, task: TaskEntry): void {
    this.finished.set(taskId, task);
  }

  /** The scheduler runs `taskId` again to remake `outputs`: its entry goes back among the live `tasks`, and the outputs are pending again. */
  revive(taskId: string, outputs: readonly string[], objects: ObjectTable, tasks: Map<string, TaskEntry>): void {
    const task = this.finished.get(taskId);
    if (!task) return;
    this.finished.delete(taskId);
    task.progress = null;
    for (const output of outputs) objects.remake(output, taskId);
    tasks.set(taskId, task);
    this.remade += 1;
    console.info(`[shoal] running ${task.name} (${taskId}) again to remake ${outputs.length} lost object(s)`);
  }

  drop(taskId: string): void {
    this.finished.delete(taskId);
  }

  get size(): number {
    return this.finished.size;
  }
}
