/**
 * The bulk plane's binary frames: how an object's bytes cross a bulk data
 * channel (or a MessagePort between co-located tabs). Control messages are
 * JSON on their own channel (wire.ts); these frames never share it.
 *
 * Every frame starts with the same 8 bytes (little-endian):
 *
 *   0  u8   0x53 'S'   magic
 *   1  u8   0x42 'B'   magic
 *   2  u8   version    BULK_WIRE_VERSION (1)
 *   3  u8   kind       see BULK_KIND
 *   4  u32  transferId
 *
 * then, by kind (→S: to the side sending the bytes, →R: to the receiving side):
 *
 *   request  →S  8 u16 idLen, 10 objectId (UTF-8)               fetch an object
 *   header   →R  8 u8 flags (bit 0: push), 9 u8 lanes, 10 u16 idLen,
 *                12 u32 checksum, 16 f64 total, 24 objectId    sent first on every lane used
 *   chunk    →R  8 f64 offset, 16 payload                       ≤ 256 KiB in all on a data channel
 *   end      →R  8 u8 lane                                       last frame of a transfer on a lane
 *   missing  →R  8 u16 reasonLen, 10 reason (UTF-8)             no such object / the sender gave up
 *   cancel   →S  (nothing)                                       the receiver aborted: stop sending
 *   result   →S  8 u8 status (0 ok, 1 corrupt, 2 refused)       a push's verdict
 *   hello    both 8 u8 ack (0 hello, 1 ready)                    bulk channel handshake (not a transfer)
 *   ack      →S  8 f64 bytes                                     chunk payload bytes received so far from
 *                                                               the peer, all transfers (transferId 0;
 *                                                               paces the sender, see transport's bulkPacer.ts)
 *   busy     →R  (nothing)                                       the request is still being prepared (serve is
 *                                                               slow): keeps the fetch's stall deadline off
 *
 * Transfer ids of fetches have the top bit clear and are picked by the
 * fetching side; ids of pushes have it set and are picked by the pushing
 * side, so the two sides never pick the same id for different transfers.
 * Decoding never throws: a bad frame comes back as `{ ok: false, reason }`.
 */

export const BULK_WIRE_VERSION = 1;
export const BULK_MAGIC_0 = 0x53;
export const BULK_MAGIC_1 = 0x42;
/** Bytes before a chunk's payload. */
export const BULK_CHUNK_HEADER_BYTES = 16;
/** Top bit of a transfer id: set for pushes. */
export const BULK_PUSH_BIT = 0x8000_0000;
/** Longest object id a frame carries (bytes of UTF-8). */
export const BULK_MAX_ID_BYTES = 1024;

export const BULK_KIND = {
  request: 1,
  header: 2,
  chunk: 3,
  end: 4,
  missing: 5,
  cancel: 6,
  result: 7,
  hello: 8,
  ack: 9,
  busy: 10,
} as const;

export const BULK_RESULT = { ok: 0, corrupt: 1, refused: 2 } as const;
export type BulkResultStatus = 'ok' | 'corrupt' | 'refused';
const RESULT_NAMES: readonly BulkResultStatus[] = ['ok', 'corrupt', 'refused'];

export type BulkFrame =
  | { kind: 'request'; transferId: number; objectId: string }
  | { kind: 'header'; transferId: number; push: boolean; lanes: number; checksum: number; total: number; objectId: string }
  | { kind: 'chunk'; transferId: number; offset: number; payload: Uint8Array }
  | { kind: 'end'; transferId: number; lane: number }
  | { kind: 'missing'; transferId: number; reason: string }
  | { kind: 'cancel'; transferId: number }
  | { kind: 'result'; transferId: number; status: BulkResultStatus }
  | { kind: 'hello'; transferId: 0; ack: boolean }
  | { kind: 'ack'; transferId: 0; bytes: number }
  | { kind: 'busy'; transferId: number };

