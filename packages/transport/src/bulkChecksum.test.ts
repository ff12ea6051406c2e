import { describe, expect, it } from 'vitest';
import { BulkChecksumParts, bulkChecksum, bulkChecksumAsync } from './bulkChecksum.ts';

function bytesOf(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('bulkChecksum in pieces', () => {
  it.each([0, 1, 3, 4, 5, 1000, 65_537, 262_128 * 3 + 7])('matches the one-pass sum for %i bytes, pieces in any order', (size) => {
    const data = bytesOf(size, size + 1);
    const want = bulkChecksum(data);
    for (const piece of [4, 64, 262_128]) {
      const parts = new BulkChecksumParts(size);
      const starts: number[] = [];
      for (let at = 0; at < size; at += piece) starts.push(at);
      for (const at of starts.reverse()) parts.add(data.subarray(at, Math.min(size, at + piece)), at);
      expect(parts.finish()).toBe(want);
    }
  });

  it('notices a changed byte, and gives up (null) on pieces that split a word', () => {
    const data = bytesOf(10_000, 7);
    const want = bulkChecksum(data);
    const bad = data.slice();
    bad[5_001]! ^= 1;
    const parts = new BulkChecksumParts(bad.length);
    parts.add(bad.subarray(0, 5_000), 0);
    parts.add(bad.subarray(5_000), 5_000);
    expect(parts.finish()).not.toBe(want);
    const split = new BulkChecksumParts(data.length);
    split.add(data.subarray(0, 4_998), 0);
    expect(split.finish()).toBeNull();
  });

  it('gives the same sum asynchronously, a slice per task', async () => {
    const data = bytesOf(1_000_003, 9);
    expect(await bulkChecksumAsync(data, 65_536)).toBe(bulkChecksum(data));
    expect(await bulkChecksumAsync(data.subarray(1), 65_536)).toBe(bulkChecksum(data.subarray(1)));
  });
});
