/**
 * The Chrome DevTools Protocol over `--remote-debugging-pipe`: Chromium reads
 * commands on its fd 3 and writes answers and events on its fd 4, each a JSON
 * message ended by a NUL byte. This file is the framing and the request /
 * answer bookkeeping, with no process in it (pipeBrowser.ts spawns one), so
 * it is tested on its own.
 */

/** A CDP event: its method, params and, for a target attached in flat mode, its session. */
export interface CdpEvent {
  method: string;
  params: Record<string, unknown>;
  sessionId?: string;
}

/** Splits a byte stream into NUL-ended messages; keeps a partial one for the next chunk. */
export class NulFramer {
  #pending: Buffer[] = [];

  /** The complete messages in `chunk` (with what earlier chunks left), in order. */
  push(chunk: Buffer): string[] {
    const out: string[] = [];
    let start = 0;
    for (let end = chunk.indexOf(0, start); end !== -1; end = chunk.indexOf(0, start)) {
      this.#pending.push(chunk.subarray(start, end));
      out.push(Buffer.concat(this.#pending).toString('utf8'));
      this.#pending = [];
      start = end + 1;
    }
    if (start < chunk.length) this.#pending.push(chunk.subarray(start));
    return out;
  }
}

/** One CDP message framed for the pipe. */
export function frame(message: object): Buffer {
  return Buffer.concat([Buffer.from(JSON.stringify(message), 'utf8'), Buffer.from([0])]);
}

/**
 * Commands out, answers matched by id, events to `onEvent`. `write` sends
 * framed bytes; `receive` is fed each message string read back. `close(why)`
 * fails every pending command with `why` (the browser exited).
 */
export class CdpClient {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; method: string }>();
  #closed: Error | null = null;

  constructor(
    private readonly write: (bytes: Buffer) => void,
    private readonly onEvent: (event: CdpEvent) => void = () => undefined,
  ) {}

  send<T = Record<string, unknown>>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, method });
      this.write(frame(sessionId === undefined ? { id, method, params } : { id, method, params, sessionId }));
    });
  }

  receive(text: string): void {
    let message: { id?: number; result?: unknown; error?: { message?: string }; method?: string; params?: Record<string, unknown>; sessionId?: string };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return; // not ours to judge; Chromium writes only JSON here
    }
    if (message.id === undefined) {
      if (message.method !== undefined) this.onEvent({ method: message.method, params: message.params ?? {}, ...(message.sessionId === undefined ? {} : { sessionId: message.sessionId }) });
      return;
    }
    const waiting = this.#pending.get(message.id);
    if (waiting === undefined) return;
    this.#pending.delete(message.id);
    if (message.error !== undefined) waiting.reject(new Error(`${waiting.method}: ${message.error.message ?? JSON.stringify(message.error)}`));
    else waiting.resolve(message.result ?? {});
  }

  close(why: Error): void {
    this.#closed ??= why;
    for (const { reject } of this.#pending.values()) reject(why);
    this.#pending.clear();
  }
}
