/** Carrying out the scheduler's commands (coordinator.ts feeds it events; this does what comes back). */
import { ShoalError } from '@shoal/protocol';
import type { RemoteError } from '@shoal/protocol';
import type { SchedulerCommand } from '@shoal/scheduler';
import type { EventPort, Records, SchedulerPort, WorkerPort } from './coordinatorTypes.ts';
import type { TaskLineage } from './lineage.ts';
import type { Located } from './objectTable.ts';

/** What carrying out commands needs: the records, the lineage, and the two commands that start and end a task's run. */
export interface CommandHost extends Pick<Records, 'tasks' | 'objects' | 'holders' | 'plane'>, Pick<SchedulerPort, 'scheduler'>, Pick<WorkerPort, 'sendTo'>, Pick<EventPort, 'notify'> {
  readonly lineage: TaskLineage;
  /** Sends a task (or an actor's start) to the worker the scheduler chose. */
  runTask(taskId: string, workerId: string, attempt: number): void;
  /** The task failed for good: its refs reject. `upstream`: the failed input that caused it. */
  failTask(taskId: string, error: RemoteError, upstream: string | null): void;
}

export function executeCommand(coordinator: CommandHost, command: SchedulerCommand): void {
  switch (command.type) {
    case 'runTask':
      return coordinator.runTask(command.taskId, command.workerId, command.attempt);
    case 'failTask':
      return coordinator.failTask(command.taskId, command.error, command.upstream);
    case 'cancelTask':
      return coordinator.sendTo(command.workerId, { type: 'cancelTask', taskId: command.taskId, force: command.force });
    case 'releaseObject': {
      // Every holder drops it: those the scheduler knows, and stored copies the object table knows.
      const located = coordinator.objects.isSettled(command.objectId) ? locatedOrNull(coordinator, command.objectId) : null;
      const holders = new Set<string | null>(command.locations);
      if (located?.kind === 'stored') for (const holder of located.locations) holders.add(holder);
      coordinator.plane.release(command.objectId, holders);
      coordinator.objects.drop(command.objectId);
      return coordinator.holders.releaseChildren(`object:${command.objectId}`);
    }
    case 'objectLost': {
      const message = coordinator.scheduler.objects.get(command.objectId)?.error?.message ?? `object ${command.objectId} was lost: every worker that held a copy left`;
      return coordinator.objects.lose(command.objectId, new ShoalError('ERR_OBJECT_LOST', message));
    }
    case 'reconstructTask':
      return coordinator.lineage.revive(command.taskId, command.outputs, coordinator.objects, coordinator.tasks);
    case 'dropLineage':
      return coordinator.lineage.drop(command.taskId);
    case 'taskInfeasible': {
      const task = coordinator.tasks.get(command.taskId);
      if (!task) return;
      task.infeasible = command.reason;
      return coordinator.notify('taskInfeasible', command.taskId, task.name, command.reason);
    }
  }
}

function locatedOrNull(coordinator: CommandHost, objectId: string): Located | null {
  try {
    return coordinator.objects.value(objectId);
  } catch {
    return null;
  }
}
