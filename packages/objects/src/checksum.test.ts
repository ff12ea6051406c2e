import { describe, expect, it } from 'vitest';
import { checksum } from './checksum.ts';

const text = (s: string) => new TextEncoder().encode(s);

/** xxHash32 written the plain way (byte reads through a DataView), to check the fast path against. */
function reference(bytes: Uint8Array): number {
  const P1 = 0x9e3779b1, P2 = 0x85ebca77, P3 = 0xc2b2ae3d, P4 = 0x27d4eb2f, P5 = 0x165667b1;
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  const mul = (a: number, b: number) => Math.imul(a, b) >>> 0;
  const add = (a: number, b: number) => (a + b) >>> 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const round = (v: number, w: number) => mul(rotl(add(v, mul(w, P2)), 13), P1);
  let at = 0;
  let h: number;
  if (bytes.length >= 16) {
    let v1 = add(P1, P2), v2 = P2, v3 = 0, v4 = (0 - P1) >>> 0;
    for (; at + 16 <= bytes.length; at += 16) {
      v1 = round(v1, view.getUint32(at, true));
      v2 = round(v2, view.getUint32(at + 4, true));
      v3 = round(v3, view.getUint32(at + 8, true));
      v4 = round(v4, view.getUint32(at + 12, true));
    }
    h = add(add(rotl(v1, 1), rotl(v2, 7)), add(rotl(v3, 12), rotl(v4, 18)));
  } else {
    h = P5;
  }
  h = add(h, bytes.length);
  for (; at + 4 <= bytes.length; at += 4) h = mul(rotl(add(h, mul(view.getUint32(at, true), P3)), 17), P4);
  for (; at < bytes.length; at++) h = mul(rotl(add(h, mul(bytes[at]!, P5)), 11), P1);
  h = mul(h ^ (h >>> 15), P2);
  h = mul(h ^ (h >>> 13), P3);
  return (h ^ (h >>> 16)) >>> 0;
}

function noise(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    bytes[i] = x >>> 16;
  }
  return bytes;
}

describe('checksum', () => {
  it('is xxHash32 (published test values)', () => {
    expect(checksum(text(''))).toBe(0x02cc5d05);
    expect(checksum(text('a'))).toBe(0x550d7456);
    expect(checksum(text('abc'))).toBe(0x32d153ff);
    expect(checksum(text('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f);
  });

  it('matches a plain implementation for every length up to 80 and a large buffer', () => {
    const data = noise(1 << 20, 7);
    for (let length = 0; length <= 80; length++) expect(checksum(data.subarray(0, length))).toBe(reference(data.subarray(0, length)));
    expect(checksum(data)).toBe(reference(data));
  });

  it('depends only on the bytes, not on how the view is aligned', () => {
    const data = noise(200_003, 3);
    const host = new Uint8Array(data.length + 3);
    for (const offset of [1, 2, 3]) {
      host.set(data, offset);
      expect(checksum(host.subarray(offset, offset + data.length))).toBe(checksum(data));
    }
  });

  it('detects a single flipped byte anywhere', () => {
    const data = noise(1 << 16, 11);
    const original = checksum(data);
    for (const at of [0, 1, 15, 16, 4097, data.length - 5, data.length - 1]) {
      data[at] ^= 0x01;
      expect(checksum(data)).not.toBe(original);
      data[at] ^= 0x01;
    }
    expect(checksum(data)).toBe(original);
  });

  it('is order-sensitive: swapping two chunks changes it', () => {
    const data = noise(64 * 1024, 5);
    const chunk = 16 * 1024;
    const swapped = new Uint8Array(data.length);
    swapped.set(data.subarray(chunk, 2 * chunk), 0);
    swapped.set(data.subarray(0, chunk), chunk);
    swapped.set(data.subarray(2 * chunk), 2 * chunk);
    expect(checksum(swapped)).not.toBe(checksum(data));
    // Words swapped inside one 16-byte stripe, too.
    const words = new Uint8Array(data.subarray(0, 32));
    const inStripe = new Uint8Array(words);
    inStripe.set(words.subarray(4, 8), 0);
    inStripe.set(words.subarray(0, 4), 4);
    expect(checksum(inStripe)).not.toBe(checksum(words));
  });
});
