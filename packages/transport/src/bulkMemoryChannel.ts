/**
 * An in-memory pair of BulkChannels for tests (and anything else that wants a
 * bulk link without WebRTC). It behaves like a data channel where it matters:
 *
 * - `send` copies the message and queues it; `bufferedAmount` counts queued
 *   bytes and drains asynchronously, `bytesPerTick` per timer tick, firing
 *   `bufferedAmountLow` when it falls to the threshold;
 * - `send` throws past `maxMessage` and, like Chromium, when more than
 *   `sendQueueLimit` (16 MiB) would be queued;
 * - `peakBufferedAmount` records the most ever queued, so tests can check
 *   flow control;
 * - `tamper(bytes, index)` sees every message before delivery and may change
 *   its bytes in place or return 'drop' to lose it.
 */
import { ChannelHandlers, type BulkChannel, type BulkChannelHandlers, type BulkChannelState } from './bulkChannel.ts';

export type Tamper = (bytes: Uint8Array, index: number) => 'drop' | void;

export interface MemoryChannelOptions {
  label?: string;
  /** Default 262144, like a data channel. */
  maxMessage?: number;
  /** Bytes delivered per timer tick. Default 1 MiB. */
  bytesPerTick?: number;
  /** `send` throws when more than this would be queued. Default 16 MiB. */
  sendQueueLimit?: number;
}

export class MemoryChannel implements BulkChannel {
  readonly label: string;
  readonly maxMessage: number;
  bufferedAmountLowThreshold = 0;
  bufferedAmount = 0;
  peakBufferedAmount = 0;
  messagesSent = 0;
  /** Applied to each message this end sends, before delivery. */
  tamper: Tamper | undefined;
  private state: BulkChannelState = 'open';
  private peer!: MemoryChannel;
  private readonly handlers = new ChannelHandlers();
  private readonly queue: ArrayBuffer[] = [];
  private draining = false;
  private readonly bytesPerTick: number;
  private readonly sendQueueLimit: number;

  constructor(options: MemoryChannelOptions = {}) {
    this.label = options.label ?? 'memory';
    this.maxMessage = options.maxMessage ?? 256 * 1024;
    this.bytesPerTick = options.bytesPerTick ?? 1024 * 1024;
    this.sendQueueLimit = options.sendQueueLimit ?? 16 * 1024 * 1024;
  }

  /** Joins two ends (use `memoryChannelPair`). */
  static link(a: MemoryChannel, b: MemoryChannel): void {
    a.peer = b;
    b.peer = a;
  }

  get readyState(): BulkChannelState {
    return this.state;
  }

  send(data: ArrayBuffer | ArrayBufferView<ArrayBuffer>): void {
    if (this.state !== 'open') throw new DOMException(`channel ${this.label} is ${this.state}`, 'InvalidStateError');
    const view = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (view.byteLength > this.maxMessage) throw new TypeError(`message of ${view.byteLength} bytes exceeds ${this.maxMessage}`);
    if (this.bufferedAmount + view.byteLength > this.sendQueueLimit) {
      throw new DOMException(`send queue is full (${this.bufferedAmount} bytes queued)`, 'OperationError');
    }
    this.queue.push(view.slice().buffer);
    this.bufferedAmount += view.byteLength;
    this.peakBufferedAmount = Math.max(this.peakBufferedAmount, this.bufferedAmount);
    this.scheduleDrain();
  }

  subscribe(handlers: BulkChannelHandlers): () => void {
    return this.handlers.subscribe(handlers);
  }

  /** Closes both ends; queued messages are lost, and both fire `close` on a later tick. */
  close(): void {
    if (this.state === 'closed') return;
    this.shut();
    this.peer.shut();
  }

  private shut(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.queue.length = 0;
    this.bufferedAmount = 0;
    setTimeout(() => this.handlers.close(), 0);
  }

  private scheduleDrain(): void {
    if (this.draining) return;
    this.draining = true;
    setTimeout(() => this.drain(), 0);
  }

  private drain(): void {
    this.draining = false;
    if (this.state !== 'open') return;
    const before = this.bufferedAmount;
    let budget = this.bytesPerTick;
    while (this.queue.length > 0 && budget > 0 && this.state === 'open') {
      const message = this.queue.shift()!;
      budget -= message.byteLength;
      this.bufferedAmount -= message.byteLength;
      const index = this.messagesSent++;
      if (this.tamper?.(new Uint8Array(message), index) === 'drop') continue;
      this.peer.handlers.deliver(message);
    }
    if (before > this.bufferedAmountLowThreshold && this.bufferedAmount <= this.bufferedAmountLowThreshold && this.state === 'open') {
      this.handlers.bufferedAmountLow();
    }
    if (this.queue.length > 0) this.scheduleDrain();
  }
}

/** Two joined in-memory channels. */
export function memoryChannelPair(options: MemoryChannelOptions = {}): [MemoryChannel, MemoryChannel] {
  const a = new MemoryChannel({ ...options, label: `${options.label ?? 'memory'}-a` });
  const b = new MemoryChannel({ ...options, label: `${options.label ?? 'memory'}-b` });
  MemoryChannel.link(a, b);
  return [a, b];
}
