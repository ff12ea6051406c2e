/**
 * A fast 32-bit checksum for object bytes: xxHash32 (seed 0), written for JS.
 *
 * The main loop reads 32-bit words through a Uint32Array (four lanes of a
 * 16-byte stripe, each a multiply-rotate-multiply round), so it runs at
 * memory-ish speed on 64–256 MB buffers; `bench/checksum.ts` measures it.
 * Every lane is mixed in order, so a flipped byte or swapped chunks change the
 * result. The value depends only on the bytes: an input whose byteOffset is
 * not a multiple of 4 is streamed through a small aligned scratch buffer, and
 * the tail is read little-endian, so results match the reference xxHash32 on
 * little-endian machines (every browser platform).
 *
 * It detects accidents (truncation, corruption, reordering), not attacks.
 */

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

/** Bytes per step when an unaligned input is copied through scratch (a multiple of 16). */
const SCRATCH_BYTES = 64 * 1024;

/** xxHash32 of `bytes` (seed 0), as an unsigned 32-bit integer. */
export function checksum(bytes: Uint8Array): number {
  const length = bytes.byteLength;
  const stripeBytes = length - (length % 16);
  let h: number;
  if (length >= 16) {
    const lanes = new Int32Array([(P1 + P2) | 0, P2 | 0, 0, -P1 | 0]);
    if (bytes.byteOffset % 4 === 0) {
      mixStripes(lanes, new Uint32Array(bytes.buffer, bytes.byteOffset, stripeBytes / 4));
    } else {
      const scratch = new Uint8Array(Math.min(SCRATCH_BYTES, stripeBytes));
      const words = new Uint32Array(scratch.buffer);
      for (let at = 0; at < stripeBytes; at += SCRATCH_BYTES) {
        const n = Math.min(SCRATCH_BYTES, stripeBytes - at);
        scratch.set(bytes.subarray(at, at + n));
        mixStripes(lanes, n === scratch.byteLength ? words : words.subarray(0, n / 4));
      }
    }
    h = rotl(lanes[0]!, 1) + rotl(lanes[1]!, 7) + rotl(lanes[2]!, 12) + rotl(lanes[3]!, 18);
  } else {
    h = P5;
  }
  h = (h + length) | 0;

  let at = stripeBytes;
  for (; at + 4 <= length; at += 4) {
    const word = bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
    h = Math.imul(rotl(h + Math.imul(word, P3), 17), P4);
  }
  for (; at < length; at++) h = Math.imul(rotl(h + Math.imul(bytes[at]!, P5), 11), P1);

  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mixes whole 16-byte stripes (`words.length` is a multiple of 4) into the four lanes. */
function mixStripes(lanes: Int32Array, words: Uint32Array): void {
  let v1 = lanes[0]!;
  let v2 = lanes[1]!;
  let v3 = lanes[2]!;
  let v4 = lanes[3]!;
  const n = words.length;
  for (let i = 0; i < n; i += 4) {
    // `a + imul(...)` may pass 2^32; the shifts in the rotate wrap it to 32 bits.
    let x = v1 + Math.imul(words[i]!, P2);
    v1 = Math.imul((x << 13) | (x >>> 19), P1);
    x = v2 + Math.imul(words[i + 1]!, P2);
    v2 = Math.imul((x << 13) | (x >>> 19), P1);
    x = v3 + Math.imul(words[i + 2]!, P2);
    v3 = Math.imul((x << 13) | (x >>> 19), P1);
    x = v4 + Math.imul(words[i + 3]!, P2);
    v4 = Math.imul((x << 13) | (x >>> 19), P1);
  }
  lanes[0] = v1;
  lanes[1] = v2;
  lanes[2] = v3;
  lanes[3] = v4;
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}
