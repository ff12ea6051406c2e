/**
 * `runKernel`: a user's WGSL compute kernel as one call. Inputs are uploaded,
 * outputs zeroed, the kernel dispatched once, outputs read back.
 *
 * Binding convention (see bindings.ts), all in `@group(0)`:
 *   inputs  → bindings 0..i-1, `var<storage, read> NAME: array<T>` (T from the typed array)
 *   outputs → bindings i..i+o-1, `var<storage, read_write> NAME: array<T>` (T from `type`;
 *             `array<atomic<T>>` with `atomic: true`), zeroed before the dispatch
 *   uniforms (if any) → binding i+o, `var<uniform> uniforms: Uniforms`, fields in order
 * Shoal writes these declarations, and `const WORKGROUP_SIZE_X/Y/Z: u32`, in
 * front of `wgsl` (error line numbers stay the user's own). With
 * `declare: false` the user writes them, with the same numbers. Each array is
 * bound with exactly its data's size, so `arrayLength(&NAME)` is its length.
 *
 *   const { out } = await runKernel(gpu, {
 *     wgsl: `@compute @workgroup_size(WORKGROUP_SIZE_X)
 *            fn main(@builtin(global_invocation_id) id: vec3u) {
 *              if (id.x < arrayLength(&out)) { out[id.x] = a[id.x] * uniforms.scale; }
 *            }`,
 *     workgroupSize: [64], dispatch: [Math.ceil(n / 64)],
 *     inputs: { a }, outputs: { out: { type: 'f32', length: n } }, uniforms: { scale: 2 },
 *   });
 */
import { ShoalError } from '@shoal/protocol';
import { allocArray, toGpuArray, viewArray, type GpuArray, type GpuInputArray, type KernelInput, type ScalarType } from './arrays.ts';
import { bindingPrelude, lineCount, packUniforms, planBindings, triple, type BindingPlan, type UniformValue } from './bindings.ts';
import type { GpuDevice, GpuLimits } from './device.ts';
import type { PipelineSpec } from './pipelineCache.ts';
import { Submission, type Binding } from './submission.ts';

export interface OutputSpec {
  type: ScalarType;
  length: number;
  /** Declare it `array<atomic<T>>` (u32 or i32), for atomicAdd and friends. */
  atomic?: boolean;
}

export interface KernelSpec {
  /** The kernel's WGSL: entry point and helpers; declarations are generated unless `declare` is false. */
  wgsl: string;
  /** Default `main`. */
  entryPoint?: string;
  /** `[x, y?, z?]`, also given to the code as WORKGROUP_SIZE_X/Y/Z. */
  workgroupSize: readonly number[];
  /** Workgroups to dispatch, `[x, y?, z?]`. */
  dispatch: readonly number[];
  inputs?: Record<string, KernelInput>;
  outputs: Record<string, OutputSpec>;
  uniforms?: Record<string, UniformValue>;
  /** Values for `override` declarations. */
  constants?: Record<string, number>;
  /** Generate the binding declarations (default true). */
  declare?: boolean;
  /** Label prefix of the GPU objects. Default `shoal.kernel.<entryPoint>`. */
  label?: string;
}

export type KernelOutputs = Record<string, GpuArray>;

/** Everything about a kernel call that needs no GPU: checked options, the binding plan and the code. */
export interface PreparedKernel {
  plan: BindingPlan;
  inputs: (GpuInputArray & { name: string })[];
  outputs: (OutputSpec & { name: string })[];
  workgroupSize: [number, number, number];
  dispatch: [number, number, number];
  pipeline: PipelineSpec;
}

