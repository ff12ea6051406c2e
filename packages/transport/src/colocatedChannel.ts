/**
 * A MessagePort as a BulkChannel: the co-located fast path between tabs of
 * one browser. There is no message size limit and no send queue to watch
 * (`maxMessage` is Infinity, `bufferedAmount` stays 0), and `sendWithBody`
 * transfers a payload buffer instead of copying it, so an object crosses as
 * one buffer.
 *
 * On the port: an ArrayBuffer is a frame; `{ frame, body }` is a frame with a
 * transferred payload; the string 'bye' means the other side closed. A port
 * has no close event of its own (and a crashed tab sends no 'bye'), so the
 * broker's `gone` notice calls `closeLocal()`.
 */
import { ChannelHandlers, type BulkChannel, type BulkChannelHandlers, type BulkChannelState } from './bulkChannel.ts';

const BYE = 'bye';
/**
 * Chunk size on a co-located channel. Fresh memory costs more than copying
 * here (page faults: ~1.3 GB/s for new buffers against ~12 GB/s for copies
 * into touched ones), and chunks let the two tabs work in parallel.
 */
export const DEFAULT_COLOCATED_CHUNK = 4 * 1024 * 1024;

interface FrameWithBody {
  frame: ArrayBuffer;
  body: ArrayBuffer;
}

function isFrameWithBody(data: unknown): data is FrameWithBody {
  return typeof data === 'object' && data !== null && (data as FrameWithBody).frame instanceof ArrayBuffer && (data as FrameWithBody).body instanceof ArrayBuffer;
}

export class MessagePortBulk implements BulkChannel {
  /** Largest payload per message (the sender cuts objects into chunks of this size). */
  readonly maxMessage: number;
  readonly bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  private state: BulkChannelState = 'open';
  private readonly handlers = new ChannelHandlers();

  constructor(
    private readonly port: MessagePort,
    readonly label: string,
    maxMessage = DEFAULT_COLOCATED_CHUNK,
  ) {
    this.maxMessage = maxMessage;
    port.addEventListener('message', (event: MessageEvent) => this.onMessage(event.data));
    // Chromium fires `close` on a port whose other end went away (where supported).
    port.addEventListener('close', () => this.closeLocal());
    port.start();
  }

  get readyState(): BulkChannelState {
    return this.state;
  }

  send(data: ArrayBuffer | ArrayBufferView<ArrayBuffer>): void {
    this.checkOpen();
    // A fresh copy that is transferred: posting a view would clone its whole underlying buffer.
    const copy = data instanceof ArrayBuffer ? data.slice(0) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
    this.port.postMessage(copy, [copy]);
  }

  sendWithBody(frame: ArrayBuffer, body: Uint8Array<ArrayBuffer>, handOver = false): void {
    this.checkOpen();
    if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength) {
      // A whole buffer: structured clone copies it once, straight into the message; one handed over is transferred
      // (between two tabs' processes that costs about half the CPU of a clone: bench/README.md, Allreduce).
      const message: FrameWithBody = { frame, body: body.buffer };
      this.port.postMessage(message, handOver ? [frame, body.buffer] : [frame]);
    } else {
      const copy = body.slice().buffer;
      const message: FrameWithBody = { frame, body: copy };
      this.port.postMessage(message, [frame, copy]);
    }
  }

  subscribe(handlers: BulkChannelHandlers): () => void {
    return this.handlers.subscribe(handlers);
  }

  /** Tells the other side and closes. */
  close(): void {
    if (this.state === 'closed') return;
    try {
      this.port.postMessage(BYE);
    } catch {
      // the other side is gone already
    }
    this.closeLocal();
  }

  /** Closes this side only (the other side is known to be gone). */
  closeLocal(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.port.close();
    this.handlers.close();
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw new DOMException(`co-located channel ${this.label} is closed`, 'InvalidStateError');
  }

  private onMessage(data: unknown): void {
    if (this.state !== 'open') return;
    if (data instanceof ArrayBuffer) this.handlers.deliver(data);
    else if (isFrameWithBody(data)) this.handlers.deliver(data.frame, data.body);
    else if (data === BYE) this.closeLocal();
  }
}
