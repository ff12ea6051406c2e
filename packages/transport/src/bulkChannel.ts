/**
 * `BulkChannel`: the small part of RTCDataChannel that bulk transfer needs,
 * so that a data channel, an in-memory pair (tests) and a MessagePort
 * (co-located tabs) all carry a `BulkEndpoint` the same way.
 *
 * `DataChannelBulk` adapts a negotiated RTCDataChannel. It listens from the
 * moment it is made and queues messages until someone subscribes, so nothing
 * the peer sends early is lost. Because both sides create negotiated channels
 * on their own, a side could send before the other has made its end; a tiny
 * hello/ready handshake on the channel itself makes `ready` resolve only when
 * both ends exist.
 */
import { BULK_KIND, BULK_MAGIC_0, BULK_MAGIC_1, encodeBulkFrame } from '@shoal/protocol';

export type BulkChannelState = 'connecting' | 'open' | 'closing' | 'closed';

export interface BulkChannelHandlers {
  /** A message; `body` is a separately handed-over payload (co-located channels only). */
  message?(data: ArrayBuffer, body?: ArrayBuffer): void;
  /** bufferedAmount fell to bufferedAmountLowThreshold or below. */
  bufferedAmountLow?(): void;
  close?(): void;
}

export interface BulkChannel {
  readonly label: string;
  readonly readyState: BulkChannelState;
  /** The largest message `send` accepts: 262144 on a data channel, Infinity where whole buffers can be handed over. */
  readonly maxMessage: number;
  /** Bytes queued but not yet sent (always 0 where there is no backpressure). */
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  send(data: ArrayBuffer | ArrayBufferView<ArrayBuffer>): void;
  /**
   * Sends `frame` (which this call may take over) with `body` as a separate
   * payload, arriving as the `body` of the message. Like `send`, it copies
   * `body` before returning (the caller's buffer stays usable). Only channels
   * that carry whole buffers cheaply (MessagePort) have it. `handOver`: the
   * caller gives `body`'s buffer away, so a body spanning its whole buffer is
   * transferred instead of cloned (about half the CPU between two tabs'
   * processes) and the caller's buffer is detached.
   */
  sendWithBody?(frame: ArrayBuffer, body: Uint8Array<ArrayBuffer>, handOver?: boolean): void;
  /** Adds handlers; returns a function that removes them. Messages that came before the first subscriber are delivered to it. */
  subscribe(handlers: BulkChannelHandlers): () => void;
  close(): void;
}

/**
 * Fan-out of a channel's events to subscribers, with an inbox for messages
 * that arrive before anyone listens. Handlers that throw are logged, never
 * rethrown into the event source.
 */
export class ChannelHandlers {
  private readonly subscribers = new Set<BulkChannelHandlers>();
  private inbox: Array<[ArrayBuffer, ArrayBuffer | undefined]> = [];
  private closed = false;

  subscribe(handlers: BulkChannelHandlers): () => void {
    this.subscribers.add(handlers);
    if (handlers.message && this.inbox.length > 0) {
      const queued = this.inbox;
      this.inbox = [];
      queueMicrotask(() => {
        for (const [data, body] of queued) this.deliver(data, body);
      });
    }
    if (this.closed && handlers.close) queueMicrotask(() => this.call(handlers, 'close'));
    return () => this.subscribers.delete(handlers);
  }

  deliver(data: ArrayBuffer, body?: ArrayBuffer): void {
    let delivered = false;
    for (const handlers of [...this.subscribers]) {
      if (!handlers.message) continue;
      delivered = true;
      this.call(handlers, 'message', data, body);
    }
    if (!delivered && !this.closed) this.inbox.push([data, body]);
  }

  bufferedAmountLow(): void {
    for (const handlers of [...this.subscribers]) this.call(handlers, 'bufferedAmountLow');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inbox = [];
    for (const handlers of [...this.subscribers]) this.call(handlers, 'close');
  }

  private call(handlers: BulkChannelHandlers, event: keyof BulkChannelHandlers, data?: ArrayBuffer, body?: ArrayBuffer): void {
    try {
      if (event === 'message') handlers.message?.(data!, body);
      else handlers[event]?.();
    } catch (error) {
      console.error(`[shoal] a bulk channel '${event}' handler threw`, error);
    }
  }
}

/** Chromium's largest data channel message. */
const DATA_CHANNEL_MAX_MESSAGE = 256 * 1024;

function isHello(data: ArrayBuffer): boolean {
  if (data.byteLength !== 9) return false;
  const bytes = new Uint8Array(data, 0, 4);
  return bytes[0] === BULK_MAGIC_0 && bytes[1] === BULK_MAGIC_1 && bytes[3] === BULK_KIND.hello;
}

/** A negotiated RTCDataChannel as a BulkChannel, with the both-ends-exist handshake. */
export class DataChannelBulk implements BulkChannel {
  readonly maxMessage: number;
  /** Resolves once this end is open and the peer's end has answered; rejects if the channel closes first. */
  readonly ready: Promise<void>;
  private readonly handlers = new ChannelHandlers();
  private peerReady = false;
  private settle!: (error?: Error) => void;

  constructor(private readonly channel: RTCDataChannel) {
    channel.binaryType = 'arraybuffer';
    this.maxMessage = DATA_CHANNEL_MAX_MESSAGE;
    this.ready = new Promise<void>((resolve, reject) => {
      let done = false;
      this.settle = (error) => {
        if (done) return;
        done = true;
        if (error) reject(error);
        else resolve();
      };
    });
    this.ready.catch(() => undefined); // observed by callers that want it
    channel.addEventListener('open', () => this.sendHello(false));
    channel.addEventListener('message', (event: MessageEvent) => this.onMessage(event.data));
    channel.addEventListener('bufferedamountlow', () => this.handlers.bufferedAmountLow());
    channel.addEventListener('close', () => this.onClose());
    channel.addEventListener('error', () => undefined); // a close follows
    if (channel.readyState === 'open') this.sendHello(false);
  }

  get label(): string {
    return this.channel.label;
  }
  get readyState(): BulkChannelState {
    return this.channel.readyState;
  }
  get bufferedAmount(): number {
    return this.channel.bufferedAmount;
  }
  get bufferedAmountLowThreshold(): number {
    return this.channel.bufferedAmountLowThreshold;
  }
  set bufferedAmountLowThreshold(bytes: number) {
    this.channel.bufferedAmountLowThreshold = bytes;
  }

  send(data: ArrayBuffer | ArrayBufferView<ArrayBuffer>): void {
    this.channel.send(data as ArrayBuffer);
  }

  subscribe(handlers: BulkChannelHandlers): () => void {
    return this.handlers.subscribe(handlers);
  }

  close(): void {
    if (this.channel.readyState !== 'closed') this.channel.close();
    this.onClose();
  }

  private sendHello(ack: boolean): void {
    try {
      if (this.channel.readyState === 'open') this.channel.send(encodeBulkFrame({ kind: 'hello', transferId: 0, ack }));
    } catch {
      // closing: the close event settles `ready`
    }
  }

  private onMessage(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) return; // bulk channels carry binary frames only
    if (isHello(data)) {
      const ack = new Uint8Array(data)[8] === 1;
      if (!ack) this.sendHello(true); // our hello may have come before the peer made its end
      if (!this.peerReady) {
        this.peerReady = true;
        this.settle();
      }
      return;
    }
    this.handlers.deliver(data);
  }

  private onClose(): void {
    this.settle(new Error(`bulk channel ${this.channel.label} closed before it was ready`));
    this.handlers.close();
  }
}
