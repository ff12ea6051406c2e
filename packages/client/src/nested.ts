/**
 * Tasks' own cluster calls (ctx.remote/put/get/wait/free/cancel), arriving
 * from workers. Ids minted by a worker must carry its peer id as a prefix, so
 * one worker cannot collide with (or forge) another's objects.
 */
import { REF_KEY, ShoalError, toRemoteError, validateOptions, type ControlMessage } from '@shoal/protocol';
import type { Records, Submitter, WorkerPort } from './coordinatorTypes.ts';

/** What tasks' own cluster calls need of the coordinator. */
export type NestedHost = Submitter & Pick<Records, 'tasks' | 'objects' | 'holders'> & WorkerPort;

export type NestedMessage = Extract<ControlMessage, { type: 'nestedSubmit' | 'nestedPut' | 'nestedGet' | 'nestedWait' | 'nestedFree' | 'nestedCancel' }>;

/** Handles one nested call; returns a reason if the message is refused. */
export function handleNested(coordinator: NestedHost, workerId: string, message: NestedMessage): string | null {
  const owns = (id: string) => id.startsWith(`${workerId}.`);
  switch (message.type) {
    case 'nestedSubmit': {
      if (!owns(message.taskId) || coordinator.tasks.has(message.taskId)) return `task id ${message.taskId} is not this worker's to mint`;
      if (message.source !== null) coordinator.registerFunction(message.options.name ?? 'task', message.source);
      let failure: ShoalError | null = null;
      let outputs: string[] = [];
      try {
        if (!coordinator.hasFunction(message.fnId)) throw new ShoalError('ERR_BAD_MESSAGE', `function ${message.fnId} was never sent`);
        const options = validateOptions(message.options);
        outputs = coordinator.submit(message.taskId, message.fnId, options.name ?? 'task', message.args, options, message.parentTaskId);
      } catch (error) {
        failure = error instanceof ShoalError ? error : new ShoalError('ERR_BAD_MESSAGE', String(error));
      }
      if (failure) {
        // The refs the task already holds must fail, not hang.
        const count = message.options.numReturns ?? 1;
        const ids = count === 1 ? [message.taskId] : Array.from({ length: count }, (_, i) => `${message.taskId}.${i}`);
        for (const id of ids) coordinator.objects.reject(id, failure);
        return null;
      }
      for (const output of outputs) coordinator.holders.holdForParent(output, message.parentTaskId);
      return null;
    }
    case 'nestedPut':
      if (!owns(message.objectId) || coordinator.objects.has(message.objectId)) return `object id ${message.objectId} is not this worker's to mint`;
      if (message.stored) coordinator.putStored(message.objectId, message.stored.size, message.stored.refs, workerId);
      else coordinator.put(message.objectId, message.value);
      coordinator.holders.holdForParent(message.objectId, message.parentTaskId);
      return null;
    case 'nestedGet': {
      const all = Promise.all(message.ids.map((id) => coordinator.objects.wait(id)));
      const timed = message.timeoutMs === null ? all : withTimeout(all, message.timeoutMs, message.ids.length);
      timed
        .then(() => {
          // Inline values as they are; stored ones for the worker to fetch peer to peer.
          const { args: value, fetch } = coordinator.argsFor(message.ids.map((id) => ({ [REF_KEY]: id })), workerId);
          coordinator.sendTo(workerId, { type: 'nestedReply', requestId: message.requestId, result: { ok: true, value }, ...(fetch.length > 0 ? { fetch } : {}) });
        })
        .catch((error: unknown) => coordinator.sendTo(workerId, { type: 'nestedReply', requestId: message.requestId, result: { ok: false, error: toRemoteError(error) } }));
      return null;
    }
    case 'nestedWait':
      void coordinator.waitFor(message.ids, message.numReturns, message.timeoutMs).then((ready) => {
        const value = message.ids.filter((id) => ready.has(id)).slice(0, Math.max(message.numReturns, 0));
        coordinator.sendTo(workerId, { type: 'nestedReply', requestId: message.requestId, result: { ok: true, value } });
      });
      return null;
    case 'nestedFree':
      for (const id of message.ids) coordinator.free(id);
      return null;
    case 'nestedCancel':
      coordinator.cancel(message.objectId, message.force);
      return null;
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, count: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new ShoalError('ERR_TIMEOUT', `get() of ${count} ref(s) timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
