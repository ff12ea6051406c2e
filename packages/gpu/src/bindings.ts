/**
 * The binding convention of `runKernel`, as data. Everything is in
 * `@group(0)`, numbered in this order:
 *
 *   1. inputs, in the order their names were given: `var<storage, read>`
 *   2. outputs, in order: `var<storage, read_write>` (`array<atomic<T>>` with `atomic: true`)
 *   3. if there are uniforms, one `var<uniform> uniforms: Uniforms` struct,
 *      its fields in the order given, laid out by WGSL's uniform rules.
 *
 * `bindingPrelude()` writes those declarations (and the workgroup size as
 * `WORKGROUP_SIZE_X/Y/Z` constants) as WGSL that goes in front of the user's
 * code; `layoutEntries()` gives the matching bind group layout.
 *
 *   inputs {a, b}, outputs {out}, uniforms {scale: 2, n: {type:'u32', value: 10}}
 *   → @binding(0) a: array<f32>, @binding(1) b: array<f32>,
 *     @binding(2) out: array<f32>, @binding(3) uniforms: Uniforms {scale: f32, n: u32}
 */
import { ShoalError } from '@shoal/protocol';
import type { ScalarType } from './arrays.ts';
import { ShaderStage } from './usage.ts';

export type BindingKind = 'read-only-storage' | 'storage' | 'uniform';

export interface BindingSlot {
  name: string;
  binding: number;
  kind: BindingKind;
  /** Element type of a storage array; null for the uniform struct. */
  type: ScalarType | null;
  /** An output declared `array<atomic<T>>` (u32 or i32 only). */
  atomic?: boolean;
}

/** A uniform: a number is an f32, 2–4 numbers a vecN<f32>; `{type, value}` picks u32 or i32. */
export type UniformValue = number | readonly number[] | { type: ScalarType; value: number | readonly number[] };

export interface UniformField {
  name: string;
  type: ScalarType;
  components: 1 | 2 | 3 | 4;
  value: readonly number[];
  /** Byte offset in the struct. */
  offset: number;
}

export interface UniformLayout {
  fields: UniformField[];
  /** Struct size in bytes, a multiple of 16. */
  size: number;
}

export interface BindingPlan {
  slots: BindingSlot[];
  uniforms: UniformLayout | null;
}

/** Names the prelude declares itself. */
const RESERVED = new Set(['uniforms', 'Uniforms', 'WORKGROUP_SIZE_X', 'WORKGROUP_SIZE_Y', 'WORKGROUP_SIZE_Z']);
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$|^_[A-Za-z0-9][A-Za-z0-9_]*$/;

export function checkIdentifier(name: string, what: string): void {
  if (!IDENTIFIER.test(name) || RESERVED.has(name)) {
    throw new ShoalError('ERR_BAD_OPTION', `${what} name ${JSON.stringify(name)} is not usable in WGSL: use letters, digits and _, not starting with a digit or __, and not ${[...RESERVED].join(', ')}`);
  }
}

/** WGSL's uniform layout for one field: alignment and size of a scalar or vecN of 4-byte elements. */
export function fieldAlignment(components: 1 | 2 | 3 | 4): { align: number; size: number } {
  if (components === 1) return { align: 4, size: 4 };
  if (components === 2) return { align: 8, size: 8 };
  return { align: 16, size: components * 4 };
}

function normalizeUniform(name: string, value: UniformValue): Omit<UniformField, 'offset'> {
  const typed = typeof value === 'object' && !Array.isArray(value) ? (value as { type: ScalarType; value: number | readonly number[] }) : null;
  const type = typed?.type ?? 'f32';
  const raw = typed ? typed.value : (value as number | readonly number[]);
  const numbers = typeof raw === 'number' ? [raw] : Array.from(raw ?? []);
  if (!['f32', 'u32', 'i32'].includes(type)) throw new ShoalError('ERR_BAD_OPTION', `uniform "${name}" has type ${JSON.stringify(type)}; valid ones are f32, u32, i32`);
  if (numbers.length < 1 || numbers.length > 4 || numbers.some((n) => typeof n !== 'number' || !Number.isFinite(n))) {
    throw new ShoalError('ERR_BAD_OPTION', `uniform "${name}" must be 1 to 4 finite numbers (larger data goes in an input), got ${JSON.stringify(raw)}`);
  }
  return { name, type, components: numbers.length as 1 | 2 | 3 | 4, value: numbers };
}

/** Lays out the uniform struct: fields in the order given, each at its WGSL alignment; size rounded to 16. */
export function uniformLayout(uniforms: Record<string, UniformValue>): UniformLayout | null {
  const entries = Object.entries(uniforms);
  if (entries.length === 0) return null;
  let offset = 0;
  const fields: UniformField[] = [];
  for (const [name, value] of entries) {
    checkIdentifier(name, 'uniform');
    const field = normalizeUniform(name, value);
    const { align, size } = fieldAlignment(field.components);
    offset = Math.ceil(offset / align) * align;
    fields.push({ ...field, offset });
    offset += size;
  }
  return { fields, size: Math.ceil(offset / 16) * 16 };
}

