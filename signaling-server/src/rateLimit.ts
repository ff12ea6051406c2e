/**
 * Per-connection rate limits: two token buckets, one counting messages and one
 * counting bytes. A bucket holds up to `burst` tokens and refills at `rate`
 * per second; a frame that finds too few tokens is refused (and not parsed).
 *
 *   bucket(rate 100/s, burst 500): 500 frames at once pass, the 501st is
 *   refused, and after 10 ms of quiet one more passes.
 *
 * Legitimate signaling is bursty but small: a tab joining a room of N peers
 * sends an offer and a few ICE candidates to each (about 5 × N messages of
 * 0.5–4 KiB), then next to nothing. The defaults let a newcomer in a full
 * room (256 peers) through at once and stop floods within a second.
 */

export interface RateLimitOptions {
  /** Sustained messages per second. Default 200. */
  messagesPerSecond?: number;
  /** Messages allowed at once. Default 2000. */
  messageBurst?: number;
  /** Sustained bytes per second. Default 512 KiB. */
  bytesPerSecond?: number;
  /** Bytes allowed at once. Default 4 MiB. */
  byteBurst?: number;
  /** Close the socket (1008) once this many of its frames were refused. Default 100. */
  closeAfter?: number;
}

export type ResolvedRateLimit = Required<RateLimitOptions>;

export const DEFAULT_RATE_LIMIT: ResolvedRateLimit = {
  messagesPerSecond: 200,
  messageBurst: 2000,
  bytesPerSecond: 512 * 1024,
  byteBurst: 4 * 1024 * 1024,
  closeAfter: 100,
};

export function resolveRateLimit(options: RateLimitOptions = {}): ResolvedRateLimit {
  const resolved = { ...DEFAULT_RATE_LIMIT };
  for (const key of Object.keys(DEFAULT_RATE_LIMIT) as Array<keyof ResolvedRateLimit>) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`rateLimit.${key} must be a positive number, got ${value}`);
    resolved[key] = value;
  }
  return resolved;
}

export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    now: number = performance.now(),
  ) {
    this.#tokens = burst;
    this.#last = now;
  }

  /** Takes `cost` tokens if there are that many; false (taking none) if not. */
  take(cost: number, now: number = performance.now()): boolean {
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.rate) / 1000);
    this.#last = now;
    if (this.#tokens < cost) return false;
    this.#tokens -= cost;
    return true;
  }

  /** Returns tokens taken for something that did not happen after all. */
  refund(cost: number): void {
    this.#tokens = Math.min(this.burst, this.#tokens + cost);
  }

  get tokens(): number {
    return this.#tokens;
  }
}

/** One connection's limiter: a frame passes only if both buckets allow it. */
export class RateLimiter {
  readonly #messages: TokenBucket;
  readonly #bytes: TokenBucket;
  refused = 0;

  constructor(
    readonly limits: ResolvedRateLimit,
    now: number = performance.now(),
  ) {
    this.#messages = new TokenBucket(limits.messagesPerSecond, limits.messageBurst, now);
    this.#bytes = new TokenBucket(limits.bytesPerSecond, limits.byteBurst, now);
  }

  /** Whether a frame of `bytes` may pass now. A refused frame takes nothing from either bucket. */
  allow(bytes: number, now: number = performance.now()): boolean {
    if (this.#bytes.take(bytes, now)) {
      if (this.#messages.take(1, now)) return true;
      this.#bytes.refund(bytes);
    }
    this.refused += 1;
    return false;
  }

  /** Whether the connection has been refused often enough to be closed. */
  get exhausted(): boolean {
    return this.refused >= this.limits.closeAfter;
  }
}
