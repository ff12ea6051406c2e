/**
 * @shoal/objects: the value codec (one self-describing blob per value, Arrow
 * and typed arrays zero-copy on decode), the checksum for bulk transfers, and
 * each tab's object store with LRU spilling and its peer-to-peer object plane.
 */
export { encodeValue, decodeValue } from './codec.ts';
export type { EncodedValue } from './codec.ts';
export { registerCodecHandler, codecHandlerNames } from './handlers.ts';
export type { CodecHandler, EncodedParts } from './handlers.ts';
export { BLOB_MAGIC, BLOB_VERSION, HEADER_BYTES } from './blob.ts';
export { blobBytes, blobPoolBytes, recycleBlobBytes, setBlobPoolLimit, BLOB_POOL_BYTES, BLOB_POOL_MS, BLOB_PREFIX_BYTES } from './blobBytes.ts';
export { checksum } from './checksum.ts';
export { TYPED_ARRAY_NAMES } from './binaryHandlers.ts';
export { packValue, INLINE_MAX_BYTES } from './pack.ts';
export type { Packed } from './pack.ts';
export { ObjectStore } from './store.ts';
export type { ObjectStoreOptions } from './store.ts';
export { MemorySpill } from './spill.ts';
export type { SpillBackend, MemorySpillOptions } from './spill.ts';
export { OpfsSpill, spillFileName } from './opfsSpill.ts';
export type { OpfsRoot } from './opfsSpill.ts';
export { defaultCapacityBytes, DEVICE_MEMORY_SHARE, MIN_CAPACITY_BYTES, MAX_CAPACITY_BYTES, UNKNOWN_DEVICE_CAPACITY_BYTES } from './capacity.ts';
export { ObjectPlane } from './plane.ts';
export type { ObjectPlaneOptions, PeerFetcher, PlaneTraffic } from './plane.ts';