/** Checks a spec and builds its binding plan and code. Throws ERR_BAD_OPTION. */
export function prepareKernel(spec: KernelSpec, limits?: GpuLimits): PreparedKernel {
  if (typeof spec?.wgsl !== 'string' || spec.wgsl.trim() === '') throw new ShoalError('ERR_BAD_OPTION', 'a kernel needs its WGSL source as `wgsl`');
  const known = ['wgsl', 'entryPoint', 'workgroupSize', 'dispatch', 'inputs', 'outputs', 'uniforms', 'constants', 'declare', 'label'];
  const unknown = Object.keys(spec).filter((key) => !known.includes(key));
  if (unknown.length > 0) throw new ShoalError('ERR_BAD_OPTION', `unknown kernel option ${unknown.map((k) => `"${k}"`).join(', ')}; valid ones are ${known.join(', ')}`);
  const entryPoint = spec.entryPoint ?? 'main';
  const workgroupSize = triple(spec.workgroupSize ?? [], 'workgroupSize');
  const dispatch = triple(spec.dispatch ?? [], 'dispatch');
  const inputs = Object.entries(spec.inputs ?? {}).map(([name, value]) => ({ name, ...toGpuArray(value, name) }));
  const outputs = Object.entries(spec.outputs ?? {}).map(([name, out]) => {
    if (!out || !['f32', 'u32', 'i32'].includes(out.type) || !Number.isInteger(out.length) || out.length < 0) {
      throw new ShoalError('ERR_BAD_OPTION', `output "${name}" must be {type: 'f32' | 'u32' | 'i32', length: whole number ≥ 0}, got ${JSON.stringify(out)}`);
    }
    return { name, type: out.type, length: out.length, ...(out.atomic ? { atomic: true } : {}) };
  });
  if (outputs.length === 0) throw new ShoalError('ERR_BAD_OPTION', 'a kernel needs at least one output');
  if (limits) checkLimits(limits, workgroupSize, dispatch, inputs.map((i) => [i.name, i.data.byteLength] as const).concat(outputs.map((o) => [o.name, o.length * 4] as const)));
  const plan = planBindings(inputs, outputs, spec.uniforms ?? {});
  if (limits && plan.slots.length - (plan.uniforms ? 1 : 0) > limits.maxStorageBuffersPerShaderStage) {
    throw new ShoalError('ERR_BAD_OPTION', `a kernel may have at most ${limits.maxStorageBuffersPerShaderStage} inputs and outputs together on this device`);
  }
  const declare = spec.declare ?? true;
  const prelude = declare ? bindingPrelude(plan, workgroupSize) : '';
  const code = prelude + spec.wgsl;
  return {
    plan,
    inputs,
    outputs,
    workgroupSize,
    dispatch,
    pipeline: {
      label: spec.label ?? `shoal.kernel.${entryPoint}`,
      code,
      entryPoint,
      constants: spec.constants,
      workgroupSize,
      bindings: plan.slots.map((slot) => slot.kind),
      preludeLines: declare ? lineCount(prelude) : 0,
    },
  };
}

function checkLimits(limits: GpuLimits, size: [number, number, number], dispatch: [number, number, number], arrays: (readonly [string, number])[]): void {
  const invocations = size[0] * size[1] * size[2];
  if (invocations > limits.maxComputeInvocationsPerWorkgroup || size[0] > limits.maxComputeWorkgroupSizeX || size[1] > limits.maxComputeWorkgroupSizeY || size[2] > limits.maxComputeWorkgroupSizeZ) {
    throw new ShoalError(
      'ERR_BAD_OPTION',
      `workgroupSize ${JSON.stringify(size)} is over this device's limits: at most ${limits.maxComputeInvocationsPerWorkgroup} invocations, ` +
        `[${limits.maxComputeWorkgroupSizeX}, ${limits.maxComputeWorkgroupSizeY}, ${limits.maxComputeWorkgroupSizeZ}] per dimension`,
    );
  }
  if (dispatch.some((n) => n > limits.maxComputeWorkgroupsPerDimension)) {
    throw new ShoalError('ERR_BAD_OPTION', `dispatch ${JSON.stringify(dispatch)} is over this device's limit of ${limits.maxComputeWorkgroupsPerDimension} workgroups per dimension`);
  }
  for (const [name, bytes] of arrays) {
    if (bytes > limits.maxStorageBufferBindingSize) {
      throw new ShoalError('ERR_BAD_OPTION', `"${name}" is ${bytes} bytes, over this device's storage binding limit of ${limits.maxStorageBufferBindingSize}`);
    }
  }
}

/**
 * Runs a WGSL kernel once and returns its outputs by name. Rejects with
 * ERR_BAD_OPTION (bad spec), ERR_GPU_SHADER (does not compile; the message
 * names each line:column) or ERR_GPU_LOST.
 */
export function runKernel(gpu: GpuDevice, spec: KernelSpec): Promise<KernelOutputs> {
  return gpu.run(async () => {
    const prepared = prepareKernel(spec, gpu.limits);
    const pipeline = await gpu.pipelines.get(prepared.pipeline);
    const sub = new Submission(gpu, prepared.pipeline.label);
    try {
      const bindings: Binding[] = [];
      for (const input of prepared.inputs) bindings.push(sub.upload(input.data, `input.${input.name}`));
      const outputs = prepared.outputs.map((o) => ({ ...sub.output(o.length * 4, `output.${o.name}`), bytes: o.length * 4 }));
      bindings.push(...outputs);
      if (prepared.plan.uniforms) bindings.push(sub.uniform(packUniforms(prepared.plan.uniforms), 'uniforms'));
      sub.dispatch(pipeline, bindings, prepared.dispatch, 'dispatch');
      const bytes = await sub.finish(outputs);
      const result: KernelOutputs = {};
      prepared.outputs.forEach((o, i) => {
        result[o.name] = o.length === 0 ? allocArray(o.type, 0) : viewArray(o.type, bytes[i]!, o.length);
      });
      return result;
    } catch (error) {
      sub.discard();
      throw error;
    }
  });
}
