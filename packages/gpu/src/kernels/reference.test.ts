import { describe, expect, it } from 'vitest';
import { padColumns, matmulDispatch } from './matmul.ts';
import { mapSource } from './map.ts';
import { reducePasses } from './reduce.ts';
import { scanLevels } from './scan.ts';
import { mapReference, matmulEntry, matmulIkj, matmulReference, maxRelativeError, reduceReference, scaledError, scanReference } from './reference.ts';

describe('CPU references', () => {
  it('matmul: a small product by hand, and the i-k-j loop agrees', () => {
    // [1 2 3; 4 5 6] × [7 8; 9 10; 11 12] = [58 64; 139 154]
    const a = new Float32Array([1, 2, 3, 4, 5, 6]);
    const b = new Float32Array([7, 8, 9, 10, 11, 12]);
    expect(Array.from(matmulReference(a, b, 2, 2, 3))).toEqual([58, 64, 139, 154]);
    expect(Array.from(matmulIkj(a, b, 2, 2, 3))).toEqual([58, 64, 139, 154]);
    expect(matmulEntry(a, b, 2, 3, 1, 0)).toBe(139);
  });

  it('reduce: compensated sum beats naive f32 order, min/max/mean, empty arrays', () => {
    const data = new Float32Array(1_000_000).fill(0.1);
    const exact = 1_000_000 * Math.fround(0.1);
    expect(Math.abs(reduceReference('sum', data) - exact) / exact).toBeLessThan(1e-12);
    expect(reduceReference('mean', data)).toBeCloseTo(Math.fround(0.1), 12);
    expect(reduceReference('min', [3, -1, 2])).toBe(-1);
    expect(reduceReference('max', [3, -1, 2])).toBe(3);
    expect(reduceReference('sum', [])).toBe(0);
    expect(reduceReference('min', [])).toBeNaN();
  });

  it('scan: exclusive, same kind, u32 wraps like the GPU', () => {
    expect(Array.from(scanReference(new Uint32Array([3, 1, 4, 1, 5])))).toEqual([0, 3, 4, 8, 9]);
    const wrapped = scanReference(new Uint32Array([0xffffffff, 2, 0]));
    expect(wrapped).toBeInstanceOf(Uint32Array);
    expect(Array.from(wrapped)).toEqual([0, 0xffffffff, 1]);
    expect(Array.from(scanReference(new Int32Array([-1, -2, 5])))).toEqual([0, -1, -3]);
    expect(Array.from(scanReference(new Float32Array([0.5, 0.25])))).toEqual([0, 0.5]);
  });

  it('map, and the error measures', () => {
    expect(Array.from(mapReference((a, b) => a * b + 1, [1, 2], [3, 4]))).toEqual([4, 9]);
    expect(maxRelativeError([1, 2.002], [1, 2])).toBeCloseTo(1e-3, 6);
    expect(maxRelativeError([1], [1, 2])).toBe(Infinity);
    expect(maxRelativeError([Number.NaN], [1])).toBe(Infinity);
    expect(scaledError([0.001, 10], [0, 10])).toBeCloseTo(1e-4, 8);
  });
});

describe('kernel plans', () => {
  it('reduce passes and scan levels shrink to one', () => {
    expect(reducePasses(1)).toEqual([1]);
    expect(reducePasses(4096)).toEqual([1]);
    expect(reducePasses(1_000_000)).toEqual([245, 1]);
    expect(reducePasses(20_000_000)).toEqual([4883, 2, 1]);
    expect(scanLevels(100)).toEqual([100]);
    expect(scanLevels(2048)).toEqual([2048]);
    expect(scanLevels(1_000_000)).toEqual([1_000_000, 489]);
    expect(scanLevels(4_500_000)).toEqual([4_500_000, 2198, 2]);
  });

  it('matmul pads K and N to multiples of 4 and tiles the result 32×32', () => {
    const m = new Float32Array([1, 2, 3, 4, 5, 6]);
    expect(padColumns(m, 2, 3, 3)).toBe(m);
    expect(Array.from(padColumns(m, 2, 3, 4))).toEqual([1, 2, 3, 0, 4, 5, 6, 0]);
    expect(matmulDispatch(256, 192)).toEqual([6, 8, 1]);
    expect(matmulDispatch(33, 4)).toEqual([1, 2, 1]);
  });

  it('map builds one expression over lettered inputs and refuses statements', () => {
    const code = mapSource('a * b + 1.0', 2);
    expect(code).toContain('let a = in_a[i]; let b = in_b[i];');
    expect(code).toContain('out[i] = f32(a * b + 1.0);');
    expect(() => mapSource('a; out[0] = 1.0', 1)).toThrow(/one WGSL expression/);
    expect(() => mapSource('', 1)).toThrow(/needs a WGSL expression/);
  });
});
