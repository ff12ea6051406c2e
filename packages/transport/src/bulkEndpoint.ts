/**
 * Bulk byte transfer with one peer, over 1..N BulkChannels to it (data
 * channels separate from control messages, or a co-located MessagePort).
 * Verbs: `fetch` (ask the peer for an object), `push` (send one), `close`;
 * the peer's side answers through the `serve` and `onPushed` callbacks.
 *
 *   fetch:  A ─request→ B;  B ─header (each lane)→ chunks (striped) → end (each lane)→ A
 *   push:   A ─header→ chunks → end→ B;  B ─result (ok | corrupt | refused)→ A
 *
 * The receiver writes each chunk straight into one buffer of the final size
 * (one copy per chunk; a co-located whole-object chunk is adopted without
 * one). When every lane's `end` has come it checks the length and the
 * checksum from the header; a bad fetch is fetched again, up to
 * `maxAttempts` in all, then fails with ERR_TRANSFER_FAILED (a bad push is
 * re-sent the same way). Frame layout: @shoal/protocol's bulkWire.ts.
 *
 * A fetch has a deadline of its own: if nothing of its reply (header,
 * chunk, end, missing) arrives for `stallTimeoutMs` (default 30 s; from the
 * request, then from each frame), it fails with ERR_TIMEOUT and the peer is
 * told to stop, so a holder that never answers (a wedged tab whose link
 * stays open) turns into an error the caller can retry elsewhere, however
 * long a big object takes to move while bytes keep coming. A holder whose
 * `serve` is slow says `busy` every 2 s meanwhile.
 *
 * Errors (ShoalError): ERR_OBJECT_LOST (the peer has no such object, or the
 * channel closed: the holder is gone), ERR_TRANSFER_FAILED (still corrupt
 * after the retries, or a push refused), ERR_CANCELLED (aborted),
 * ERR_TIMEOUT (a fetch whose reply stalled), ERR_WORKER_LOST (a push whose
 * receiver went away). Malformed frames are
 * counted in `stats()` and dropped; no handler ever throws.
 */
import { BULK_CHUNK_HEADER_BYTES, BULK_PUSH_BIT, ShoalError, decodeBulkFrame, encodeBulkFrame, type BulkFrame } from '@shoal/protocol';
import type { BulkChannel } from './bulkChannel.ts';
import { bulkChecksum, bulkChecksumAsync } from './bulkChecksum.ts';
import { BulkPacer, type BulkPacerState } from './bulkPacer.ts';
import { BulkSender } from './bulkSender.ts';
import { IncomingTransfers, type Incoming } from './bulkIncoming.ts';
import {
  DEFAULT_BULK_BURST,
  DEFAULT_BULK_HIGH_WATER,
  DEFAULT_BULK_LOW_WATER,
  DEFAULT_FETCH_STALL_MS,
  DEFAULT_PACED_CHUNK,
  type BulkEndpointOptions,
  type BulkStats,
  type FetchOptions,
  type PushedFn,
  type PushOptions,
  type ServeFn,
} from './bulkEndpointOptions.ts';

export { DEFAULT_BULK_BURST, DEFAULT_BULK_HIGH_WATER, DEFAULT_BULK_LOW_WATER, DEFAULT_FETCH_STALL_MS, DEFAULT_PACED_CHUNK };
export type { BulkEndpointOptions, BulkStats, FetchOptions, PushedFn, PushOptions, ServeFn };

export type BulkEndpointState = { kind: 'open' } | { kind: 'closed'; reason: string };

interface PendingFetch {
  objectId: string;
  attempt: number;
  options: FetchOptions;
  resolve: (buffer: ArrayBuffer) => void;
  reject: (error: ShoalError) => void;
  cleanup: () => void;
  transferId: number;
  /** performance.now() of the request or of the reply's latest frame. */
  lastHeard: number;
  /** The stall watchdog, while armed. */
  watchdog: ReturnType<typeof setTimeout> | undefined;
}

interface PendingPush {
  objectId: string;
  bytes: Uint8Array<ArrayBuffer>;
  handOver: boolean;
  attempt: number;
  resolve: () => void;
  reject: (error: ShoalError) => void;
  cleanup: () => void;
  transferId: number;
}

