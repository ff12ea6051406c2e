/**
 * A group as a member task sees it (`ctx.collective.join(spec, rank)`): each
 * collective copies the task's array into a buffer that moves to the page by
 * transfer (the task's own array is left alone), and the result moves back
 * the same way. Collectives on one group must be called in the same order on
 * every member; each gets the next sequence number.
 */
import { ShoalError, type RemoteError } from '@shoal/protocol';
import type { CollectiveReply, CollectiveRequest } from './service.ts';
import { arrayOf, dtypeOf, type FloatArray, type ReduceOp } from './types.ts';

/** What a job gets from `cluster.collective.group(n)` and passes to its member tasks or actors. */
export interface GroupSpec {
  $shoalGroup: 1;
  id: string;
  size: number;
  /** The rendezvous actor's handle (rendezvous.ts). */
  rendezvous: { join(rank: number, workerId: string): unknown };
}

export interface CollectiveOptions {
  /** Bytes per pipelined chunk (default 960 KiB: ring.ts). */
  chunkBytes?: number;
}

export interface Group {
  readonly id: string;
  readonly rank: number;
  readonly size: number;
  /** The worker (peer id) of every rank. */
  readonly peers: readonly string[];
  /** The element-wise reduction of every member's array (same length everywhere), as a new array of the same type. */
  allreduce<T extends FloatArray>(array: T, op?: ReduceOp, options?: CollectiveOptions): Promise<T>;
  /** Root's array on every member (the others pass an array of the same length). */
  broadcast<T extends FloatArray>(array: T, root?: number, options?: CollectiveOptions): Promise<T>;
  /** Every member's array (same length everywhere), in rank order. */
  allgather<T extends FloatArray>(array: T, options?: CollectiveOptions): Promise<T[]>;
  /** This member's segment, elements [⌊rL/n⌋, ⌊(r+1)L/n⌋), of the reduction. */
  reduceScatter<T extends FloatArray>(array: T, op?: ReduceOp, options?: CollectiveOptions): Promise<T>;
  /** The left neighbour's array (rank r gets rank r−1's, all the same length): every ring link busy at once. */
  shift<T extends FloatArray>(array: T, options?: CollectiveOptions): Promise<T>;
  /** Resolves once every member has entered. */
  barrier(): Promise<void>;
}

export interface CollectiveContext {
  /** Joins group `spec` as `rank` (0 ≤ rank < spec.size); resolves once every member has joined. */
  join(spec: GroupSpec, rank: number): Promise<Group>;
}

export interface MemberHooks {
  workerId: string;
  /** The member's task (its page breaks the member's groups if it fails). */
  taskId?: string;
  /** `ctx.get`: the value of a ref (the rendezvous call's result). */
  get(ref: unknown): Promise<unknown>;
  /** Hands a collective to the page (host.collective), or null where the host has none. */
  call: ((request: CollectiveRequest) => Promise<CollectiveReply>) | null;
}

function fail(error: RemoteError): ShoalError {
  return new ShoalError(error.code ?? 'ERR_GROUP_BROKEN', error.message, { remote: error, workerId: error.workerId });
}

export function collectiveContext(hooks: MemberHooks): CollectiveContext {
  return {
    async join(spec, rank) {
      if (!spec || spec.$shoalGroup !== 1) throw new ShoalError('ERR_BAD_OPTION', 'ctx.collective.join() takes the group spec made by cluster.collective.group(n)');
      if (!Number.isInteger(rank) || rank < 0 || rank >= spec.size) throw new ShoalError('ERR_BAD_OPTION', `rank must be a whole number in [0, ${spec.size}), got ${rank}`);
      const call = hooks.call;
      if (!call) throw new ShoalError('ERR_INTERNAL', 'this worker offers no collectives');
      const peers = (await hooks.get(spec.rendezvous.join(rank, hooks.workerId))) as string[];
      return memberGroup(spec.id, rank, peers, call, hooks.taskId);
    },
  };
}

/** A group over `call` (exported for tests, which call a CollectiveService directly). */
export function memberGroup(id: string, rank: number, peers: readonly string[], call: (request: CollectiveRequest) => Promise<CollectiveReply>, taskId?: string): Group {
  let seq = 0;
  const run = async (op: CollectiveRequest['op'], array: FloatArray, extra: Partial<CollectiveRequest>): Promise<ArrayBuffer[]> => {
    if (!(array instanceof Float32Array || array instanceof Float64Array)) throw new ShoalError('ERR_BAD_OPTION', `collectives take a Float32Array or Float64Array, got ${Object.prototype.toString.call(array)}`);
    const data = array.slice().buffer as ArrayBuffer;
    const reply = await call({ groupId: id, rank, peers: [...peers], seq: ++seq, op, dtype: dtypeOf(array), data, ...(taskId !== undefined ? { taskId } : {}), ...extra });
    if (!reply.ok) throw fail(reply.error);
    return reply.data;
  };
  const chunk = (options?: CollectiveOptions) => (options?.chunkBytes ? { chunkBytes: options.chunkBytes } : {});
  return {
    id,
    rank,
    size: peers.length,
    peers,
    allreduce: async (array, op = 'sum', options) => arrayOf(dtypeOf(array), (await run('allreduce', array, { reduce: op, ...chunk(options) }))[0]!) as typeof array,
    broadcast: async (array, root = 0, options) => arrayOf(dtypeOf(array), (await run('broadcast', array, { root, ...chunk(options) }))[0]!) as typeof array,
    allgather: async (array, options) => (await run('allgather', array, chunk(options))).map((part) => arrayOf(dtypeOf(array), part)) as (typeof array)[],
    reduceScatter: async (array, op = 'sum', options) => arrayOf(dtypeOf(array), (await run('reduceScatter', array, { reduce: op, ...chunk(options) }))[0]!) as typeof array,
    shift: async (array, options) => arrayOf(dtypeOf(array), (await run('shift', array, chunk(options)))[0]!) as typeof array,
    barrier: async () => {
      await run('barrier', new Float64Array(1), {});
    },
  };
}
