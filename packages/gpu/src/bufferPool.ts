/**
 * A pool of GPU buffers keyed by size class and usage. Kernels acquire a
 * buffer for each call and release it when the call is done; the next call
 * with a similar size and the same usage gets the same buffer back instead of
 * a fresh allocation. Sizes are rounded up to a class (four classes per
 * power of two, so at most 25% is wasted); bind a pooled buffer with an
 * explicit `size` so that `arrayLength()` in WGSL sees the data, not the class.
 *
 *   const buffer = pool.acquire(4000, STORAGE_USAGE, 'shoal.input.a'); // a 4096-byte buffer
 *   pool.release(buffer);                                             // kept for reuse
 *   pool.acquire(3900, STORAGE_USAGE, 'shoal.input.b') === buffer;    // true, relabelled
 *
 * Free buffers beyond `maxFreeBytes` are destroyed, oldest released first.
 */
import { usageName } from './usage.ts';

/** The part of GPUDevice the pool uses (tests pass a fake). */
export interface BufferFactory {
  createBuffer(descriptor: GPUBufferDescriptor): GPUBuffer;
}

export interface BufferPoolOptions {
  /** Free bytes kept for reuse; more are destroyed. Default 256 MiB. */
  maxFreeBytes?: number;
  /** The device's `maxBufferSize`: a class never rounds past it. Default no limit. */
  maxBufferSize?: number;
}

export interface BufferPoolStats {
  /** Buffers created since the pool was made. */
  created: number;
  /** Acquires served from the free list. */
  reused: number;
  /** Buffers out on loan now. */
  inUse: number;
  freeBuffers: number;
  freeBytes: number;
}

const MIN_CLASS_BYTES = 256;
const DEFAULT_MAX_FREE_BYTES = 256 * 1024 * 1024;

/**
 * The size class for `bytes`: at least 256, otherwise `bytes` rounded up to a
 * quarter of its power of two (1000 → 1024, 1100 → 1280, 5000 → 5120).
 */
export function sizeClass(bytes: number, maxBufferSize = Infinity): number {
  if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`a buffer size must be a finite number ≥ 0, got ${bytes}`);
  if (bytes <= MIN_CLASS_BYTES) return MIN_CLASS_BYTES;
  const base = 2 ** Math.floor(Math.log2(bytes));
  const step = base / 4;
  const size = Math.ceil(bytes / step) * step;
  return bytes <= maxBufferSize && size > maxBufferSize ? Math.ceil(bytes / 4) * 4 : size;
}

/** The free-list key: usage flags and size class. */
export function poolKey(size: number, usage: number): string {
  return `${usageName(usage)}:${size}`;
}

export class BufferPool {
  readonly #factory: BufferFactory;
  readonly #maxFreeBytes: number;
  readonly #maxBufferSize: number;
  /** Free buffers by key, most recently released last. */
  readonly #free = new Map<string, GPUBuffer[]>();
  /** Every free buffer and its key, oldest released first (Map keeps insertion order). */
  readonly #freeOrder = new Map<GPUBuffer, string>();
  /** Buffers on loan, with their key. */
  readonly #inUse = new Map<GPUBuffer, string>();
  #freeBytes = 0;
  #created = 0;
  #reused = 0;

  constructor(factory: BufferFactory, options: BufferPoolOptions = {}) {
    this.#factory = factory;
    this.#maxFreeBytes = options.maxFreeBytes ?? DEFAULT_MAX_FREE_BYTES;
    this.#maxBufferSize = options.maxBufferSize ?? Infinity;
  }

  /** A buffer of at least `byteLength` bytes with exactly `usage`, labelled `label`. */
  acquire(byteLength: number, usage: number, label: string): GPUBuffer {
    const size = sizeClass(byteLength, this.#maxBufferSize);
    const key = poolKey(size, usage);
    const reusable = this.#free.get(key)?.pop();
    if (reusable) {
      this.#freeOrder.delete(reusable);
      this.#freeBytes -= reusable.size;
      this.#reused++;
      reusable.label = label;
      this.#inUse.set(reusable, key);
      return reusable;
    }
    const buffer = this.#factory.createBuffer({ label, size, usage });
    this.#created++;
    this.#inUse.set(buffer, key);
    return buffer;
  }

  /** Returns a buffer for reuse. Buffers this pool did not lend (or already took back) are ignored. */
  release(buffer: GPUBuffer): void {
    const key = this.#inUse.get(buffer);
    if (key === undefined) return;
    this.#inUse.delete(buffer);
    if (buffer.size > this.#maxFreeBytes) {
      buffer.destroy();
      return;
    }
    const list = this.#free.get(key) ?? [];
    list.push(buffer);
    this.#free.set(key, list);
    this.#freeOrder.set(buffer, key);
    this.#freeBytes += buffer.size;
    this.#evict();
  }

  /** Destroys a lent buffer instead of taking it back (it may still be in use or mapped after a failure). */
  discard(buffer: GPUBuffer): void {
    if (!this.#inUse.delete(buffer)) return;
    buffer.destroy();
  }

  /** Releases each of `buffers`. */
  releaseAll(buffers: Iterable<GPUBuffer>): void {
    for (const buffer of buffers) this.release(buffer);
  }

  /** Destroys the free buffers, and forgets (without destroying) those on loan. */
  clear(): void {
    for (const buffer of this.#freeOrder.keys()) buffer.destroy();
    this.#free.clear();
    this.#freeOrder.clear();
    this.#inUse.clear();
    this.#freeBytes = 0;
  }

  stats(): BufferPoolStats {
    return { created: this.#created, reused: this.#reused, inUse: this.#inUse.size, freeBuffers: this.#freeOrder.size, freeBytes: this.#freeBytes };
  }

  #evict(): void {
    for (const [buffer, key] of this.#freeOrder) {
      if (this.#freeBytes <= this.#maxFreeBytes) return;
      this.#freeOrder.delete(buffer);
      const list = this.#free.get(key)!;
      list.splice(list.indexOf(buffer), 1);
      if (list.length === 0) this.#free.delete(key);
      this.#freeBytes -= buffer.size;
      buffer.destroy();
    }
  }
}
