/**
 * Output bytes made in place: `blobBytes(n)` gives an n-byte Uint8Array that
 * lies where a blob (blob.ts) keeps a Uint8Array value's one segment, behind
 * room for the blob's header. A task that fills it and returns it as a value,
 * as it is, is stored without the codec's copy: `writeBlob` writes the header
 * in front of it and keeps the same ArrayBuffer.
 *
 * Why: a big output was written twice, once by the task and once into its
 * blob, and each new big ArrayBuffer is memory the process has not touched
 * yet, which costs ~5-9 ms per MB in page faults on a VM (a 10M-row sort's
 * stages wrote 620 MB each). Anything else (a view made here but returned in
 * part, or inside a value with other segments) is copied as before.
 */
/** Room before the segment for the blob's header and skeleton (the skeleton is padded to fill it). */
export const BLOB_PREFIX_BYTES = 256;

/** Buffers made by blobBytes, not yet claimed by a blob, and their view's length. */
const prepared = new WeakMap<ArrayBuffer, number>();

/** `byteLength` zeroed bytes that a task may fill and return as its value, stored as they are (see above). */
export function blobBytes(byteLength: number): Uint8Array {
  if (!(Number.isInteger(byteLength) && byteLength >= 0)) throw new RangeError(`blobBytes takes a whole number of bytes ≥ 0, not ${String(byteLength)}`);
  const buffer = new ArrayBuffer(BLOB_PREFIX_BYTES + Math.ceil(byteLength / 8) * 8);
  prepared.set(buffer, byteLength);
  return new Uint8Array(buffer, BLOB_PREFIX_BYTES, byteLength);
}

/**
 * The ArrayBuffer behind `segment` when it is a whole view made by blobBytes and not claimed before
 * (each is claimed once: a value returned twice is copied the second time); else null.
 */
export function claimBlobBytes(segment: Uint8Array): ArrayBuffer | null {
  const buffer = segment.buffer;
  if (!(buffer instanceof ArrayBuffer) || prepared.get(buffer) !== segment.byteLength || segment.byteOffset !== BLOB_PREFIX_BYTES) return null;
  prepared.delete(buffer);
  return buffer;
}
