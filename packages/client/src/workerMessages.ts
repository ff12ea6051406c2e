/**
 * What workers tell the coordinator: hello, task results (inline values, or
 * the metadata of outputs that stayed in the worker's store), logs, progress,
 * blocking, nested cluster calls, object copies and store figures.
 */
import { FETCH_FAILED_PREFIX, LEAVE_WITH_HANDOVER, type ControlMessage, type PeerInfo } from '@shoal/protocol';
import { runsOf, type FailureKind } from '@shoal/scheduler';
import { wireRefIds } from './argsCodec.ts';
import type { Actors } from './actors.ts';
import type { EventPort, Records, SchedulerPort, TaskEntry, WorkerEntry, WorkerLossReason } from './coordinatorTypes.ts';
import type { Handover } from './handover.ts';
import { handleNested, type NestedHost, type NestedMessage } from './nested.ts';
import { offeredResources, sizeOf } from './sizes.ts';
import type { Verifier } from './verify.ts';

/** What handling workers' messages needs of the coordinator. */
export interface WorkerMessagesHost extends NestedHost, SchedulerPort, Pick<Records, 'plane' | 'holdContained'>, Pick<EventPort, 'notify'> {
  readonly actors: Actors;
  readonly handover: Handover;
  readonly verifier: Verifier;
  /** A task's run succeeded or failed for good: its entry goes (kept as lineage if `ok`). */
  finishTask(taskId: string, task: TaskEntry, ok: boolean): void;
  refuse(from: PeerInfo, reason: string): void;
  sendJobInfo(workerId: string): void;
  workerGone(peerId: string, reason: WorkerLossReason, graceful?: boolean): void;
  /** Something shown in the worker list changed for `peerId` (batched into one `workersDiff`). */
  workerChanged(peerId: string): void;
}

/** How long a run's failure to fetch its inputs waits before the scheduler hears of it (see taskDone). */
const FETCH_FAILURE_GRACE_MS = 250;

export function handleWorkerMessage(coordinator: WorkerMessagesHost, worker: WorkerEntry, message: ControlMessage): void {
  const from = worker.info;
  switch (message.type) {
    case 'hello':
      if (worker.caps) return coordinator.refuse(from, 'a second hello');
      worker.caps = message.caps;
      coordinator.apply({ type: 'workerJoined', workerId: from.peerId, resources: offeredResources(message.caps), gpuFallback: message.caps.gpu?.isFallback === true });
      coordinator.sendJobInfo(from.peerId);
      return coordinator.workerChanged(from.peerId);
    case 'availability':
      // The volunteer paused, resumed or capped the cores of this worker (apps/worker): the scheduler follows.
      if (!worker.caps) return coordinator.refuse(from, 'availability before hello');
      worker.caps.slots = message.slots;
      worker.paused = message.paused;
      coordinator.apply({ type: 'workerUpdated', workerId: from.peerId, resources: offeredResources(worker.caps), paused: message.paused });
      return coordinator.workerChanged(from.peerId);
    case 'taskDone':
      return taskDone(coordinator, worker, message);
    case 'taskLog': {
      const taskName = coordinator.tasks.get(message.taskId)?.name ?? message.taskId;
      return coordinator.notify('taskLog', { taskId: message.taskId, taskName, workerId: from.peerId, level: message.level, text: message.text });
    }
    case 'taskProgress': {
      const task = coordinator.tasks.get(message.taskId);
      if (task) task.progress = message.fraction;
      return coordinator.notify('taskProgress', message.taskId, message.fraction);
    }
    case 'taskBlocked':
    case 'taskUnblocked':
      return coordinator.apply({ type: message.type, taskId: message.taskId, workerId: from.peerId });
    case 'nestedSubmit':
    case 'nestedPut':
    case 'nestedGet':
    case 'nestedWait':
    case 'nestedFree':
    case 'nestedCancel': {
      const problem = handleNested(coordinator, from.peerId, message as NestedMessage);
      return problem ? coordinator.refuse(from, problem) : undefined;
    }
    case 'actorStarted':
      return coordinator.actors.started(from.peerId, message);
    case 'actorResult':
      worker.tasksDone += 1;
      coordinator.workerChanged(from.peerId);
      return coordinator.actors.result(from.peerId, message);
    case 'nestedActorCall': {
      const named = coordinator.actors.isHeld(message.callId); // named before by actorCallsSent (and held for its parent then)
      if (!message.callId.startsWith(`${from.peerId}.`) || (coordinator.objects.has(message.callId) && !named)) return coordinator.refuse(from, `call id ${message.callId} is not this worker's to mint`);
      coordinator.actors.call(message.actorId, message.method, message.args, message.callId);
      return named ? undefined : coordinator.holders.holdForParent(message.callId, message.parentTaskId);
    }
    case 'actorLocate':
      return coordinator.actors.locate(from.peerId, message.actorId);
    case 'actorCallsSent':
      // Direct calls (actors.ts `sent`): announced after the fact, with ids this worker minted.
      for (const notice of message.calls) {
        if (!notice.callId.startsWith(`${from.peerId}.`)) return coordinator.refuse(from, `call id ${notice.callId} is not this worker's to mint`);
        const fresh = !coordinator.objects.has(notice.callId);
        coordinator.actors.sent(notice);
        if (fresh) coordinator.holders.holdForParent(notice.callId, notice.parentTaskId);
      }
      return;
    case 'actorResults':
      worker.tasksDone += message.results.length;
      coordinator.workerChanged(from.peerId);
      return coordinator.actors.results(from.peerId, message.results);
    case 'objectDropped':
      coordinator.objects.dropCopy(message.objectId, from.peerId);
      return coordinator.apply({ type: 'objectDropped', objectId: message.objectId, workerId: from.peerId });
    case 'objectCopied':
      coordinator.objects.addLocation(message.objectId, from.peerId);
      coordinator.apply({ type: 'objectStored', objectId: message.objectId, size: message.size, workerId: from.peerId });
      return coordinator.handover.copied(message.objectId);
    case 'benchmark':
      if (!worker.caps) return coordinator.refuse(from, 'a benchmark before hello');
      worker.caps.bench = { gflops: message.gflops, cpuMflops: message.cpuMflops };
      return coordinator.workerChanged(from.peerId);
    case 'storeStats':
      coordinator.plane.workerStats.set(from.peerId, message.stats);
      return coordinator.workerChanged(from.peerId);
    case 'heartbeat':
      return; // the coordinator noted it (any message counts as a beat)
    case 'leaving':
      // With a handover it is dropped once its objects are copied off it (handover.ts); otherwise it is going now.
      if (message.reason === LEAVE_WITH_HANDOVER) {
        // Paused while it drains: nothing new is placed there during the handover.
        coordinator.apply({ type: 'workerUpdated', workerId: from.peerId, paused: true });
        return coordinator.handover.start(from.peerId);
      }
      return coordinator.workerGone(from.peerId, 'left');
    default:
      return coordinator.refuse(from, `'${message.type}' is not a worker's message`);
  }
}

