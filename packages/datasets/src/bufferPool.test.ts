import { describe, expect, test } from 'vitest';
import { bufferPool } from './bufferPool.ts';

/** A pool over a scope of its own (as a Web Worker's), reusing buffers. */
const fresh = () => bufferPool({ Float64Array, Float32Array, Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array }, true);
const N = 16 * 1024; // 128 KiB of float64: big enough to be pooled

describe('bufferPool', () => {
  test('a column handed on is reused, zeroed, by the next task once no task runs', () => {
    const pool = fresh();
    const F64 = pool.shadows[pool.names.indexOf('Float64Array')] as Float64ArrayConstructor;
    pool.begin();
    const x = new F64(N);
    x.fill(7);
    pool.handedOn({ cols: { x } });
    // Within the same task nothing handed on is reused.
    expect(new F64(N).buffer).not.toBe(x.buffer);
    pool.end();
    pool.begin();
    const y = new F64(N);
    expect(y.buffer).toBe(x.buffer);
    expect(y.every((v) => v === 0)).toBe(true);
    expect(y).toBeInstanceOf(Float64Array);
    // Only once: the next one is fresh.
    expect(new F64(N).buffer).not.toBe(x.buffer);
    pool.end();
  });

  test('temporaries, views, small arrays and other sizes are never reused; a task still running holds the buffers back', () => {
    const pool = fresh();
    const F64 = pool.shadows[pool.names.indexOf('Float64Array')] as Float64ArrayConstructor;
    pool.begin();
    const temp = new F64(N); // made, not handed on
    const whole = new F64(2 * N);
    const view = whole.subarray(N); // a view at an offset
    const small = new F64(16);
    pool.handedOn({ cols: { view, small, names: ['a'] } });
    pool.end();
    pool.begin();
    for (const made of [new F64(N), new F64(2 * N), new F64(16)]) expect([temp.buffer, whole.buffer, small.buffer]).not.toContain(made.buffer);
    const kept = new F64(N);
    pool.handedOn({ cols: { kept } });
    pool.begin(); // a second task starts while the first runs: nothing is freed
    expect(new F64(N).buffer).not.toBe(kept.buffer);
    pool.end();
    pool.end();
    pool.begin();
    expect(new F64(N).buffer).toBe(kept.buffer);
    pool.end();
  });

  test('outside a Web Worker (the in-process test cluster) nothing is reused', () => {
    const pool = bufferPool({ Float64Array });
    const F64 = pool.shadows[pool.names.indexOf('Float64Array')] as Float64ArrayConstructor;
    pool.begin();
    const x = new F64(N);
    pool.handedOn({ cols: { x } });
    pool.end();
    pool.begin();
    expect(new F64(N).buffer).not.toBe(x.buffer);
    expect(Float64Array.from([1, 2])).toEqual(new Float64Array([1, 2]));
    pool.end();
  });
});
