import { describe, expect, it } from 'vitest';
import {
  BULK_CHUNK_HEADER_BYTES,
  decodeBulkFrame,
  encodeBulkChunk,
  encodeBulkFrame,
  writeBulkChunk,
  type BulkFrame,
} from './bulkWire.ts';

describe('bulk frames', () => {
  const frames: BulkFrame[] = [
    { kind: 'request', transferId: 7, objectId: 'obj-é-1' },
    { kind: 'header', transferId: 0x8000_0003, push: true, lanes: 3, checksum: 0xdeadbeef, total: 2 ** 40 + 5, objectId: 'x' },
    { kind: 'header', transferId: 1, push: false, lanes: 1, checksum: 0, total: 0, objectId: '' },
    { kind: 'end', transferId: 9, lane: 2 },
    { kind: 'missing', transferId: 4, reason: 'no object "a"' },
    { kind: 'cancel', transferId: 0xffff_ffff },
    { kind: 'busy', transferId: 42 },
    { kind: 'result', transferId: 12, status: 'corrupt' },
    { kind: 'hello', transferId: 0, ack: true },
    { kind: 'ack', transferId: 0, bytes: 2 ** 40 + 16 },
  ];

  it.each(frames)('round-trips a $kind frame', (frame) => {
    if (frame.kind === 'chunk') throw new Error('unreachable');
    expect(decodeBulkFrame(encodeBulkFrame(frame))).toEqual({ ok: true, frame });
  });

  it('carries a chunk payload after a 16-byte header, decoded without a copy', () => {
    const payload = new Uint8Array([1, 2, 3, 250]);
    const buffer = encodeBulkChunk(5, 262128, payload);
    expect(buffer.byteLength).toBe(BULK_CHUNK_HEADER_BYTES + 4);
    const decoded = decodeBulkFrame(buffer);
    expect(decoded.ok && decoded.frame.kind === 'chunk' && decoded.frame.offset).toBe(262128);
    if (!decoded.ok || decoded.frame.kind !== 'chunk') throw new Error('not a chunk');
    expect([...decoded.frame.payload]).toEqual([1, 2, 3, 250]);
    expect(decoded.frame.payload.buffer).toBe(buffer);
  });

  it('writes a chunk into a scratch buffer and takes a separate body', () => {
    const scratch = new Uint8Array(64);
    const length = writeBulkChunk(scratch, 3, 10, new Uint8Array([9, 9]));
    expect(length).toBe(18);
    const decoded = decodeBulkFrame(scratch.slice(0, length).buffer);
    expect(decoded.ok && decoded.frame.kind === 'chunk' && [...decoded.frame.payload]).toEqual([9, 9]);
    const body = new Uint8Array([4, 5, 6]).buffer;
    const split = decodeBulkFrame(encodeBulkFrame({ kind: 'chunk', transferId: 3, offset: 0 }), body);
    expect(split.ok && split.frame.kind === 'chunk' && split.frame.payload.buffer).toBe(body);
  });

  it('rejects bad frames without throwing', () => {
    const good = encodeBulkFrame({ kind: 'request', transferId: 1, objectId: 'abc' });
    const badMagic = new Uint8Array(good.slice(0));
    badMagic[0] = 0;
    const badKind = new Uint8Array(good.slice(0));
    badKind[3] = 99;
    const badVersion = new Uint8Array(good.slice(0));
    badVersion[2] = 2;
    const truncated = good.slice(0, good.byteLength - 1);
    const badUtf8 = new Uint8Array(good.slice(0));
    badUtf8[10] = 0xff;
    const header = new DataView(encodeBulkFrame({ kind: 'header', transferId: 1, push: false, lanes: 1, checksum: 0, total: 10, objectId: 'a' }));
    header.setFloat64(16, -1, true);
    const noLanes = new DataView(encodeBulkFrame({ kind: 'header', transferId: 1, push: false, lanes: 1, checksum: 0, total: 10, objectId: 'a' }));
    noLanes.setUint8(9, 0);
    const chunk = new DataView(encodeBulkChunk(1, 0, new Uint8Array(1)));
    chunk.setFloat64(8, 0.5, true);
    const cases: ArrayBuffer[] = [
      new ArrayBuffer(0),
      new ArrayBuffer(7),
      badMagic.buffer,
      badKind.buffer,
      badVersion.buffer,
      truncated,
      badUtf8.buffer,
      header.buffer as ArrayBuffer,
      noLanes.buffer as ArrayBuffer,
      chunk.buffer as ArrayBuffer,
      new Uint8Array([0x53, 0x42, 1, 3, 0, 0, 0, 0]).buffer,
    ];
    for (const data of cases) {
      const decoded = decodeBulkFrame(data);
      expect(decoded.ok, JSON.stringify([...new Uint8Array(data)].slice(0, 12))).toBe(false);
      if (!decoded.ok) expect(decoded.reason.length).toBeGreaterThan(0);
    }
  });

  it('refuses an object id longer than the limit at encode time', () => {
    expect(() => encodeBulkFrame({ kind: 'request', transferId: 1, objectId: 'x'.repeat(2000) })).toThrow(RangeError);
  });
});
