/**
 * Compute pipelines cached per device, keyed by everything that shapes the
 * code: the full WGSL (prelude included, so workgroup size and bindings are
 * in it), the entry point, the pipeline-overridable constants, the workgroup
 * size and the bind group layout. Shader modules are cached by their code, so
 * several entry points or constant sets share one compile.
 *
 * Compiling checks `getCompilationInfo()` inside a validation error scope: a
 * bad shader rejects with ERR_GPU_SHADER naming each error's line:column.
 * Failed compiles are not cached; concurrent requests for one key share one
 * compile.
 */
import { ShoalError } from '@shoal/protocol';
import type { BindingKind } from './bindings.ts';
import { layoutSignature } from './bindings.ts';
import { pipelineBuildError, shaderCompileError } from './compilation.ts';
import { ShaderStage } from './usage.ts';

export interface PipelineSpec {
  /** Label of the pipeline, its module, layout and bind group layout. */
  label: string;
  /** The whole WGSL module as compiled. */
  code: string;
  entryPoint: string;
  /** Pipeline-overridable constants (`override` declarations in WGSL). */
  constants?: Record<string, number>;
  workgroupSize?: readonly number[];
  /** Buffer binding types, binding 0 first, all in group 0. */
  bindings: readonly BindingKind[];
  /** Generated lines in front of the user's code, for error line numbers. */
  preludeLines?: number;
}

export interface CachedPipeline {
  pipeline: GPUComputePipeline;
  bindGroupLayout: GPUBindGroupLayout;
  key: string;
}

export interface PipelineCacheStats {
  pipelines: number;
  modules: number;
  hits: number;
  misses: number;
}

/** A cheap 53-bit string hash (cyrb53), for short, stable key prefixes in labels. */
export function hashText(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

function sortedConstants(constants: Record<string, number> = {}): [string, number][] {
  return Object.entries(constants).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The cache key: equal exactly when two specs would build the same pipeline. The label is not part of it. */
export function pipelineKey(spec: PipelineSpec): string {
  return JSON.stringify([spec.code, spec.entryPoint, sortedConstants(spec.constants), spec.workgroupSize ?? null, layoutSignature(spec.bindings)]);
}

/** The part of GPUDevice the cache uses. */
type PipelineDevice = Pick<GPUDevice, 'createShaderModule' | 'createBindGroupLayout' | 'createPipelineLayout' | 'createComputePipelineAsync' | 'pushErrorScope' | 'popErrorScope'>;

export class PipelineCache {
  readonly #device: PipelineDevice;
  readonly #pipelines = new Map<string, Promise<CachedPipeline>>();
  readonly #modules = new Map<string, Promise<GPUShaderModule>>();
  #hits = 0;
  #misses = 0;

  constructor(device: PipelineDevice) {
    this.#device = device;
  }

  /** The pipeline for `spec`, built on first use. Rejects with ERR_GPU_SHADER when the code does not compile or link. */
  get(spec: PipelineSpec): Promise<CachedPipeline> {
    const key = pipelineKey(spec);
    const cached = this.#pipelines.get(key);
    if (cached) {
      this.#hits++;
      return cached;
    }
    this.#misses++;
    const building = this.#build(spec, key);
    this.#pipelines.set(key, building);
    building.catch(() => {
      if (this.#pipelines.get(key) === building) this.#pipelines.delete(key);
    });
    return building;
  }

  /** Forgets everything (after device loss). */
  clear(): void {
    this.#pipelines.clear();
    this.#modules.clear();
  }

  stats(): PipelineCacheStats {
    return { pipelines: this.#pipelines.size, modules: this.#modules.size, hits: this.#hits, misses: this.#misses };
  }

  #module(spec: PipelineSpec): Promise<GPUShaderModule> {
    const cached = this.#modules.get(spec.code);
    if (cached) return cached;
    const compiling = this.#compile(spec);
    this.#modules.set(spec.code, compiling);
    compiling.catch(() => {
      if (this.#modules.get(spec.code) === compiling) this.#modules.delete(spec.code);
    });
    return compiling;
  }

  async #compile(spec: PipelineSpec): Promise<GPUShaderModule> {
    const device = this.#device;
    const label = `${spec.label}.module`;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label, code: spec.code });
    const scope = device.popErrorScope();
    const info = await module.getCompilationInfo();
    const scopeError = await scope;
    if (info.messages.some((m) => m.type === 'error')) {
      throw shaderCompileError(info.messages, spec.code, { label: spec.label, preludeLines: spec.preludeLines ?? 0 });
    }
    if (scopeError) throw new ShoalError('ERR_GPU_SHADER', `WGSL for "${spec.label}" was rejected: ${scopeError.message.trim()}`);
    return module;
  }

  async #build(spec: PipelineSpec, key: string): Promise<CachedPipeline> {
    const module = await this.#module(spec);
    const device = this.#device;
    const label = spec.label;
    device.pushErrorScope('validation');
    const bindGroupLayout = device.createBindGroupLayout({
      label: `${label}.bindGroupLayout`,
      entries: spec.bindings.map((type, binding) => ({ binding, visibility: ShaderStage.COMPUTE, buffer: { type } })),
    });
    const layout = device.createPipelineLayout({ label: `${label}.layout`, bindGroupLayouts: [bindGroupLayout] });
    const layoutError = device.popErrorScope();
    let pipeline: GPUComputePipeline;
    try {
      pipeline = await device.createComputePipelineAsync({
        label,
        layout,
        compute: { module, entryPoint: spec.entryPoint, ...(spec.constants && Object.keys(spec.constants).length > 0 ? { constants: spec.constants } : {}) },
      });
    } catch (cause) {
      throw pipelineBuildError(label, cause instanceof Error ? cause.message : String(cause), cause);
    }
    const error = await layoutError;
    if (error) throw pipelineBuildError(label, error.message);
    return { pipeline, bindGroupLayout, key };
  }
}
