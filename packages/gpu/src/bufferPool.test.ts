import { describe, expect, it } from 'vitest';
import { BufferPool, poolKey, sizeClass } from './bufferPool.ts';
import { READBACK_USAGE, STORAGE_USAGE } from './usage.ts';

/** A fake GPUBuffer: size, usage, a writable label, and whether it was destroyed. */
function fakeFactory() {
  const made: { label: string; size: number; usage: number; destroyed: boolean }[] = [];
  return {
    made,
    createBuffer(descriptor: GPUBufferDescriptor): GPUBuffer {
      const buffer = { label: descriptor.label ?? '', size: descriptor.size, usage: descriptor.usage, destroyed: false, destroy() { this.destroyed = true; } };
      made.push(buffer);
      return buffer as unknown as GPUBuffer;
    },
  };
}

describe('sizeClass', () => {
  it('rounds up to a quarter of the power of two, at least 256', () => {
    expect(sizeClass(0)).toBe(256);
    expect(sizeClass(4)).toBe(256);
    expect(sizeClass(256)).toBe(256);
    expect(sizeClass(257)).toBe(320);
    expect(sizeClass(1000)).toBe(1024);
    expect(sizeClass(1024)).toBe(1024);
    expect(sizeClass(1100)).toBe(1280);
    expect(sizeClass(4_000_000)).toBe(4_194_304);
  });
  it('wastes at most a quarter', () => {
    for (let bytes = 257; bytes < 1e7; bytes = Math.ceil(bytes * 1.37)) {
      const size = sizeClass(bytes);
      expect(size).toBeGreaterThanOrEqual(bytes);
      expect(size / bytes).toBeLessThanOrEqual(1.25);
      expect(size % 4).toBe(0);
    }
  });
  it('never rounds past the device limit for a size that fits', () => {
    expect(sizeClass(1000, 1010)).toBe(1000);
    expect(sizeClass(1001, 1010)).toBe(1004);
  });
  it('refuses nonsense', () => {
    expect(() => sizeClass(-1)).toThrow(RangeError);
    expect(() => sizeClass(Number.NaN)).toThrow(RangeError);
  });
});

describe('BufferPool', () => {
  it('reuses a released buffer for the same class and usage, relabelled', () => {
    const factory = fakeFactory();
    const pool = new BufferPool(factory);
    const first = pool.acquire(4000, STORAGE_USAGE, 'job.a');
    expect(first.size).toBe(4096);
    expect(first.label).toBe('job.a');
    pool.release(first);
    const again = pool.acquire(3900, STORAGE_USAGE, 'job.b');
    expect(again).toBe(first);
    expect(again.label).toBe('job.b');
    expect(pool.stats()).toMatchObject({ created: 1, reused: 1, inUse: 1, freeBuffers: 0 });
  });

  it('keys by usage and class: other usages and sizes get new buffers', () => {
    const factory = fakeFactory();
    const pool = new BufferPool(factory);
    const storage = pool.acquire(4000, STORAGE_USAGE, 's');
    pool.release(storage);
    expect(pool.acquire(4000, READBACK_USAGE, 'r')).not.toBe(storage);
    expect(pool.acquire(9000, STORAGE_USAGE, 'big')).not.toBe(storage);
    expect(factory.made).toHaveLength(3);
    expect(poolKey(4096, STORAGE_USAGE)).toBe('COPY_SRC|COPY_DST|STORAGE:4096');
  });

  it('never lends one buffer twice', () => {
    const pool = new BufferPool(fakeFactory());
    const a = pool.acquire(100, STORAGE_USAGE, 'a');
    const b = pool.acquire(100, STORAGE_USAGE, 'b');
    expect(a).not.toBe(b);
    pool.release(a);
    pool.release(a); // twice: ignored
    expect(pool.acquire(100, STORAGE_USAGE, 'c')).toBe(a);
    expect(pool.acquire(100, STORAGE_USAGE, 'd')).not.toBe(a);
  });

  it('destroys the oldest free buffers beyond maxFreeBytes', () => {
    const factory = fakeFactory();
    const pool = new BufferPool(factory, { maxFreeBytes: 2048 });
    const buffers = [0, 1, 2].map((i) => pool.acquire(1024, STORAGE_USAGE, `b${i}`));
    pool.releaseAll(buffers);
    expect(factory.made.map((b) => b.destroyed)).toEqual([true, false, false]);
    expect(pool.stats()).toMatchObject({ freeBuffers: 2, freeBytes: 2048 });
    // The most recently released comes back first.
    expect(pool.acquire(1024, STORAGE_USAGE, 'again')).toBe(buffers[2]);
  });

  it('destroys a discarded buffer instead of keeping it, and clear() empties the pool', () => {
    const factory = fakeFactory();
    const pool = new BufferPool(factory);
    const a = pool.acquire(100, STORAGE_USAGE, 'a');
    const b = pool.acquire(100, STORAGE_USAGE, 'b');
    pool.discard(a);
    pool.release(b);
    expect(factory.made[0]!.destroyed).toBe(true);
    pool.clear();
    expect(factory.made[1]!.destroyed).toBe(true);
    expect(pool.stats()).toMatchObject({ inUse: 0, freeBuffers: 0, freeBytes: 0 });
  });
});