/** How often a side still preparing a reply says so (`busy`); stall deadlines shorter than this fail slow serves. */
const BUSY_INTERVAL_MS = 2_000;
const MAX_CHUNK_BYTES = 256 * 1024;
export class BulkEndpoint {
  state: BulkEndpointState = { kind: 'open' };
  private readonly peer: string;
  private readonly checksum: (bytes: Uint8Array) => number;
  private readonly maxAttempts: number;
  private readonly sender: BulkSender;
  private readonly pacer: BulkPacer | null;
  /** Send acks for the chunks that arrive (pacing on). */
  private readonly acks: boolean;
  /** Chunk payload bytes received from the peer, all transfers. */
  private chunkBytesIn = 0;
  private readonly incoming: IncomingTransfers;
  private readonly fetches = new Map<number, PendingFetch>();
  private readonly pushes = new Map<number, PendingPush>();
  /** Requests being served (waiting on `serve` or sending), by transfer id. */
  private readonly serving = new Set<number>();
  private readonly unsubscribe: Array<() => void> = [];
  private nextFetchId = 1;
  private nextPushId = 1;
  private readonly counters: BulkStats = {
    bytesSent: 0,
    bytesReceived: 0,
    transfersIn: 0,
    transfersOut: 0,
    corruptTransfers: 0,
    corruptChunks: 0,
    retries: 0,
    malformedFrames: 0,
    staleFrames: 0,
  };

  constructor(
    private readonly channels: readonly BulkChannel[],
    private readonly options: BulkEndpointOptions = {},
  ) {
    if (channels.length === 0) throw new ShoalError('ERR_BAD_OPTION', 'a BulkEndpoint needs at least one channel');
    this.peer = options.peerId ?? channels[0]!.label;
    this.checksum = options.checksum ?? bulkChecksum;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.acks = options.pacing !== false && !channels.some((c) => c.sendWithBody);
    const chunkBytes = Math.min(MAX_CHUNK_BYTES, options.chunkBytes ?? (this.acks ? DEFAULT_PACED_CHUNK : MAX_CHUNK_BYTES));
    if (chunkBytes <= BULK_CHUNK_HEADER_BYTES) throw new ShoalError('ERR_BAD_OPTION', `chunkBytes must exceed ${BULK_CHUNK_HEADER_BYTES}, got ${chunkBytes}`);
    const highWaterMark = options.highWaterMark ?? DEFAULT_BULK_HIGH_WATER;
    this.pacer = this.acks ? new BulkPacer({ maxWindow: highWaterMark, ...(typeof options.pacing === 'object' ? options.pacing : {}), chunkBytes }) : null;
    this.sender = new BulkSender(channels, {
      chunkBytes,
      pacer: this.pacer,
      now: () => performance.now(),
      highWaterMark,
      lowWaterMark: options.lowWaterMark ?? DEFAULT_BULK_LOW_WATER,
      burstBytes: options.burstBytes ?? DEFAULT_BULK_BURST,
      onBytes: (bytes) => (this.counters.bytesSent += bytes),
      onError: (error) => this.close(`a bulk channel failed: ${error instanceof Error ? error.message : String(error)}`),
    });
    this.incoming = new IncomingTransfers(this.checksum, this.counters);
    channels.forEach((channel) => {
      this.unsubscribe.push(
        channel.subscribe({
          message: (data, body) => this.onFrame(data, body),
          bufferedAmountLow: () => this.sender.pump(),
          close: () => this.close(`bulk channel ${channel.label} closed`),
        }),
      );
      if (channel.readyState === 'closed') queueMicrotask(() => this.close(`bulk channel ${channel.label} closed`));
    });
  }

