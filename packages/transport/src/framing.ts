/**
 * Control-message framing. Messages queued in the same tick go out together
 * as one JSON array (a frame), which keeps per-task overhead low when the
 * scheduler dispatches many tasks at once. A frame never exceeds `maxBytes`
 * (Chromium's data channel limit is 256 KiB); a single message that cannot fit
 * is refused at `push` time with ERR_MESSAGE_TOO_LARGE, so the caller learns
 * synchronously which message failed.
 */
import { ShoalError, type ControlMessage } from '@shoal/protocol';

const encoder = new TextEncoder();

/** UTF-8 length without encoding when the string is obviously small. */
export function utf8Length(text: string, limit: number): number {
  return text.length * 3 <= limit ? text.length : encoder.encode(text).length;
}

export class FrameBatcher {
  private queue: string[] = [];
  private queuedBytes = 2;
  private scheduled = false;

  constructor(
    private readonly maxBytes: number,
    private readonly sendFrame: (frame: string) => void,
  ) {}

  push(message: ControlMessage): void {
    const text = JSON.stringify(message);
    const size = utf8Length(text, this.maxBytes);
    if (size + 2 > this.maxBytes) {
      throw new ShoalError(
        'ERR_MESSAGE_TOO_LARGE',
        `a '${message.type}' message of ${size} bytes exceeds the control channel's ${this.maxBytes}-byte frame limit`,
      );
    }
    if (this.queuedBytes + size + 1 > this.maxBytes) this.flush();
    this.queue.push(text);
    this.queuedBytes += size + 1;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const frame = `[${this.queue.join(',')}]`;
    this.queue = [];
    this.queuedBytes = 2;
    this.sendFrame(frame);
  }

  /** Drops anything queued (the link closed). */
  clear(): void {
    this.queue = [];
    this.queuedBytes = 2;
  }
}
