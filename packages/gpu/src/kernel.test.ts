import { describe, expect, it } from 'vitest';
import { prepareKernel } from './kernel.ts';
import type { GpuLimits } from './device.ts';

const limits: GpuLimits = {
  maxBufferSize: 1 << 28,
  maxStorageBufferBindingSize: 1 << 27,
  maxUniformBufferBindingSize: 65536,
  maxStorageBuffersPerShaderStage: 8,
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupSizeZ: 64,
  maxComputeWorkgroupsPerDimension: 65535,
};

const wgsl = '@compute @workgroup_size(WORKGROUP_SIZE_X) fn main(@builtin(global_invocation_id) id: vec3u) { out[id.x] = a[id.x]; }';

describe('prepareKernel', () => {
  it('puts the generated bindings in front of the code and maps inputs by their array type', () => {
    const prepared = prepareKernel(
      { wgsl, workgroupSize: [64], dispatch: [2], inputs: { a: new Float64Array([1, 2]), b: new Uint8Array([3]), c: { toArray: () => new Int32Array([4]) } }, outputs: { out: { type: 'f32', length: 2 } }, uniforms: { s: 1 } },
      limits,
    );
    expect(prepared.inputs.map((i) => [i.name, i.type, i.data.constructor.name])).toEqual([
      ['a', 'f32', 'Float32Array'],
      ['b', 'u32', 'Uint32Array'],
      ['c', 'i32', 'Int32Array'],
    ]);
    expect(prepared.pipeline.bindings).toEqual(['read-only-storage', 'read-only-storage', 'read-only-storage', 'storage', 'uniform']);
    expect(prepared.pipeline.code.endsWith(wgsl)).toBe(true);
    const preludeLines = prepared.pipeline.preludeLines!;
    expect(prepared.pipeline.code.split('\n')[preludeLines]).toBe(wgsl);
    expect(prepared.pipeline.label).toBe('shoal.kernel.main');
    expect(prepared.workgroupSize).toEqual([64, 1, 1]);
    expect(prepared.dispatch).toEqual([2, 1, 1]);
  });

  it('leaves the code alone with declare: false', () => {
    const prepared = prepareKernel({ wgsl, declare: false, workgroupSize: [1], dispatch: [1], outputs: { out: { type: 'u32', length: 1 } } });
    expect(prepared.pipeline.code).toBe(wgsl);
    expect(prepared.pipeline.preludeLines).toBe(0);
  });

  it('says what is wrong with a spec', () => {
    const ok = { wgsl, workgroupSize: [64], dispatch: [1], outputs: { out: { type: 'f32' as const, length: 4 } } };
    expect(() => prepareKernel({ ...ok, wgsl: ' ' })).toThrow(/needs its WGSL/);
    expect(() => prepareKernel({ ...ok, outputs: {} })).toThrow(/at least one output/);
    expect(() => prepareKernel({ ...ok, outputs: { out: { type: 'f64' as 'f32', length: 4 } } })).toThrow(/output "out" must be/);
    expect(() => prepareKernel({ ...ok, inputs: { a: [1, 2] as unknown as Float32Array } })).toThrow(/input "a" is a plain array/);
    expect(() => prepareKernel({ ...ok, inputs: { a: new BigInt64Array(1) as unknown as Float32Array } })).toThrow(/BigInt64Array/);
    expect(() => prepareKernel({ ...ok, workgroupSize: [512] }, limits)).toThrow(/over this device's limits/);
    expect(() => prepareKernel({ ...ok, dispatch: [70000] }, limits)).toThrow(/65535 workgroups/);
    expect(() => prepareKernel({ ...ok, workGroupSize: [1] } as never)).toThrow(/unknown kernel option "workGroupSize"; valid ones are/);
    try {
      prepareKernel({ ...ok, dispatch: [0] });
    } catch (error) {
      expect((error as { code: string }).code).toBe('ERR_BAD_OPTION');
    }
  });
});
