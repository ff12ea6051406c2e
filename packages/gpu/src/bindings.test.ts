import { describe, expect, it } from 'vitest';
import { bindingPrelude, layoutEntries, lineCount, packUniforms, planBindings, triple, uniformLayout } from './bindings.ts';

describe('planBindings', () => {
  it('numbers inputs, then outputs, then the uniform struct', () => {
    const plan = planBindings(
      [
        { name: 'a', type: 'f32' },
        { name: 'idx', type: 'u32' },
      ],
      [{ name: 'out', type: 'i32' }],
      { scale: 2 },
    );
    expect(plan.slots).toEqual([
      { name: 'a', binding: 0, kind: 'read-only-storage', type: 'f32' },
      { name: 'idx', binding: 1, kind: 'read-only-storage', type: 'u32' },
      { name: 'out', binding: 2, kind: 'storage', type: 'i32' },
      { name: 'uniforms', binding: 3, kind: 'uniform', type: null },
    ]);
    expect(layoutEntries(plan)).toEqual([
      { binding: 0, visibility: 4, buffer: { type: 'read-only-storage' } },
      { binding: 1, visibility: 4, buffer: { type: 'read-only-storage' } },
      { binding: 2, visibility: 4, buffer: { type: 'storage' } },
      { binding: 3, visibility: 4, buffer: { type: 'uniform' } },
    ]);
  });

  it('refuses duplicate, reserved and non-WGSL names', () => {
    expect(() => planBindings([{ name: 'a', type: 'f32' }], [{ name: 'a', type: 'f32' }])).toThrow(/used twice/);
    expect(() => planBindings([{ name: 'a', type: 'f32' }], [{ name: 'o', type: 'f32' }], { a: 1 })).toThrow(/used twice/);
    expect(() => planBindings([{ name: 'uniforms', type: 'f32' }], [])).toThrow(/not usable/);
    expect(() => planBindings([{ name: '1x', type: 'f32' }], [])).toThrow(/not usable/);
    expect(() => planBindings([{ name: '__x', type: 'f32' }], [])).toThrow(/not usable/);
    expect(() => planBindings([{ name: 'my-array', type: 'f32' }], [])).toThrow(/not usable/);
  });
});

describe('uniforms', () => {
  it('lay out by WGSL alignment: scalars 4, vec2 8, vec3 and vec4 16; size a multiple of 16', () => {
    const layout = uniformLayout({ scale: 1.5, n: { type: 'u32', value: 7 }, center: [0.5, -0.5], color: [1, 2, 3], k: { type: 'i32', value: -2 } })!;
    expect(layout.fields.map((f) => [f.name, f.offset, f.components, f.type])).toEqual([
      ['scale', 0, 1, 'f32'],
      ['n', 4, 1, 'u32'],
      ['center', 8, 2, 'f32'],
      ['color', 16, 3, 'f32'],
      ['k', 28, 1, 'i32'],
    ]);
    expect(layout.size).toBe(32);
    const view = new DataView(packUniforms(layout));
    expect(view.getFloat32(0, true)).toBe(1.5);
    expect(view.getUint32(4, true)).toBe(7);
    expect(view.getFloat32(12, true)).toBe(-0.5);
    expect(view.getFloat32(24, true)).toBe(3);
    expect(view.getInt32(28, true)).toBe(-2);
  });

  it('are null when there are none, and refuse bad values', () => {
    expect(uniformLayout({})).toBeNull();
    expect(() => uniformLayout({ v: [1, 2, 3, 4, 5] })).toThrow(/1 to 4 finite numbers/);
    expect(() => uniformLayout({ v: Number.NaN })).toThrow(/finite/);
    expect(() => uniformLayout({ v: { type: 'f64' as 'f32', value: 1 } })).toThrow(/valid ones are f32, u32, i32/);
  });
});

describe('bindingPrelude', () => {
  it('declares workgroup size constants, the uniform struct and every binding', () => {
    const plan = planBindings([{ name: 'a', type: 'f32' }], [{ name: 'out', type: 'u32' }], { scale: 2, size: [4, 4] });
    const prelude = bindingPrelude(plan, [64, 2, 1]);
    expect(prelude).toContain('const WORKGROUP_SIZE_X: u32 = 64u;');
    expect(prelude).toContain('const WORKGROUP_SIZE_Y: u32 = 2u;');
    expect(prelude).toContain('struct Uniforms { scale: f32, size: vec2<f32>, }');
    expect(prelude).toContain('@group(0) @binding(0) var<storage, read> a: array<f32>;');
    expect(prelude).toContain('@group(0) @binding(1) var<storage, read_write> out: array<u32>;');
    expect(prelude).toContain('@group(0) @binding(2) var<uniform> uniforms: Uniforms;');
    expect(prelude.endsWith('\n')).toBe(true);
    expect(lineCount(prelude)).toBe(8);
  });

  it('declares atomic outputs as array<atomic<T>>, integers only', () => {
    const plan = planBindings([], [{ name: 'hist', type: 'u32', atomic: true }]);
    expect(bindingPrelude(plan, [1, 1, 1])).toContain('@group(0) @binding(0) var<storage, read_write> hist: array<atomic<u32>>;');
    expect(() => planBindings([], [{ name: 'h', type: 'f32', atomic: true }])).toThrow(/must be u32 or i32/);
  });

  it('pads sizes to three numbers and checks them', () => {
    expect(triple([8], 'x')).toEqual([8, 1, 1]);
    expect(triple([8, 2, 3], 'x')).toEqual([8, 2, 3]);
    expect(() => triple([], 'dispatch')).toThrow(/dispatch must be 1 to 3/);
    expect(() => triple([0], 'dispatch')).toThrow(/whole numbers/);
    expect(() => triple([1.5], 'dispatch')).toThrow(/whole numbers/);
  });
});
