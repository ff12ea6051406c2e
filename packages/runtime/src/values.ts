/**
 * Values between a task's Web Worker and its page.
 *
 * - Small JSON-able values travel inline with the control messages;
 *   anything bigger or binary is encoded into one buffer (@shoal/objects'
 *   packValue decides). The buffer moves between the Web Worker and the page
 *   by transfer (never by structured clone) and stays in the worker tab's
 *   object store; only its size and the refs inside it travel.
 *
 * Stored inputs reach a task as `{"$shoalFetch": id}` markers plus the
 * fetched buffers; `unpackValue` decodes each buffer once and puts the value
 * in place. Refs become TaskRefs, and so do kept inputs (`asRefs`, pool.ts)
 * whose bytes were not sent.
 */
import { ACTOR_KEY, FETCH_KEY, ShoalError, decodeRefs, type StoredOutput } from '@shoal/protocol';
import { checksum, decodeValue, packValue } from '@shoal/objects';
import { TaskRef } from './taskRef.ts';

export interface PackedOutputs {
  /** JSON: the value, or with numReturns > 1 an array; stored outputs are null here. */
  value: unknown;
  stored: StoredOutput[];
  /** One per `stored` entry, in the same order. */
  buffers: ArrayBuffer[];
}

/** Packs a task's return value (already checked to be an array of `numReturns` when > 1). */
export function packOutputs(value: unknown, numReturns: number, withChecksum = false): PackedOutputs {
  const outputs = numReturns === 1 ? [value] : (value as unknown[]);
  const inline: unknown[] = [];
  const stored: StoredOutput[] = [];
  const buffers: ArrayBuffer[] = [];
  outputs.forEach((output, index) => {
    const packed = packValue(output);
    if (packed.inline) return void inline.push(packed.value);
    inline.push(null);
    // The checksum (off the page's thread, here in the Web Worker) lets `verify` compare stored results across workers; only verify tasks pay for it.
    stored.push({ index, size: packed.buffer.byteLength, refs: packed.refs, ...(withChecksum ? { checksum: checksum(new Uint8Array(packed.buffer)) } : {}) });
    buffers.push(packed.buffer);
  });
  return { value: numReturns === 1 ? inline[0] : inline, stored, buffers };
}

/**
 * A value from the page (arguments, or a nested get's reply) as the task sees
 * it: wire refs become TaskRefs, fetch markers become the decoded objects,
 * and, given `actor`, actor handles become `actor(id)`.
 */
export function unpackValue(value: unknown, blobs: Readonly<Record<string, ArrayBuffer>> = {}, actor?: (actorId: string) => unknown, asRefs?: ReadonlySet<string>): unknown {
  const withActors = actor ? decodeRefs(value, actor, ACTOR_KEY) : value;
  const withRefs = decodeRefs(withActors, (id) => new TaskRef(id));
  const decoded = new Map<string, unknown>();
  return decodeRefs(
    withRefs,
    (id) => {
      if (decoded.has(id)) return decoded.get(id);
      const blob = blobs[id];
      // A kept input (pool.ts): the function opted in, and its Web Worker's engine already holds the object.
      if (!blob && asRefs?.has(id)) return new TaskRef(id);
      if (!blob) throw new ShoalError('ERR_OBJECT_LOST', `object ${id} was not delivered to the task`);
      const object = decodeRefs(decodeValue(blob), (ref) => new TaskRef(ref));
      decoded.set(id, object);
      return object;
    },
    FETCH_KEY,
  );
}
