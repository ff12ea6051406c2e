import { describe, expect, it } from 'vitest';
import { recyclable } from './taskRecycle.ts';

describe('recyclable: what a task may hand to its Web Worker pool', () => {
  it('keeps out lent inputs, outputs and detached buffers; each buffer once', () => {
    const consumed = new ArrayBuffer(16);
    const lent = new ArrayBuffer(16);
    const output = new ArrayBuffer(16);
    const detached = new ArrayBuffer(16);
    structuredClone(detached, { transfer: [detached] });
    expect(detached.byteLength).toBe(0);
    expect(recyclable([consumed, lent, output, detached, consumed], [lent], [output])).toEqual([consumed]);
  });
});
