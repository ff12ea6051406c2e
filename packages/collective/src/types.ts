/**
 * The shapes every part of @shoal/collective shares: the reduce ops, the
 * arrays collectives take, and the transport a ring runs over.
 */
export type ReduceOp = 'sum' | 'mean' | 'max';
export const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'mean', 'max'];

export type FloatArray = Float32Array | Float64Array;
export type FloatDtype = 'float32' | 'float64';

export type CollectiveOp = 'allreduce' | 'broadcast' | 'allgather' | 'reduceScatter' | 'shift' | 'barrier';

/**
 * What one member of a group sees of the others: tagged messages to and from
 * a rank. The real one (service.ts) pushes over the worker tabs' bulk links
 * or the co-located path; tests use memoryTransport.ts. Both fail every
 * pending and later `recv`/`send` with ERR_GROUP_BROKEN once the group breaks.
 */
export interface GroupTransport {
  readonly rank: number;
  readonly size: number;
  /** Sends `data` to `to`; the buffer is handed over (do not touch it after). Resolves when it is on its way or delivered. */
  send(to: number, tag: string, data: ArrayBuffer): Promise<void>;
  /** The message `from` sent with `tag` (whether it came before or after this call). */
  recv(from: number, tag: string): Promise<ArrayBuffer>;
}

export interface RingOptions {
  /** Bytes per pipelined chunk. Default 960 KiB (ring.ts). */
  chunkBytes?: number;
  /** Chunk columns in flight at once. Default 8. */
  window?: number;
}

export function dtypeOf(array: FloatArray): FloatDtype {
  return array instanceof Float64Array ? 'float64' : 'float32';
}

export function arrayOf(dtype: FloatDtype, buffer: ArrayBuffer): FloatArray {
  return dtype === 'float64' ? new Float64Array(buffer) : new Float32Array(buffer);
}
