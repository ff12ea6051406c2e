import { describe, expect, it } from 'vitest';
import { blobBytes, blobPoolBytes, recycleBlobBytes, setBlobPoolLimit, BLOB_POOL_BYTES, BLOB_PREFIX_BYTES } from './blobBytes.ts';
import { decodeValue, encodeValue } from './codec.ts';
import { packValue } from './pack.ts';

const filled = (n: number): Uint8Array => {
  const bytes = blobBytes(n);
  for (let i = 0; i < n; i++) bytes[i] = (i * 7 + 3) & 0xff;
  return bytes;
};
const same = (a: Uint8Array, b: Uint8Array): boolean => a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);

describe('blobBytes: an output stored without the codec copy', () => {
  it('is encoded in its own buffer, and decodes to the same bytes', () => {
    for (const n of [0, 1, 7, 8, 100_003]) {
      const bytes = filled(n);
      const expected = bytes.slice();
      const { buffer } = encodeValue(bytes);
      expect(buffer).toBe(bytes.buffer);
      expect(buffer.byteLength).toBe(BLOB_PREFIX_BYTES + Math.ceil(n / 8) * 8);
      const back = decodeValue(buffer) as Uint8Array;
      expect(back).toBeInstanceOf(Uint8Array);
      expect(same(back, expected)).toBe(true);
    }
  });

  it('goes through packValue (a task return value) the same way', () => {
    const bytes = filled(70_000);
    const packed = packValue(bytes);
    expect(packed.inline).toBe(false);
    if (!packed.inline) expect(packed.buffer).toBe(bytes.buffer);
  });

  it('is claimed once: the same view returned again is copied, and both decode', () => {
    const bytes = filled(4096);
    const expected = bytes.slice();
    const again = encodeValue(bytes).buffer; // the header now lies in front of the view
    expect(again).toBe(bytes.buffer);
    const copy = encodeValue(bytes).buffer;
    expect(copy).not.toBe(bytes.buffer);
    expect(same(decodeValue(copy) as Uint8Array, expected)).toBe(true);
    expect(same(decodeValue(again) as Uint8Array, expected)).toBe(true);
  });

  it('copies what is not the whole view: a part of it, or a value with other segments', () => {
    const bytes = filled(4096);
    const part = bytes.subarray(8, 1000);
    const partBlob = encodeValue(part).buffer;
    expect(partBlob).not.toBe(bytes.buffer);
    expect(same(decodeValue(partBlob) as Uint8Array, bytes.subarray(8, 1000))).toBe(true);
    const pair = encodeValue({ a: bytes, b: new Float64Array([1.5, 2.5]) });
    expect(pair.buffer).not.toBe(bytes.buffer);
    const decoded = decodeValue(pair.buffer) as { a: Uint8Array; b: Float64Array };
    expect(same(decoded.a, bytes)).toBe(true);
    expect([...decoded.b]).toEqual([1.5, 2.5]);
  });

  it('copies an ordinary Uint8Array as before', () => {
    const plain = new Uint8Array(5000).fill(9);
    expect(encodeValue(plain).buffer).not.toBe(plain.buffer);
  });

  it('refuses a length that is not a whole number of bytes', () => {
    expect(() => blobBytes(-1)).toThrow(RangeError);
    expect(() => blobBytes(1.5)).toThrow(RangeError);
  });
});

describe('blobBytes: recycled buffers (recycleBlobBytes)', () => {
  const MiB = 2 ** 20;
  it('reuses a pooled buffer that fits, zeroed, once; the blob keeps the spare bytes and decodes the same', () => {
    const old = new ArrayBuffer(BLOB_PREFIX_BYTES + 2 * MiB);
    new Uint8Array(old).fill(0xee);
    const before = blobPoolBytes();
    recycleBlobBytes(old);
    expect(blobPoolBytes()).toBe(before + old.byteLength);
    const n = 2 * MiB - 1000; // under the buffer by less than 1/8
    const bytes = blobBytes(n);
    expect(bytes.buffer).toBe(old);
    expect(blobPoolBytes()).toBe(before);
    expect(bytes.every((b) => b === 0)).toBe(true);
    for (let i = 0; i < n; i += 4093) bytes[i] = i & 0xff;
    const expected = bytes.slice();
    const { buffer } = encodeValue(bytes);
    expect(buffer).toBe(old);
    expect(same(decodeValue(buffer) as Uint8Array, expected)).toBe(true);
    // Taken once: the next one is new memory.
    expect(blobBytes(n).buffer).not.toBe(old);
  });

  it('leaves in the pool what is too small, or too big (more than 1/8 to spare), and ignores buffers under 1 MiB', () => {
    const big = new ArrayBuffer(8 * MiB);
    recycleBlobBytes(big);
    expect(blobBytes(4 * MiB).buffer).not.toBe(big);
    expect(blobBytes(9 * MiB).buffer).not.toBe(big);
    expect(blobBytes(8 * MiB - BLOB_PREFIX_BYTES - 8).buffer).toBe(big);
    const small = new ArrayBuffer(MiB - 1);
    const before = blobPoolBytes();
    recycleBlobBytes(small);
    expect(blobPoolBytes()).toBe(before);
  });

  it('holds at most BLOB_POOL_BYTES, dropping the oldest', () => {
    const buffers = Array.from({ length: Math.ceil(BLOB_POOL_BYTES / (16 * MiB)) + 2 }, () => new ArrayBuffer(16 * MiB));
    for (const b of buffers) recycleBlobBytes(b);
    expect(blobPoolBytes()).toBeLessThanOrEqual(BLOB_POOL_BYTES);
    // The first ones were dropped: asking for their size now gets one of the later ones.
    const got = blobBytes(16 * MiB - BLOB_PREFIX_BYTES).buffer;
    expect(buffers.indexOf(got as ArrayBuffer)).toBeGreaterThan(1);
  });
});

describe('blobBytes: the pool under a task memory cap (setBlobPoolLimit)', () => {
  it('holds at most the limit, drops the oldest at once when lowered, and takes no buffer bigger than it', () => {
    const MiB = 2 ** 20;
    setBlobPoolLimit(8 * MiB);
    try {
      expect(blobPoolBytes()).toBeLessThanOrEqual(8 * MiB);
      const tooBig = new ArrayBuffer(9 * MiB);
      recycleBlobBytes(tooBig);
      expect(blobBytes(9 * MiB - BLOB_PREFIX_BYTES).buffer).not.toBe(tooBig);
      for (let i = 0; i < 4; i++) recycleBlobBytes(new ArrayBuffer(3 * MiB));
      expect(blobPoolBytes()).toBeLessThanOrEqual(8 * MiB);
      setBlobPoolLimit(0);
      expect(blobPoolBytes()).toBe(0);
    } finally {
      setBlobPoolLimit(BLOB_POOL_BYTES);
    }
  });
});
