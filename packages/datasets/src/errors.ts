/** Task failures as dataset errors: the codes a dataset task names (as its error's `name`) become the error's code. */
import { ShoalError } from '@shoal/protocol';

interface Remote {
  name?: string;
  code?: string;
  message?: string;
}

const remoteOf = (error: unknown): Remote | undefined => (error as { remote?: Remote })?.remote;

/** ERR_BAD_BATCH and ERR_READ_FAILED from a task's (or its input's) error; others unchanged. */
export function datasetError(error: unknown): unknown {
  const remote = remoteOf(error);
  if (remote?.name === 'ERR_BAD_BATCH' || remote?.name === 'ERR_READ_FAILED') {
    return new ShoalError(remote.name, remote.message ?? 'dataset task failed', { cause: error });
  }
  // A failed actor call reaches the task that reads its result as a dependency failure naming it in its message.
  const named = /(ERR_BAD_BATCH|ERR_READ_FAILED): (operator .*|.*)$/s.exec((error as Error)?.message ?? '');
  if (named) return new ShoalError(named[1] as 'ERR_BAD_BATCH', named[2]!, { cause: error });
  return error;
}

/** An actor call that failed because its actor is gone (its tab closed, or it was killed): the batch goes elsewhere. */
export function actorGone(error: unknown): boolean {
  const remote = remoteOf(error);
  const code = remote?.code ?? (error as { code?: string })?.code;
  return code === 'ERR_ACTOR_DIED' || code === 'ERR_ACTOR_KILLED' || code === 'ERR_WORKER_LOST';
}

/** A task failed because an input it needed was lost (no lineage to remake it). */
export function inputLost(error: unknown): boolean {
  const remote = remoteOf(error);
  const code = (error as { code?: string })?.code;
  return code === 'ERR_OBJECT_LOST' || remote?.code === 'ERR_OBJECT_LOST' || (code === 'ERR_DEPENDENCY_FAILED' && actorGone(error));
}