  /** Asks the peer for an object's bytes. */
  fetch(objectId: string, options: FetchOptions = {}): Promise<ArrayBuffer> {
    return new Promise<ArrayBuffer>((resolve, reject) => {
      if (this.state.kind === 'closed') return reject(this.lost(objectId, this.state.reason));
      if (options.signal?.aborted) return reject(this.cancelled(objectId));
      const onAbort = (): void => this.abortFetch(pending, this.cancelled(objectId));
      const pending: PendingFetch = {
        objectId,
        attempt: 0,
        options,
        resolve,
        reject,
        transferId: 0,
        lastHeard: 0,
        watchdog: undefined,
        cleanup: () => {
          options.signal?.removeEventListener('abort', onAbort);
          if (pending.watchdog !== undefined) clearTimeout(pending.watchdog);
          pending.watchdog = undefined;
        },
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.startFetch(pending);
    });
  }

  /** Sends an object to the peer's `onPushed`; resolves when the peer has it, checked. Do not change `buffer` meanwhile. */
  push(objectId: string, buffer: ArrayBuffer | Uint8Array<ArrayBuffer>, options: PushOptions = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.state.kind === 'closed') return reject(this.gone(objectId, this.state.reason));
      if (options.signal?.aborted) return reject(this.cancelled(objectId));
      const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
      const onAbort = (): void => {
        if (!this.pushes.delete(pending.transferId)) return;
        this.sender.cancel(pending.transferId);
        this.sender.sendControl(encodeBulkFrame({ kind: 'missing', transferId: pending.transferId, reason: 'push cancelled' }));
        pending.cleanup();
        reject(this.cancelled(objectId));
      };
      const pending: PendingPush = {
        objectId,
        bytes,
        handOver: options.handOver === true,
        attempt: 0,
        resolve,
        reject,
        transferId: 0,
        cleanup: () => options.signal?.removeEventListener('abort', onAbort),
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.startPush(pending);
    });
  }

  /** Counters, transfers under way, and the pacer's window (null when not paced). */
  stats(): BulkStats & { activeIn: number; activeOut: number; pacing: BulkPacerState | null } {
    return { ...this.counters, activeIn: this.incoming.size, activeOut: this.sender.activeCount, pacing: this.pacer?.state() ?? null };
  }

  /** Fails everything pending (fetches: ERR_OBJECT_LOST) and closes the channels. */
  close(reason = 'closed'): void {
    if (this.state.kind === 'closed') return;
    this.state = { kind: 'closed', reason };
    this.sender.close();
    this.incoming.clear();
    for (const off of this.unsubscribe.splice(0)) off();
    for (const pending of this.fetches.values()) {
      pending.cleanup();
      pending.reject(this.lost(pending.objectId, reason));
    }
    for (const pending of this.pushes.values()) {
      pending.cleanup();
      pending.reject(this.gone(pending.objectId, reason));
    }
    this.fetches.clear();
    this.pushes.clear();
    this.serving.clear();
    for (const channel of this.channels) {
      try {
        channel.close();
      } catch {
        // already closed
      }
    }
  }

  // ─── fetching ────────────────────────────────────────────────────────

  private startFetch(pending: PendingFetch): void {
    pending.attempt += 1;
    pending.transferId = this.nextFetchId;
    this.nextFetchId = (this.nextFetchId % (BULK_PUSH_BIT - 1)) + 1;
    this.fetches.set(pending.transferId, pending);
    this.incoming.expect(pending.transferId, pending.objectId, false, pending.options.onProgress);
    pending.lastHeard = performance.now();
    this.armWatchdog(pending);
    if (!this.sender.sendControl(encodeBulkFrame({ kind: 'request', transferId: pending.transferId, objectId: pending.objectId }))) {
      this.close('no open bulk channel');
    }
  }

  /**
   * Fails the fetch with ERR_TIMEOUT once nothing of its reply has come for
   * the stall deadline. One timer per fetch, re-armed for the rest of the
   * deadline when it fires early (frames only stamp `lastHeard`: no timer
   * work per chunk).
   */
  private armWatchdog(pending: PendingFetch): void {
    const limit = pending.options.stallTimeoutMs ?? this.options.stallTimeoutMs ?? DEFAULT_FETCH_STALL_MS;
    if (!(limit > 0) || !Number.isFinite(limit) || pending.watchdog !== undefined) return;
    const check = (): void => {
      pending.watchdog = undefined;
      if (this.fetches.get(pending.transferId) !== pending) return;
      const quiet = performance.now() - pending.lastHeard;
      if (quiet < limit) {
        pending.watchdog = setTimeout(check, limit - quiet);
        return;
      }
      this.abortFetch(
        pending,
        new ShoalError('ERR_TIMEOUT', `object ${pending.objectId} from peer ${this.peer}: nothing of the reply arrived for ${Math.round(quiet)} ms (stall deadline ${limit} ms)`),
      );
    };
    pending.watchdog = setTimeout(check, limit);
  }

  private abortFetch(pending: PendingFetch, error: ShoalError): void {
    if (this.fetches.get(pending.transferId) !== pending) return;
    this.fetches.delete(pending.transferId);
    this.incoming.forget(pending.transferId);
    this.sender.sendControl(encodeBulkFrame({ kind: 'cancel', transferId: pending.transferId }));
    pending.cleanup();
    pending.reject(error);
  }

  private onReceived(transfer: Incoming, buffer: ArrayBuffer | null): void {
    if (transfer.push) return this.onPushReceived(transfer, buffer);
    const pending = this.fetches.get(transfer.id);
    if (!pending) return;
    this.fetches.delete(transfer.id);
    if (buffer) {
      this.counters.transfersIn += 1;
      pending.cleanup();
      pending.resolve(buffer);
    } else if (pending.attempt < this.maxAttempts) {
      this.counters.retries += 1;
      this.startFetch(pending);
    } else {
      pending.cleanup();
      pending.reject(
        new ShoalError('ERR_TRANSFER_FAILED', `object ${pending.objectId} from peer ${this.peer} arrived corrupt ${pending.attempt} times (${transfer.problem ?? 'bad data'})`),
      );
    }
  }

  private onPushReceived(transfer: Incoming, buffer: ArrayBuffer | null): void {
    let status: 'ok' | 'corrupt' | 'refused' = buffer ? 'ok' : 'corrupt';
    if (buffer && !this.options.onPushed) status = 'refused';
    this.sender.sendControl(encodeBulkFrame({ kind: 'result', transferId: transfer.id, status }));
    if (status !== 'ok' || !buffer) return;
    this.counters.transfersIn += 1;
    try {
      this.options.onPushed!(transfer.objectId, buffer);
    } catch (error) {
      console.error('[shoal] a bulk onPushed handler threw', error);
    }
  }

  // ─── pushing and serving ─────────────────────────────────────────────

  private startPush(pending: PendingPush): void {
    pending.attempt += 1;
    pending.transferId = (BULK_PUSH_BIT | this.nextPushId) >>> 0;
    this.nextPushId = (this.nextPushId % (BULK_PUSH_BIT - 1)) + 1;
    this.pushes.set(pending.transferId, pending);
    const transferId = pending.transferId;
    void this.checksumOf(pending.bytes).then((checksum) => {
      if (this.pushes.get(transferId) !== pending || this.state.kind === 'closed') return; // aborted meanwhile
      this.sender.start({ id: transferId, objectId: pending.objectId, push: true, bytes: pending.bytes, checksum, handOver: pending.handOver, onSent: () => undefined });
    });
  }

  /** The checksum of bytes to send: the default one a slice per task (a big object must not block the tab), a custom one at once. */
  private checksumOf(bytes: Uint8Array<ArrayBuffer>): Promise<number> {
    return this.checksum === bulkChecksum ? bulkChecksumAsync(bytes) : Promise.resolve(this.checksum(bytes));
  }

  private onPushResult(transferId: number, status: 'ok' | 'corrupt' | 'refused'): void {
    const pending = this.pushes.get(transferId);
    if (!pending) return;
    this.pushes.delete(transferId);
    if (status === 'ok') {
      this.counters.transfersOut += 1;
      pending.cleanup();
      pending.resolve();
    } else if (status === 'corrupt' && pending.attempt < this.maxAttempts && !(pending.handOver && pending.bytes.byteLength === 0)) {
      // (A push handed over and transferred has no bytes left to send again.)
      this.counters.retries += 1;
      this.startPush(pending);
    } else {
      pending.cleanup();
      const why = status === 'refused' ? 'the peer does not accept pushes' : `it arrived corrupt ${pending.attempt} times`;
      pending.reject(new ShoalError('ERR_TRANSFER_FAILED', `push of object ${pending.objectId} to peer ${this.peer} failed: ${why}`));
    }
  }

  private async serveRequest(transferId: number, objectId: string): Promise<void> {
    if (this.serving.has(transferId)) return;
    this.serving.add(transferId);
    // While `serve` and the checksum take their time (a holder fetching the object itself first), `busy` frames
    // tell the fetcher this side is alive, so its stall deadline counts only silence.
    const busy = setInterval(() => {
      if (this.serving.has(transferId) && this.state.kind === 'open') this.sender.sendControl(encodeBulkFrame({ kind: 'busy', transferId }));
    }, BUSY_INTERVAL_MS);
    try {
      await this.prepareAndSend(transferId, objectId);
    } finally {
      clearInterval(busy);
    }
  }

  private async prepareAndSend(transferId: number, objectId: string): Promise<void> {
    let buffer: ArrayBuffer | null;
    let reason = `peer holds no object ${objectId}`;
    try {
      buffer = this.options.serve ? await this.options.serve(objectId) : null;
      if (!this.options.serve) reason = 'peer serves no objects';
    } catch (error) {
      buffer = null;
      reason = `serving object ${objectId} failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (!this.serving.has(transferId) || this.state.kind === 'closed') return; // cancelled meanwhile
    if (!buffer) {
      this.serving.delete(transferId);
      this.sender.sendControl(encodeBulkFrame({ kind: 'missing', transferId, reason }));
      return;
    }
    const bytes = new Uint8Array(buffer);
    const checksum = await this.checksumOf(bytes);
    if (!this.serving.has(transferId) || (this.state as BulkEndpointState).kind === 'closed') return; // cancelled meanwhile
    this.sender.start({
      id: transferId,
      objectId,
      push: false,
      bytes,
      checksum,
      onSent: () => {
        this.serving.delete(transferId);
        this.counters.transfersOut += 1;
      },
    });
  }

  // ─── frames ──────────────────────────────────────────────────────────

  private onFrame(data: ArrayBuffer, body?: ArrayBuffer): void {
    if (this.state.kind === 'closed') return;
    const decoded = decodeBulkFrame(data, body);
    if (!decoded.ok) {
      this.counters.malformedFrames += 1;
      return;
    }
    const frame: BulkFrame = decoded.frame;
    switch (frame.kind) {
      case 'request':
        if (frame.transferId & BULK_PUSH_BIT) this.counters.malformedFrames += 1;
        else void this.serveRequest(frame.transferId, frame.objectId);
        return;
      case 'cancel':
        this.serving.delete(frame.transferId);
        this.sender.cancel(frame.transferId);
        return;
      case 'result':
        return this.onPushResult(frame.transferId, frame.status);
      case 'missing': {
        const pending = this.fetches.get(frame.transferId);
        this.incoming.forget(frame.transferId);
        if (!pending) return;
        this.fetches.delete(frame.transferId);
        pending.cleanup();
        pending.reject(new ShoalError('ERR_OBJECT_LOST', `object ${pending.objectId} is not available from peer ${this.peer}: ${frame.reason}`));
        return;
      }
      case 'hello':
        return;
      case 'busy': {
        const pending = this.fetches.get(frame.transferId);
        if (pending) pending.lastHeard = performance.now();
        return;
      }
      case 'ack':
        return this.sender.onAck(frame.bytes);
      case 'header':
      case 'chunk':
      case 'end': {
        const fetching = this.fetches.get(frame.transferId);
        if (fetching) fetching.lastHeard = performance.now();
        if (frame.kind === 'chunk' && this.acks) {
          this.chunkBytesIn += frame.payload.length;
          this.sender.sendControl(encodeBulkFrame({ kind: 'ack', transferId: 0, bytes: this.chunkBytesIn }));
        }
        const done = this.incoming.onFrame(frame);
        if (done && this.acks && done.transfer.total > done.transfer.received) {
          // Bytes that never came (a lost chunk) are acked too, or the peer's pacer would count them in flight for good.
          this.chunkBytesIn += done.transfer.total - done.transfer.received;
          this.sender.sendControl(encodeBulkFrame({ kind: 'ack', transferId: 0, bytes: this.chunkBytesIn }));
        }
        if (done) this.onReceived(done.transfer, done.buffer);
        return;
      }
    }
  }

  private lost(objectId: string, reason: string): ShoalError {
    return new ShoalError('ERR_OBJECT_LOST', `object ${objectId}: lost the connection to peer ${this.peer}, which holds it (${reason})`);
  }
  private gone(objectId: string, reason: string): ShoalError {
    return new ShoalError('ERR_WORKER_LOST', `push of object ${objectId}: lost the connection to peer ${this.peer} (${reason})`);
  }
  private cancelled(objectId: string): ShoalError {
    return new ShoalError('ERR_CANCELLED', `transfer of object ${objectId} with peer ${this.peer} was cancelled`);
  }
}
