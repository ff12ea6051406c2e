/**
 * The sending half of a BulkEndpoint: the outgoing transfers to one peer and
 * the pump that cuts them into chunks and spreads them over the lanes
 * (channels) with flow control.
 *
 * - A transfer starts with a `header` frame on every lane it uses and ends
 *   with an `end` frame on each; chunks in between go to whichever lane has
 *   the most room. Lanes are ordered, so on each lane the header comes first
 *   and the end last; across lanes, offsets make order irrelevant.
 * - Flow control: a chunk is sent on a lane only while that lane's
 *   bufferedAmount plus the chunk stays within `highWaterMark`. When no lane
 *   has room the pump stops and resumes on `bufferedAmountLow` (threshold
 *   `lowWaterMark`), with a slow poll as a safety net. `send` is never asked
 *   to queue past the high-water mark, so it never throws for a full queue.
 *   Small control frames (header, end, ...) are sent at once.
 * - One pump task sends at most `burstBytes`, then yields the thread
 *   (setTimeout 0) before it goes on, so a control message that arrives or
 *   is due meanwhile (a heartbeat, a task dispatch, a pong) is handled within
 *   a burst's time, not after megabytes of sends.
 * - Pacing (data channels): with a `pacer`, a chunk goes only while the
 *   bytes not yet acknowledged by the receiving tab fit its window
 *   (bulkPacer.ts); the peer's `ack` frames (`onAck`) move it on. This bounds
 *   the queue that bulk builds below `bufferedAmount`, where control
 *   messages on the tabs' other connections wait too.
 * - Several transfers take turns chunk by chunk, so a small fetch is not stuck
 *   behind a big one.
 * - Chunks are written into one reusable scratch frame: `send` copies its
 *   argument synchronously (RTCDataChannel, MessagePort and MemoryChannel all
 *   do), so each chunk is copied once on this side. A lane that hands whole
 *   buffers over (`sendWithBody`) gets the rest of the object as one chunk.
 */
import { BULK_CHUNK_HEADER_BYTES, encodeBulkFrame, writeBulkChunk } from '@shoal/protocol';
import type { BulkChannel } from './bulkChannel.ts';
import type { BulkPacer } from './bulkPacer.ts';

export interface OutgoingTransfer {
  readonly id: number;
  readonly objectId: string;
  readonly push: boolean;
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly checksum: number;
  /** The sender may give `bytes`' buffer away (a lane that carries whole buffers transfers it: `sendWithBody`'s `handOver`). */
  readonly handOver?: boolean;
  /** All frames handed to the channels (not yet acknowledged). */
  readonly onSent: () => void;
}

interface Active {
  transfer: OutgoingTransfer;
  lanes: number[];
  offset: number;
}

export interface BulkSenderOptions {
  /** Largest frame on a lane, header included (capped by the lane's maxMessage). */
  chunkBytes: number;
  highWaterMark: number;
  lowWaterMark: number;
  /** Most payload bytes one pump task sends before it yields the thread (Infinity: no limit). */
  burstBytes: number;
  /** Bounds the bytes in flight to the peer (null: only the high-water mark does). */
  pacer: BulkPacer | null;
  /** The clock the pacer runs on (ms). */
  now: () => number;
  /** Chunk payload bytes handed to a channel. */
  onBytes: (bytes: number) => void;
  /** A channel refused a frame (it is closing): the endpoint shuts down. */
  onError: (error: unknown) => void;
}

/** How often a stalled pump looks again, in case a bufferedamountlow event never comes. */
const STALL_POLL_MS = 100;