export type DecodedBulkFrame = { ok: true; frame: BulkFrame } | { ok: false; reason: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function start(kind: number, transferId: number, bodyBytes: number): { buffer: ArrayBuffer; view: DataView } {
  const buffer = new ArrayBuffer(8 + bodyBytes);
  const view = new DataView(buffer);
  view.setUint8(0, BULK_MAGIC_0);
  view.setUint8(1, BULK_MAGIC_1);
  view.setUint8(2, BULK_WIRE_VERSION);
  view.setUint8(3, kind);
  view.setUint32(4, transferId >>> 0, true);
  return { buffer, view };
}

function utf8(text: string, what: string): Uint8Array {
  const bytes = encoder.encode(text);
  if (bytes.length > BULK_MAX_ID_BYTES) throw new RangeError(`${what} is ${bytes.length} bytes of UTF-8; the limit is ${BULK_MAX_ID_BYTES}`);
  return bytes;
}

/**
 * Encodes any frame but a chunk with a payload (use `encodeBulkChunk`).
 * Throws RangeError for an object id longer than BULK_MAX_ID_BYTES.
 */
export function encodeBulkFrame(frame: Exclude<BulkFrame, { kind: 'chunk' }> | { kind: 'chunk'; transferId: number; offset: number }): ArrayBuffer {
  switch (frame.kind) {
    case 'request': {
      const id = utf8(frame.objectId, 'object id');
      const { buffer, view } = start(BULK_KIND.request, frame.transferId, 2 + id.length);
      view.setUint16(8, id.length, true);
      new Uint8Array(buffer, 10).set(id);
      return buffer;
    }
    case 'header': {
      const id = utf8(frame.objectId, 'object id');
      const { buffer, view } = start(BULK_KIND.header, frame.transferId, 16 + id.length);
      view.setUint8(8, frame.push ? 1 : 0);
      view.setUint8(9, frame.lanes);
      view.setUint16(10, id.length, true);
      view.setUint32(12, frame.checksum >>> 0, true);
      view.setFloat64(16, frame.total, true);
      new Uint8Array(buffer, 24).set(id);
      return buffer;
    }
    case 'chunk': {
      const { buffer, view } = start(BULK_KIND.chunk, frame.transferId, 8);
      view.setFloat64(8, frame.offset, true);
      return buffer;
    }
    case 'end': {
      const { buffer, view } = start(BULK_KIND.end, frame.transferId, 1);
      view.setUint8(8, frame.lane);
      return buffer;
    }
    case 'missing': {
      const reason = encoder.encode(frame.reason.slice(0, 512));
      const { buffer, view } = start(BULK_KIND.missing, frame.transferId, 2 + reason.length);
      view.setUint16(8, reason.length, true);
      new Uint8Array(buffer, 10).set(reason);
      return buffer;
    }
    case 'cancel':
      return start(BULK_KIND.cancel, frame.transferId, 0).buffer;
    case 'busy':
      return start(BULK_KIND.busy, frame.transferId, 0).buffer;
    case 'result': {
      const { buffer, view } = start(BULK_KIND.result, frame.transferId, 1);
      view.setUint8(8, BULK_RESULT[frame.status]);
      return buffer;
    }
    case 'hello': {
      const { buffer, view } = start(BULK_KIND.hello, 0, 1);
      view.setUint8(8, frame.ack ? 1 : 0);
      return buffer;
    }
    case 'ack': {
      const { buffer, view } = start(BULK_KIND.ack, 0, 8);
      view.setFloat64(8, frame.bytes, true);
      return buffer;
    }
  }
}

/**
 * Writes a chunk frame (header + a copy of `payload`) into `target` at 0 and
 * returns its length. `target` must hold BULK_CHUNK_HEADER_BYTES + payload.
 */
export function writeBulkChunk(target: Uint8Array, transferId: number, offset: number, payload: Uint8Array): number {
  const view = new DataView(target.buffer, target.byteOffset, BULK_CHUNK_HEADER_BYTES);
  view.setUint8(0, BULK_MAGIC_0);
  view.setUint8(1, BULK_MAGIC_1);
  view.setUint8(2, BULK_WIRE_VERSION);
  view.setUint8(3, BULK_KIND.chunk);
  view.setUint32(4, transferId >>> 0, true);
  view.setFloat64(8, offset, true);
  target.set(payload, BULK_CHUNK_HEADER_BYTES);
  return BULK_CHUNK_HEADER_BYTES + payload.length;
}

/** A chunk frame in a fresh buffer: header + one copy of `payload`. */
export function encodeBulkChunk(transferId: number, offset: number, payload: Uint8Array): ArrayBuffer {
  const frame = new Uint8Array(BULK_CHUNK_HEADER_BYTES + payload.length);
  writeBulkChunk(frame, transferId, offset, payload);
  return frame.buffer;
}

function bad(reason: string): DecodedBulkFrame {
  return { ok: false, reason };
}

function text(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Decodes one frame. A chunk's payload is a view into `data` (no copy). When
 * a co-located channel carries the payload as a separate buffer, pass it as
 * `body` and the chunk frame itself holds only its 16-byte header.
 */
export function decodeBulkFrame(data: ArrayBuffer, body?: ArrayBuffer): DecodedBulkFrame {
  if (data.byteLength < 8) return bad(`short frame (${data.byteLength} bytes)`);
  const view = new DataView(data);
  if (view.getUint8(0) !== BULK_MAGIC_0 || view.getUint8(1) !== BULK_MAGIC_1) return bad('bad magic');
  if (view.getUint8(2) !== BULK_WIRE_VERSION) return bad(`unsupported version ${view.getUint8(2)}`);
  const kind = view.getUint8(3);
  const transferId = view.getUint32(4, true);
  const size = data.byteLength;
  switch (kind) {
    case BULK_KIND.request: {
      if (size < 10) return bad('short request');
      const length = view.getUint16(8, true);
      if (length === 0 || 10 + length !== size) return bad('request: object id length does not match the frame');
      const objectId = text(new Uint8Array(data, 10, length));
      return objectId === null ? bad('request: object id is not UTF-8') : { ok: true, frame: { kind: 'request', transferId, objectId } };
    }
    case BULK_KIND.header: {
      if (size < 24) return bad('short header');
      const length = view.getUint16(10, true);
      if (24 + length !== size) return bad('header: object id length does not match the frame');
      const total = view.getFloat64(16, true);
      if (!Number.isSafeInteger(total) || total < 0) return bad(`header: bad total ${total}`);
      const lanes = view.getUint8(9);
      if (lanes < 1 || lanes > 32) return bad(`header: bad lane count ${lanes}`);
      const objectId = text(new Uint8Array(data, 24, length));
      if (objectId === null) return bad('header: object id is not UTF-8');
      const push = (view.getUint8(8) & 1) === 1;
      return { ok: true, frame: { kind: 'header', transferId, push, lanes, checksum: view.getUint32(12, true), total, objectId } };
    }
    case BULK_KIND.chunk: {
      if (size < BULK_CHUNK_HEADER_BYTES) return bad('short chunk');
      const offset = view.getFloat64(8, true);
      if (!Number.isSafeInteger(offset) || offset < 0) return bad(`chunk: bad offset ${offset}`);
      const payload = body ? new Uint8Array(body) : new Uint8Array(data, BULK_CHUNK_HEADER_BYTES);
      return { ok: true, frame: { kind: 'chunk', transferId, offset, payload } };
    }
    case BULK_KIND.end:
      if (size !== 9) return bad('end: bad length');
      return { ok: true, frame: { kind: 'end', transferId, lane: view.getUint8(8) } };
    case BULK_KIND.missing: {
      if (size < 10) return bad('short missing');
      const length = view.getUint16(8, true);
      if (10 + length !== size) return bad('missing: reason length does not match the frame');
      return { ok: true, frame: { kind: 'missing', transferId, reason: text(new Uint8Array(data, 10, length)) ?? '(unreadable reason)' } };
    }
    case BULK_KIND.cancel:
      return size === 8 ? { ok: true, frame: { kind: 'cancel', transferId } } : bad('cancel: bad length');
    case BULK_KIND.busy:
      return size === 8 ? { ok: true, frame: { kind: 'busy', transferId } } : bad('busy: bad length');
    case BULK_KIND.result: {
      if (size !== 9) return bad('result: bad length');
      const status = RESULT_NAMES[view.getUint8(8)];
      return status ? { ok: true, frame: { kind: 'result', transferId, status } } : bad(`result: unknown status ${view.getUint8(8)}`);
    }
    case BULK_KIND.hello:
      return size === 9 ? { ok: true, frame: { kind: 'hello', transferId: 0, ack: view.getUint8(8) === 1 } } : bad('hello: bad length');
    case BULK_KIND.ack: {
      if (size !== 16) return bad('ack: bad length');
      const bytes = view.getFloat64(8, true);
      return Number.isSafeInteger(bytes) && bytes >= 0 ? { ok: true, frame: { kind: 'ack', transferId: 0, bytes } } : bad(`ack: bad byte count ${bytes}`);
    }
    default:
      return bad(`unknown kind ${kind}`);
  }
}
