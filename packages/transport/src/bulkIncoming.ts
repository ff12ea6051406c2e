/**
 * The receiving half of a BulkEndpoint: transfers on their way in, keyed by
 * transfer id. It places each chunk straight into one buffer of the final
 * size, and when every lane's `end` has come it checks the length and the
 * checksum. With the default checksum it sums each chunk as it lands
 * (BulkChecksumParts), so no single task walks the whole object at the end:
 * a big transfer does not hold up the tab's heartbeats. It only reports;
 * retrying is the endpoint's business.
 *
 * Frames for ids that just ended (a cancelled fetch's stragglers) count as
 * stale; frames for ids never seen count as malformed. Neither throws.
 */
import { BULK_PUSH_BIT, type BulkFrame } from '@shoal/protocol';
import { BulkChecksumParts, bulkChecksum } from './bulkChecksum.ts';

export interface Incoming {
  readonly id: number;
  objectId: string;
  readonly push: boolean;
  /** -1 until the header arrives. */
  total: number;
  checksum: number;
  lanes: number;
  /** Bit i: the `end` of the sender's lane i has come. */
  endMask: number;
  buffer: ArrayBuffer | null;
  received: number;
  /** Why the transfer cannot be good, once something went wrong. */
  problem: string | null;
  /** The default checksum, summed chunk by chunk (null: a custom checksum, computed at the end). */
  parts: BulkChecksumParts | null;
  readonly onProgress: ((bytes: number, total: number) => void) | undefined;
}

export interface IncomingCounters {
  bytesReceived: number;
  corruptTransfers: number;
  corruptChunks: number;
  malformedFrames: number;
  staleFrames: number;
}

/** A finished transfer: its buffer if it checked out, else null (see `transfer.problem`). */
export interface Received {
  transfer: Incoming;
  buffer: ArrayBuffer | null;
}

const RECENT_LIMIT = 1024;

function popcount(mask: number): number {
  let count = 0;
  for (let m = mask >>> 0; m !== 0; m &= m - 1) count += 1;
  return count;
}

export class IncomingTransfers {
  private readonly transfers = new Map<number, Incoming>();
  private readonly recent = new Set<number>();

  constructor(
    private readonly checksum: (bytes: Uint8Array) => number,
    private readonly counters: IncomingCounters,
  ) {}

  get size(): number {
    return this.transfers.size;
  }

  /** A fetch this side started: its reply will come under `id`. */
  expect(id: number, objectId: string, push: boolean, onProgress?: (bytes: number, total: number) => void): Incoming {
    const transfer: Incoming = {
      id,
      objectId,
      push,
      total: -1,
      checksum: 0,
      lanes: 0,
      endMask: 0,
      buffer: null,
      received: 0,
      problem: null,
      parts: null,
      onProgress,
    };
    this.transfers.set(id, transfer);
    return transfer;
  }

  /** Drops a transfer; its late frames will count as stale. */
  forget(id: number): void {
    if (!this.transfers.delete(id)) return;
    this.recent.add(id);
    if (this.recent.size > RECENT_LIMIT) this.recent.delete(this.recent.values().next().value!);
  }

  clear(): void {
    this.transfers.clear();
    this.recent.clear();
  }

  /** Handles a header, chunk or end frame; returns the transfer when it is complete. */
  onFrame(frame: Extract<BulkFrame, { kind: 'header' | 'chunk' | 'end' }>): Received | null {
    let transfer = this.transfers.get(frame.transferId);
    if (!transfer && frame.kind === 'header' && frame.push && (frame.transferId & BULK_PUSH_BIT) !== 0 && !this.recent.has(frame.transferId)) {
      transfer = this.expect(frame.transferId, frame.objectId, true);
    }
    if (!transfer) {
      if (this.recent.has(frame.transferId)) this.counters.staleFrames += 1;
      else this.counters.malformedFrames += 1;
      return null;
    }
    switch (frame.kind) {
      case 'header':
        if (frame.push !== transfer.push) {
          this.counters.malformedFrames += 1;
          return null;
        }
        if (transfer.total < 0) {
          transfer.total = frame.total;
          transfer.checksum = frame.checksum;
          transfer.lanes = frame.lanes;
          if (this.checksum === bulkChecksum) transfer.parts = new BulkChecksumParts(frame.total);
        } else if (transfer.total !== frame.total || transfer.checksum !== frame.checksum || transfer.lanes !== frame.lanes) {
          transfer.problem ??= 'headers on different lanes disagree';
        }
        return null;
      case 'chunk':
        this.place(transfer, frame.offset, frame.payload);
        return null;
      case 'end':
        if (transfer.total < 0) {
          // The header on this lane never came, so the lane count is unknown: give up on this try.
          transfer.problem ??= 'an end came before any header';
          return this.finish(transfer);
        }
        if (frame.lane >= transfer.lanes) {
          this.counters.malformedFrames += 1;
          return null;
        }
        transfer.endMask |= 1 << frame.lane;
        return popcount(transfer.endMask) === transfer.lanes ? this.finish(transfer) : null;
    }
  }

  private place(transfer: Incoming, offset: number, payload: Uint8Array): void {
    const { total } = transfer;
    if (total < 0 || offset + payload.length > total) {
      this.counters.corruptChunks += 1;
      transfer.problem ??= total < 0 ? 'a chunk came before the header' : `a chunk at ${offset} runs past the end (${total} bytes)`;
      return;
    }
    if (!transfer.buffer) {
      // A co-located lane hands the whole object over as its own buffer: keep it as is.
      const whole = offset === 0 && payload.length === total && payload.byteOffset === 0 && payload.buffer.byteLength === total;
      if (whole && payload.buffer instanceof ArrayBuffer) {
        transfer.buffer = payload.buffer;
        transfer.parts?.add(new Uint8Array(transfer.buffer), 0);
        this.received(transfer, total);
        return;
      }
      try {
        transfer.buffer = new ArrayBuffer(total);
      } catch (error) {
        transfer.problem ??= `cannot allocate ${total} bytes: ${error instanceof Error ? error.message : String(error)}`;
        return;
      }
    }
    const placed = new Uint8Array(transfer.buffer, offset, payload.length);
    placed.set(payload);
    transfer.parts?.add(placed, offset);
    this.received(transfer, payload.length);
  }

  private received(transfer: Incoming, bytes: number): void {
    transfer.received += bytes;
    this.counters.bytesReceived += bytes;
    if (transfer.onProgress) {
      try {
        transfer.onProgress(transfer.received, transfer.total);
      } catch (error) {
        console.error('[shoal] a bulk onProgress handler threw', error);
      }
    }
  }

  private finish(transfer: Incoming): Received {
    this.forget(transfer.id);
    if (!transfer.problem && transfer.received !== transfer.total) {
      transfer.problem = `received ${transfer.received} of ${transfer.total} bytes`;
    }
    const buffer = transfer.buffer ?? (transfer.total === 0 ? new ArrayBuffer(0) : null);
    if (!transfer.problem && buffer) {
      const sum = transfer.parts?.finish() ?? this.checksum(new Uint8Array(buffer));
      if (sum >>> 0 !== transfer.checksum >>> 0) transfer.problem = `checksum ${sum >>> 0} ≠ ${transfer.checksum >>> 0}`;
    }
    if (transfer.problem || !buffer) {
      transfer.problem ??= 'no data';
      this.counters.corruptTransfers += 1;
      return { transfer, buffer: null };
    }
    return { transfer, buffer };
  }
}
