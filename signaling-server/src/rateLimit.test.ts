import { describe, expect, it } from 'vitest';
import { RateLimiter, TokenBucket, resolveRateLimit } from './rateLimit.ts';

describe('TokenBucket', () => {
  it('allows a burst, then refills at its rate', () => {
    const bucket = new TokenBucket(100, 5, 0);
    for (let i = 0; i < 5; i++) expect(bucket.take(1, 0)).toBe(true);
    expect(bucket.take(1, 0)).toBe(false);
    expect(bucket.take(1, 9)).toBe(false); // 0.9 of a token after 9 ms
    expect(bucket.take(1, 11)).toBe(true);
    expect(bucket.take(1, 10_000)).toBe(true);
    expect(bucket.tokens).toBe(4); // refills stop at the burst
  });

  it('takes nothing when the cost does not fit', () => {
    const bucket = new TokenBucket(1, 10, 0);
    expect(bucket.take(11, 0)).toBe(false);
    expect(bucket.tokens).toBe(10);
  });
});

describe('RateLimiter', () => {
  const limits = resolveRateLimit({ messagesPerSecond: 10, messageBurst: 3, bytesPerSecond: 1000, byteBurst: 100, closeAfter: 2 });

  it('needs both buckets, and a refused frame spends neither', () => {
    const limiter = new RateLimiter(limits, 0);
    expect(limiter.allow(101, 0)).toBe(false); // bytes refuse
    expect(limiter.allow(50, 0)).toBe(true);
    expect(limiter.allow(50, 0)).toBe(true);
    expect(limiter.allow(1, 0)).toBe(false); // bytes spent
    expect(limiter.allow(0, 0)).toBe(true); // third message
    expect(limiter.allow(0, 0)).toBe(false); // messages spent
    expect(limiter.refused).toBe(3);
    expect(limiter.exhausted).toBe(true);
  });

  it('refunds the bytes of a frame the message bucket refuses', () => {
    const limiter = new RateLimiter(resolveRateLimit({ messagesPerSecond: 1, messageBurst: 1, bytesPerSecond: 1, byteBurst: 100 }), 0);
    expect(limiter.allow(10, 0)).toBe(true);
    expect(limiter.allow(80, 0)).toBe(false);
    expect(limiter.allow(90, 1000)).toBe(true); // the 80 were given back
  });
});

describe('resolveRateLimit', () => {
  it('fills defaults and refuses nonsense', () => {
    expect(resolveRateLimit({})).toEqual({ messagesPerSecond: 200, messageBurst: 2000, bytesPerSecond: 524288, byteBurst: 4194304, closeAfter: 100 });
    expect(() => resolveRateLimit({ messageBurst: 0 })).toThrow(/messageBurst/);
    expect(() => resolveRateLimit({ bytesPerSecond: Number.NaN })).toThrow(RangeError);
  });
});