function taskDone(coordinator: WorkerMessagesHost, worker: WorkerEntry, message: Extract<ControlMessage, { type: 'taskDone' }>): void {
  const { taskId, result } = message;
  const workerId = worker.info.peerId;
  const task = coordinator.tasks.get(taskId);
  // A task may run on several workers at once (speculation, verify: scheduler runs.ts); `verifier` keeps all but the last verify result.
  if (task && coordinator.verifier.taskDone(workerId, message)) return;
  if (!task || !runsOf(coordinator.scheduler, taskId).includes(workerId)) {
    // A late reply (the task was cancelled, or retried elsewhere): it frees the worker's slot,
    // and whatever it stored there is not needed, unless that worker's copy is the one counted
    // (another run of the same task there finished first: a re-admitted worker's old run, say).
    if (result.ok && result.stored) {
      const many = Array.isArray(result.value); // numReturns > 1
      for (const output of result.stored) {
        const objectId = many ? `${taskId}.${output.index}` : taskId;
        if (!coordinator.objects.holds(objectId, workerId)) coordinator.plane.release(objectId, [workerId]);
      }
    }
    if (result.ok) coordinator.apply({ type: 'taskFinished', taskId, workerId, sizes: [], durationMs: message.durationMs });
    else coordinator.apply({ type: 'taskFailed', taskId, workerId, error: result.error, kind: 'cancelled' });
    return;
  }
  if (!result.ok) {
    if (result.error.message.startsWith(FETCH_FAILED_PREFIX)) {
      // A holder left mid-transfer: give the loss a moment to be noticed, so the retry waits for the input to be remade.
      const event = { type: 'taskFailed', taskId, workerId, error: { ...result.error, workerId }, kind: 'fetch' } as const;
      setTimeout(() => coordinator.apply(event), FETCH_FAILURE_GRACE_MS);
      return;
    }
    const code = result.error.code;
    const kind: FailureKind = code === 'ERR_TIMEOUT' ? 'timeout' : code === 'ERR_CANCELLED' ? 'cancelled' : code === 'ERR_GPU_LOST' ? 'device' : 'exception';
    coordinator.apply({ type: 'taskFailed', taskId, workerId, error: { ...result.error, workerId }, kind });
    return;
  }
  const outputs = task.outputs;
  const values = outputs.length === 1 ? [result.value] : (result.value as unknown[]);
  // Outputs that stayed in the worker's store, by index; null (no map made) for the common all-inline result.
  const stored = result.stored && result.stored.length > 0 ? new Map(result.stored.map((output) => [output.index, output])) : null;
  const sizes: number[] = new Array(outputs.length);
  let bytes = 0;
  worker.tasksDone += 1;
  for (let i = 0; i < outputs.length; i++) {
    const output = outputs[i]!;
    const kept = stored?.get(i);
    if (kept) {
      coordinator.objects.resolveStored(output, kept.size, workerId, taskId);
      coordinator.holdContained(output, kept.refs);
      sizes[i] = kept.size;
    } else {
      coordinator.objects.resolve(output, values[i], taskId);
      coordinator.holdContained(output, wireRefIds(values[i]));
      sizes[i] = sizeOf(values[i]);
    }
    bytes += sizes[i]!;
  }
  coordinator.notify('task', { kind: 'finished', t: Date.now(), taskId, workerId, durationMs: message.durationMs, bytes });
  coordinator.finishTask(taskId, task, true);
  // Small outputs came inline and stay here: a lost worker does not lose them (nor need them remade).
  const inline = stored === null ? (outputs.length === 1 ? ONE_INLINE : outputs.map(() => true)) : outputs.map((_, i) => !stored.has(i));
  coordinator.apply({ type: 'taskFinished', taskId, workerId, sizes, durationMs: message.durationMs, inline });
  coordinator.workerChanged(workerId);
}

/** `inline` for the common result: one output, come inline (the scheduler only reads it). */
const ONE_INLINE: readonly boolean[] = Object.freeze([true]);
