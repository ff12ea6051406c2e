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
 *
 * Recycled buffers: fresh memory is dear twice over (the page faults, and the
 * collector's work on big buffers made and dropped at a high rate: a sort
 * task's export took 2-3x as long into new buffers as into reused ones in a
 * Chromium Web Worker). Code that owns a buffer outright and is done with it
 * (a task's consumed inputs, through ctx.recycle) may hand it to
 * `recycleBlobBytes`; a later `blobBytes(n)` takes the smallest pooled buffer
 * that fits n with at most 1/8 (+ 64 KiB) to spare, zeroes the view, and the
 * blob keeps the spare bytes at its end (readBlob reads by the segment
 * table). The pool holds at most BLOB_POOL_BYTES (a quarter of the task
 * memory cap where one is set: setBlobPoolLimit), buffers of at least 1 MiB,
 * each for at most BLOB_POOL_MS. The memory guard does not count pooled
 * buffers (they came in by transfer), so that quarter is on top of the cap.
 */
/** Room before the segment for the blob's header and skeleton (the skeleton is padded to fill it). */
export const BLOB_PREFIX_BYTES = 256;

/** The most bytes the pool holds (per realm: each task Web Worker has its own). */
export const BLOB_POOL_BYTES = 256 * 2 ** 20;
/** A pooled buffer not taken within this long is dropped. */
export const BLOB_POOL_MS = 30_000;
const MIN_POOLED = 2 ** 20;

/** Pooled buffers, oldest first, with when they came. */
let pool: { buffer: ArrayBuffer; at: number }[] = [];
let pooledBytes = 0;
let poolLimit = BLOB_POOL_BYTES;

/** Lowers (or restores) the most bytes the pool holds: a task Web Worker under a memory cap pools at most a quarter of it. */
export function setBlobPoolLimit(bytes: number): void {
  poolLimit = Math.max(0, Math.min(BLOB_POOL_BYTES, Math.floor(bytes)));
  while (pooledBytes > poolLimit) pooledBytes -= pool.shift()!.buffer.byteLength;
}
let sweep: ReturnType<typeof setTimeout> | null = null;

const dropOld = (): void => {
  const now = Date.now();
  while (pool.length > 0 && now - pool[0]!.at >= BLOB_POOL_MS) pooledBytes -= pool.shift()!.buffer.byteLength;
};

/**
 * Hands a buffer its owner is done with to the pool, for a later blobBytes to reuse. The caller must hold
 * the only reference that will ever be used again (nothing may read or write it after this). Buffers under
 * 1 MiB, detached, shared or resizable ones are ignored; the oldest are dropped past BLOB_POOL_BYTES.
 */
export function recycleBlobBytes(buffer: ArrayBuffer): void {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < MIN_POOLED || buffer.byteLength > poolLimit || (buffer as { resizable?: boolean }).resizable === true || prepared.has(buffer)) return;
  if (pool.some((p) => p.buffer === buffer)) return;
  pool.push({ buffer, at: Date.now() });
  pooledBytes += buffer.byteLength;
  while (pooledBytes > poolLimit) pooledBytes -= pool.shift()!.buffer.byteLength;
  if (sweep === null) armSweep();
}

/** Drops buffers past their time even when no one asks for bytes (an idle tab gives its pool back). */
function armSweep(): void {
  sweep = setTimeout(() => {
    sweep = null;
    dropOld();
    if (pool.length > 0) armSweep();
  }, BLOB_POOL_MS);
  (sweep as { unref?: () => void }).unref?.();
}

/** Bytes in the pool now (tests, diagnostics). */
export function blobPoolBytes(): number {
  return pooledBytes;
}

/** The smallest pooled buffer of `need` bytes or a little more (at most 1/8 + 64 KiB to spare), taken out; else null. */
function takePooled(need: number): ArrayBuffer | null {
  dropOld();
  let best = -1;
  const most = need + Math.floor(need / 8) + 65536;
  for (let i = 0; i < pool.length; i++) {
    const size = pool[i]!.buffer.byteLength;
    // A detached buffer (transferred away after all) reads 0 bytes: it never fits.
    if (size >= need && size <= most && (best < 0 || size < pool[best]!.buffer.byteLength)) best = i;
  }
  if (best < 0) return null;
  const [{ buffer }] = pool.splice(best, 1) as [{ buffer: ArrayBuffer; at: number }];
  pooledBytes -= buffer.byteLength;
  return buffer;
}

/** Buffers made by blobBytes, not yet claimed by a blob, and their view's length. */
const prepared = new WeakMap<ArrayBuffer, number>();

/** `byteLength` zeroed bytes that a task may fill and return as its value, stored as they are (see above). */
export function blobBytes(byteLength: number): Uint8Array {
  if (!(Number.isInteger(byteLength) && byteLength >= 0)) throw new RangeError(`blobBytes takes a whole number of bytes ≥ 0, not ${String(byteLength)}`);
  const need = BLOB_PREFIX_BYTES + Math.ceil(byteLength / 8) * 8;
  const pooled = need >= MIN_POOLED ? takePooled(need) : null;
  const buffer = pooled ?? new ArrayBuffer(need);
  prepared.set(buffer, byteLength);
  const view = new Uint8Array(buffer, BLOB_PREFIX_BYTES, byteLength);
  if (pooled) view.fill(0);
  return view;
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
