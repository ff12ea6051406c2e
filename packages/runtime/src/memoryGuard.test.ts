import { runInContext, createContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { installMemoryGuard } from './memoryGuard.ts';

/** A fresh realm (its own ArrayBuffer and typed arrays) with the guard installed at `capMiB`. */
function realm(capMiB: number, globals: object = {}): { run: (code: string) => unknown; hits: number[] } {
  const context = createContext({ ...globals });
  const hits: number[] = [];
  installMemoryGuard(capMiB * 2 ** 20, (bytes) => hits.push(bytes), runInContext('globalThis', context) as Record<string, unknown>);
  return { run: (code) => runInContext(code, context), hits };
}

describe('memoryGuard', () => {
  it.each([
    { name: 'a Float64Array bomb', code: 'const a = []; while (true) a.push(new Float64Array(1 << 20));' },
    { name: 'an ArrayBuffer bomb', code: 'const a = []; while (true) a.push(new ArrayBuffer(1 << 20));' },
    { name: 'a bomb of copies (from an array)', code: 'const src = new Array(1 << 17).fill(1); const a = []; while (true) a.push(new Float64Array(src));' },
    { name: 'a bomb of slices (species)', code: 'const src = new Uint8Array(1 << 20); const a = []; while (true) a.push(src.slice());' },
    { name: 'a bomb of Float32Array.from', code: 'const src = new Array(1 << 16).fill(2); const a = []; while (true) a.push(Float32Array.from(src));' },
    { name: 'a subclass bomb', code: 'class Big extends Float64Array {} const a = []; while (true) a.push(new Big(1 << 17));' },
    { name: 'one allocation larger than the cap', code: 'new Uint8Array(64 * 2 ** 20)' },
  ])('stops $name with a RangeError and reports it once', ({ code }) => {
    const { run, hits } = realm(16);
    expect(() => run(code)).toThrow(/ERR_TASK_MEMORY.*cap of 16 MiB/);
    expect(hits).toHaveLength(1);
    // Once over, every counted allocation throws (the page is terminating this Web Worker).
    expect(() => run('new Float64Array(4096)')).toThrow(RangeError);
  });

  it('lets allocations under the cap through, and keeps instanceof, constructor and isView working', () => {
    const { run, hits } = realm(16);
    const result = run(`
      const a = new Float64Array(1 << 18); // 2 MiB
      const b = a.map((x) => x + 1);
      class Big extends Uint8Array {}
      const big = new Big(8);
      ({ inst: a instanceof Float64Array && b instanceof Float64Array && big instanceof Uint8Array && big instanceof Big,
         ctor: a.constructor === Float64Array, view: ArrayBuffer.isView(a), buf: a.buffer instanceof ArrayBuffer,
         sliced: new ArrayBuffer(4096).slice(0, 16).byteLength, mapped: b[0] })`);
    expect(result).toEqual({ inst: true, ctor: true, view: true, buf: true, sliced: 16, mapped: 1 });
    expect(hits).toEqual([]);
  });

  it('takes detached buffers (a result transferred out) off the count before refusing, in one synchronous run', () => {
    const { run, hits } = realm(16, { structuredClone });
    // 12 MiB made and handed away (transferred, as a task's result is), then 12 MiB more: only 12 are live.
    const out = run(`
      const results = [];
      for (let i = 0; i < 3; i++) {
        const block = new Uint8Array(4 * 2 ** 20);
        results.push(structuredClone(block.buffer, { transfer: [block.buffer] }).byteLength);
      }
      const kept = [];
      for (let i = 0; i < 3; i++) kept.push(new Uint8Array(4 * 2 ** 20));
      results.concat(kept.map((k) => k.byteLength))`);
    expect(out).toEqual(Array(6).fill(4 * 2 ** 20));
    expect(hits).toEqual([]);
    // Buffers still held stay counted: past the cap is still refused.
    expect(() => run('kept.push(new Uint8Array(8 * 2 ** 20))')).toThrow(/ERR_TASK_MEMORY/);
  });

  it('counts a resizable buffer growing', () => {
    const { run, hits } = realm(4);
    expect(() => run('const r = new ArrayBuffer(4096, { maxByteLength: 64 * 2 ** 20 }); r.resize(32 * 2 ** 20);')).toThrow(/ERR_TASK_MEMORY/);
    expect(hits).toHaveLength(1);
  });
});