/** The uniform struct's bytes. */
export function packUniforms(layout: UniformLayout): ArrayBuffer {
  const bytes = new ArrayBuffer(layout.size);
  const view = new DataView(bytes);
  for (const field of layout.fields) {
    field.value.forEach((v, i) => {
      const at = field.offset + i * 4;
      if (field.type === 'f32') view.setFloat32(at, v, true);
      else if (field.type === 'u32') view.setUint32(at, v >>> 0, true);
      else view.setInt32(at, v | 0, true);
    });
  }
  return bytes;
}

/** Binding numbers for inputs, then outputs, then the uniform struct. Names must be distinct identifiers. */
export function planBindings(
  inputs: readonly { name: string; type: ScalarType }[],
  outputs: readonly { name: string; type: ScalarType; atomic?: boolean }[],
  uniforms: Record<string, UniformValue> = {},
): BindingPlan {
  const seen = new Set<string>();
  const slots: BindingSlot[] = [];
  const add = (name: string, kind: BindingKind, type: ScalarType | null, what: string, atomic = false): void => {
    if (what !== 'uniform struct') checkIdentifier(name, what);
    if (seen.has(name)) throw new ShoalError('ERR_BAD_OPTION', `the name "${name}" is used twice among inputs, outputs and uniforms`);
    if (atomic && type !== 'u32' && type !== 'i32') throw new ShoalError('ERR_BAD_OPTION', `output "${name}" is atomic, so its type must be u32 or i32, got ${type}`);
    seen.add(name);
    slots.push({ name, binding: slots.length, kind, type, ...(atomic ? { atomic } : {}) });
  };
  for (const input of inputs) add(input.name, 'read-only-storage', input.type, 'input');
  for (const output of outputs) add(output.name, 'storage', output.type, 'output', output.atomic ?? false);
  const layout = uniformLayout(uniforms);
  if (layout) {
    for (const field of layout.fields) {
      if (seen.has(field.name)) throw new ShoalError('ERR_BAD_OPTION', `the name "${field.name}" is used twice among inputs, outputs and uniforms`);
    }
    add('uniforms', 'uniform', null, 'uniform struct');
  }
  return { slots, uniforms: layout };
}

/** The bind group layout entries for a plan (all visible to compute). */
export function layoutEntries(plan: BindingPlan): GPUBindGroupLayoutEntry[] {
  return plan.slots.map((slot) => ({ binding: slot.binding, visibility: ShaderStage.COMPUTE, buffer: { type: slot.kind } }));
}

/** The layout as a short string, for pipeline cache keys: `r:f32,r:f32,rw:f32,u`. */
export function layoutSignature(kinds: readonly BindingKind[]): string {
  return kinds.map((kind) => (kind === 'read-only-storage' ? 'r' : kind === 'storage' ? 'rw' : 'u')).join(',');
}

function wgslType(field: UniformField): string {
  return field.components === 1 ? field.type : `vec${field.components}<${field.type}>`;
}

/** Pads a workgroup size or dispatch to three numbers. */
export function triple(value: readonly number[], what: string): [number, number, number] {
  const [x, y = 1, z = 1] = value;
  if (value.length < 1 || value.length > 3 || ![x, y, z].every((n) => Number.isInteger(n) && n! >= 1)) {
    throw new ShoalError('ERR_BAD_OPTION', `${what} must be 1 to 3 whole numbers ≥ 1, got ${JSON.stringify(value)}`);
  }
  return [x!, y, z];
}

/** The generated WGSL in front of a kernel's code: workgroup size constants, then the bindings. Ends with a newline. */
export function bindingPrelude(plan: BindingPlan, workgroupSize: readonly [number, number, number]): string {
  const lines = [
    '// Generated by @shoal/gpu: workgroup size and bindings (inputs, outputs, uniforms).',
    `const WORKGROUP_SIZE_X: u32 = ${workgroupSize[0]}u;`,
    `const WORKGROUP_SIZE_Y: u32 = ${workgroupSize[1]}u;`,
    `const WORKGROUP_SIZE_Z: u32 = ${workgroupSize[2]}u;`,
  ];
  if (plan.uniforms) {
    lines.push(`struct Uniforms { ${plan.uniforms.fields.map((f) => `${f.name}: ${wgslType(f)},`).join(' ')} }`);
  }
  for (const slot of plan.slots) {
    const where = `@group(0) @binding(${slot.binding})`;
    if (slot.kind === 'uniform') lines.push(`${where} var<uniform> uniforms: Uniforms;`);
    else {
      const element = slot.atomic ? `atomic<${slot.type}>` : slot.type;
      lines.push(`${where} var<storage, ${slot.kind === 'storage' ? 'read_write' : 'read'}> ${slot.name}: array<${element}>;`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Lines in a prelude (what compile messages are shifted by). */
export function lineCount(text: string): number {
  return text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
}