export class BulkSender {
  private readonly active: Active[] = [];
  private readonly scratch: Uint8Array<ArrayBuffer>;
  private pumping = false;
  private poll: ReturnType<typeof setTimeout> | undefined;
  /** Set while a yielded pump waits for its next turn. */
  private resume: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly lanes: readonly BulkChannel[],
    private readonly options: BulkSenderOptions,
  ) {
    this.scratch = new Uint8Array(options.chunkBytes);
    for (const lane of lanes) {
      // The threshold must sit below the point where sending stops, or the event never fires.
      const frame = Math.min(lane.maxMessage, options.chunkBytes);
      lane.bufferedAmountLowThreshold = Math.max(0, Math.min(options.lowWaterMark, options.highWaterMark - frame));
    }
  }

  /** Chunk payload on `lane` (Infinity: the whole rest in one frame). */
  private payloadLimit(lane: BulkChannel): number {
    if (lane.sendWithBody) return lane.maxMessage; // the payload travels as its own buffer
    return Math.min(lane.maxMessage, this.options.chunkBytes) - BULK_CHUNK_HEADER_BYTES;
  }

  get activeCount(): number {
    return this.active.length;
  }

  /** Sends a small frame on the first open lane. Returns false if none is open. */
  sendControl(frame: ArrayBuffer): boolean {
    const lane = this.lanes.find((l) => l.readyState === 'open');
    if (!lane) return false;
    return this.trySend(lane, frame);
  }

  start(transfer: OutgoingTransfer): void {
    const lanes = this.lanes.flatMap((lane, index) => (lane.readyState === 'open' ? [index] : [])).slice(0, 32);
    if (lanes.length === 0) {
      this.options.onError(new Error('no open bulk channel'));
      return;
    }
    const header = encodeBulkFrame({
      kind: 'header',
      transferId: transfer.id,
      push: transfer.push,
      lanes: lanes.length,
      checksum: transfer.checksum,
      total: transfer.bytes.length,
      objectId: transfer.push ? transfer.objectId : '',
    });
    for (const index of lanes) if (!this.trySend(this.lanes[index]!, header)) return;
    this.active.push({ transfer, lanes, offset: 0 });
    this.pump();
  }

  /** Stops sending a transfer (the receiver cancelled). */
  cancel(id: number): boolean {
    const at = this.active.findIndex((a) => a.transfer.id === id);
    if (at < 0) return false;
    this.active.splice(at, 1);
    return true;
  }

  /** The peer's ack frame: it has received `bytes` chunk payload bytes in all. */
  onAck(bytes: number): void {
    if (!this.options.pacer) return;
    this.options.pacer.onAck(bytes, this.options.now());
    this.pump();
  }

  /** Called on any lane's bufferedAmountLow, on acks and by the stall poll. */
  pump(): void {
    if (this.pumping || this.closed || this.resume !== undefined) return;
    this.options.pacer?.checkStall(this.options.now());
    this.pumping = true;
    let sent = 0;
    try {
      let progressed = true;
      while (progressed && this.active.length > 0 && !this.closed) {
        if (sent >= this.options.burstBytes) {
          this.resume = setTimeout(() => {
            this.resume = undefined;
            this.pump();
          }, 0);
          return;
        }
        progressed = false;
        for (const entry of [...this.active]) {
          const before = entry.offset;
          if (this.sendNext(entry)) progressed = true;
          sent += entry.offset - before;
        }
      }
    } finally {
      this.pumping = false;
    }
    this.schedulePoll();
  }

  close(): void {
    this.closed = true;
    this.active.length = 0;
    if (this.poll !== undefined) clearTimeout(this.poll);
    if (this.resume !== undefined) clearTimeout(this.resume);
  }

  /** Sends one chunk of `entry` (and its end frames when it is the last). */
  private sendNext(entry: Active): boolean {
    const { transfer } = entry;
    const total = transfer.bytes.length;
    if (entry.offset >= total) return this.finish(entry);
    // The lane with the most room that can take a chunk now.
    let best: BulkChannel | undefined;
    let bestLimit = 0;
    for (const index of entry.lanes) {
      const lane = this.lanes[index]!;
      if (lane.readyState !== 'open') continue;
      const limit = Math.min(this.payloadLimit(lane), total - entry.offset);
      if (lane.bufferedAmount + limit + BULK_CHUNK_HEADER_BYTES > this.options.highWaterMark && lane.bufferedAmount > 0) continue;
      if (!best || lane.bufferedAmount < best.bufferedAmount) {
        best = lane;
        bestLimit = limit;
      }
    }
    if (!best) return false;
    if (this.options.pacer && !this.options.pacer.canSend(bestLimit)) return false;
    const offset = entry.offset;
    const payload = transfer.bytes.subarray(offset, offset + bestLimit);
    const length = payload.length; // read before sending: a payload handed over is detached by the send
    // Before `send`: a send that returns late (the thread lost its core meanwhile) must not shorten the round trip.
    const sentAt = this.options.pacer ? this.options.now() : 0;
    try {
      if (best.sendWithBody) {
        best.sendWithBody(encodeBulkFrame({ kind: 'chunk', transferId: transfer.id, offset }), payload, transfer.handOver === true);
      } else {
        const length = writeBulkChunk(this.scratch, transfer.id, offset, payload);
        best.send(length === this.scratch.length ? this.scratch : this.scratch.subarray(0, length));
      }
    } catch (error) {
      this.options.onError(error);
      return false;
    }
    entry.offset += length;
    this.options.pacer?.onSent(length, sentAt);
    this.options.onBytes(length);
    if (entry.offset >= total) this.finish(entry);
    return true;
  }

  private finish(entry: Active): boolean {
    const at = this.active.indexOf(entry);
    if (at < 0) return false;
    this.active.splice(at, 1);
    entry.lanes.forEach((index, lane) => this.trySend(this.lanes[index]!, encodeBulkFrame({ kind: 'end', transferId: entry.transfer.id, lane })));
    entry.transfer.onSent();
    return true;
  }

  private trySend(lane: BulkChannel, frame: ArrayBuffer): boolean {
    try {
      lane.send(frame);
      return true;
    } catch (error) {
      this.options.onError(error);
      return false;
    }
  }

  private schedulePoll(): void {
    if (this.poll !== undefined || this.active.length === 0 || this.closed) return;
    this.poll = setTimeout(() => {
      this.poll = undefined;
      this.pump();
    }, STALL_POLL_MS);
  }
}
