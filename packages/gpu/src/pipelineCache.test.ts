import { describe, expect, it } from 'vitest';
import { ShoalError } from '@shoal/protocol';
import { PipelineCache, hashText, pipelineKey, type PipelineSpec } from './pipelineCache.ts';

const base: PipelineSpec = {
  label: 'k',
  code: '@compute @workgroup_size(64) fn main() {}',
  entryPoint: 'main',
  constants: { A: 1, B: 2 },
  workgroupSize: [64, 1, 1],
  bindings: ['read-only-storage', 'storage'],
};

describe('pipelineKey', () => {
  it('ignores the label and the order of constants', () => {
    expect(pipelineKey({ ...base, label: 'other' })).toBe(pipelineKey(base));
    expect(pipelineKey({ ...base, constants: { B: 2, A: 1 } })).toBe(pipelineKey(base));
  });
  it('changes with everything that shapes the code', () => {
    const keys = new Set([
      pipelineKey(base),
      pipelineKey({ ...base, code: `${base.code} ` }),
      pipelineKey({ ...base, entryPoint: 'other' }),
      pipelineKey({ ...base, constants: { A: 1, B: 3 } }),
      pipelineKey({ ...base, constants: { A: 1 } }),
      pipelineKey({ ...base, workgroupSize: [32, 1, 1] }),
      pipelineKey({ ...base, bindings: ['read-only-storage', 'storage', 'uniform'] }),
    ]);
    expect(keys.size).toBe(7);
  });
  it('hashText is stable and short', () => {
    expect(hashText('abc')).toBe(hashText('abc'));
    expect(hashText('abc')).not.toBe(hashText('abd'));
    expect(hashText('x'.repeat(10_000)).length).toBeLessThan(12);
  });
});

/** A fake device that records what was created and can report compile errors. */
function fakeDevice(messages: GPUCompilationMessage[] = []) {
  const calls = { modules: 0, pipelines: 0, scopes: 0 };
  const device = {
    pushErrorScope: () => void calls.scopes++,
    popErrorScope: async () => null,
    createShaderModule: () => {
      calls.modules++;
      return { getCompilationInfo: async () => ({ messages }) } as unknown as GPUShaderModule;
    },
    createBindGroupLayout: (d: GPUBindGroupLayoutDescriptor) => ({ label: d.label }) as GPUBindGroupLayout,
    createPipelineLayout: (d: GPUPipelineLayoutDescriptor) => ({ label: d.label }) as GPUPipelineLayout,
    createComputePipelineAsync: async (d: GPUComputePipelineDescriptor) => {
      calls.pipelines++;
      return { label: d.label } as GPUComputePipeline;
    },
  };
  return { device, calls };
}

describe('PipelineCache', () => {
  it('builds once per key, shares modules between entry points, and counts hits', async () => {
    const { device, calls } = fakeDevice();
    const cache = new PipelineCache(device);
    const [one, two] = await Promise.all([cache.get(base), cache.get({ ...base, label: 'again' })]);
    expect(one).toBe(two);
    await cache.get({ ...base, constants: { A: 5 } });
    expect(calls).toMatchObject({ modules: 1, pipelines: 2 });
    expect(cache.stats()).toMatchObject({ pipelines: 2, modules: 1, hits: 1, misses: 2 });
    cache.clear();
    expect(cache.stats()).toMatchObject({ pipelines: 0, modules: 0 });
  });

  it('rejects a module with errors as ERR_GPU_SHADER, and does not cache the failure', async () => {
    const error = { type: 'error', message: 'bad thing', lineNum: 1, linePos: 10, offset: 9, length: 3 } as GPUCompilationMessage;
    const { device, calls } = fakeDevice([error]);
    const cache = new PipelineCache(device);
    const failed = await cache.get(base).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ShoalError);
    expect((failed as ShoalError).code).toBe('ERR_GPU_SHADER');
    expect((failed as ShoalError).message).toContain('wgsl:1:10: error: bad thing');
    await cache.get(base).catch(() => undefined);
    expect(calls.modules).toBe(2);
    expect(cache.stats().pipelines).toBe(0);
  });
});
