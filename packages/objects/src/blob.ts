/**
 * The blob layout: one self-describing ArrayBuffer per encoded value.
 *
 * | offset           | size | content                                            |
 * |------------------|------|----------------------------------------------------|
 * | 0                | 4    | magic `SHOB` (ASCII)                               |
 * | 4                | 1    | format version (1)                                 |
 * | 5                | 1    | flags: bit 0 = the skeleton holds codec nodes       |
 * | 6                | 2    | reserved, 0                                        |
 * | 8                | 4    | skeleton length in bytes (u32, little-endian)      |
 * | 12               | 4    | segment count (u32, little-endian)                 |
 * | 16               | L    | skeleton: UTF-8 JSON `{"s":[[offset,length],...],"v":tree}` |
 * | align8(16+L)     | ...  | segments; each starts 8-byte aligned, zero padding between |
 *
 * Segment offsets in the skeleton are relative to the start of the segment
 * area, so the skeleton never depends on its own length.
 */
import { ShoalError } from '@shoal/protocol';
import { BLOB_PREFIX_BYTES, claimBlobBytes } from './blobBytes.ts';

export const BLOB_MAGIC = 'SHOB';
export const BLOB_VERSION = 1;
export const HEADER_BYTES = 16;
const FLAG_CODEC_NODES = 1;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/**
 * Lays out the skeleton tree and segments as one blob (the segments' one copy), or, for one segment
 * made by blobBytes (blobBytes.ts), writes the header in front of it, in its own buffer: no copy.
 */
export function writeBlob(tree: unknown, segments: readonly Uint8Array[], hasCodecNodes: boolean): ArrayBuffer {
  const table: [number, number][] = [];
  let dataBytes = 0;
  for (const segment of segments) {
    table.push([dataBytes, segment.byteLength]);
    dataBytes += align8(segment.byteLength);
  }
  let skeleton = encoder.encode(JSON.stringify({ s: table, v: tree }));
  const inPlace = segments.length === 1 && HEADER_BYTES + skeleton.byteLength <= BLOB_PREFIX_BYTES ? claimBlobBytes(segments[0]!) : null;
  if (inPlace) {
    // JSON may end in spaces: padded, the skeleton ends where the segment starts.
    const padded = new Uint8Array(BLOB_PREFIX_BYTES - HEADER_BYTES).fill(0x20);
    padded.set(skeleton);
    skeleton = padded;
  }
  const dataStart = align8(HEADER_BYTES + skeleton.byteLength);
  const buffer = inPlace ?? new ArrayBuffer(dataStart + dataBytes);
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  bytes.set(encoder.encode(BLOB_MAGIC), 0);
  view.setUint8(4, BLOB_VERSION);
  view.setUint8(5, hasCodecNodes ? FLAG_CODEC_NODES : 0);
  view.setUint32(8, skeleton.byteLength, true);
  view.setUint32(12, segments.length, true);
  bytes.set(skeleton, HEADER_BYTES);
  if (!inPlace) segments.forEach((segment, i) => bytes.set(segment, dataStart + table[i]![0]));
  return buffer;
}

export interface ReadBlob {
  tree: unknown;
  hasCodecNodes: boolean;
  /** Views over the input, in the order the skeleton numbers them. */
  segments: Uint8Array[];
}

/** Parses a blob's header and skeleton; the segments stay views over `input`. */
export function readBlob(input: ArrayBuffer | Uint8Array): ReadBlob {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.byteLength < HEADER_BYTES || decoder.decode(bytes.subarray(0, 4)) !== BLOB_MAGIC) {
    throw bad(`it does not start with the '${BLOB_MAGIC}' magic`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const version = view.getUint8(4);
  if (version !== BLOB_VERSION) throw bad(`it is format version ${version}, and this build reads version ${BLOB_VERSION}`);
  const skeletonBytes = view.getUint32(8, true);
  const count = view.getUint32(12, true);
  if (HEADER_BYTES + skeletonBytes > bytes.byteLength) throw bad('its skeleton runs past the end');
  let skeleton: { s?: unknown; v?: unknown };
  try {
    skeleton = JSON.parse(decoder.decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + skeletonBytes))) as typeof skeleton;
  } catch (error) {
    throw bad(`its skeleton is not JSON (${String(error)})`);
  }
  const table = skeleton.s;
  if (!Array.isArray(table) || table.length !== count) throw bad('its segment table does not match the header');
  const dataStart = align8(HEADER_BYTES + skeletonBytes);
  const segments = table.map((entry: unknown, i) => {
    const [offset, length] = Array.isArray(entry) ? (entry as unknown[]) : [];
    if (!isCount(offset) || !isCount(length) || offset % 8 !== 0 || dataStart + offset + length > bytes.byteLength) {
      throw bad(`its segment ${i} is out of bounds`);
    }
    return bytes.subarray(dataStart + offset, dataStart + offset + length);
  });
  return { tree: skeleton.v, hasCodecNodes: (view.getUint8(5) & FLAG_CODEC_NODES) !== 0, segments };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function bad(why: string): ShoalError {
  return new ShoalError('ERR_BAD_MESSAGE', `cannot decode this object: ${why}`);
}
