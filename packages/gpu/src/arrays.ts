/**
 * The arrays kernels take and give. WGSL storage buffers hold 32-bit
 * elements, so every input becomes a Float32Array, Uint32Array or Int32Array:
 *
 * | given                                         | WGSL element | how |
 * | --- | --- | --- |
 * | Float32Array / Uint32Array / Int32Array       | f32 / u32 / i32 | as is, no copy |
 * | Float64Array (and Float16Array where present) | f32 | converted (float64 loses precision) |
 * | Uint8Array, Uint8ClampedArray, Uint16Array    | u32 | widened |
 * | Int8Array, Int16Array                         | i32 | widened |
 * | an Arrow column (anything with `toArray()`)   | as its array | `toArray()` first |
 *
 * BigInt64Array, BigUint64Array and plain arrays are refused (ERR_BAD_OPTION).
 */
import { ShoalError } from '@shoal/protocol';

export type ScalarType = 'f32' | 'u32' | 'i32';
export type GpuArray = Float32Array | Uint32Array | Int32Array;
export type ArrayFor<T extends ScalarType> = T extends 'f32' ? Float32Array : T extends 'u32' ? Uint32Array : Int32Array;

/** An Arrow vector or column: anything with `toArray()` giving a typed array. */
export interface ArrayLike32 {
  toArray(): unknown;
}

export type KernelInput = ArrayBufferView | ArrayLike32;

export interface GpuInputArray {
  type: ScalarType;
  data: GpuArray;
}

const WIDEN_U32 = new Set(['Uint8Array', 'Uint8ClampedArray', 'Uint16Array']);
const WIDEN_I32 = new Set(['Int8Array', 'Int16Array']);
const TO_F32 = new Set(['Float64Array', 'Float16Array']);

/** The WGSL element type and 32-bit array for one kernel input; `name` is for messages. */
export function toGpuArray(value: unknown, name: string): GpuInputArray {
  let array = value;
  if (array !== null && typeof array === 'object' && !ArrayBuffer.isView(array) && typeof (array as ArrayLike32).toArray === 'function') {
    array = (array as ArrayLike32).toArray();
  }
  if (array instanceof Float32Array) return { type: 'f32', data: array };
  if (array instanceof Uint32Array) return { type: 'u32', data: array };
  if (array instanceof Int32Array) return { type: 'i32', data: array };
  const kind = ArrayBuffer.isView(array) ? array.constructor.name : null;
  if (kind && TO_F32.has(kind)) return { type: 'f32', data: Float32Array.from(array as unknown as ArrayLike<number>) };
  if (kind && WIDEN_U32.has(kind)) return { type: 'u32', data: Uint32Array.from(array as unknown as ArrayLike<number>) };
  if (kind && WIDEN_I32.has(kind)) return { type: 'i32', data: Int32Array.from(array as unknown as ArrayLike<number>) };
  const what = kind ?? (Array.isArray(array) ? 'a plain array' : typeof array);
  throw new ShoalError(
    'ERR_BAD_OPTION',
    `input "${name}" is ${what}; kernels take Float32Array, Uint32Array or Int32Array (or Float64Array, 8/16-bit integer arrays and Arrow columns, converted)`,
  );
}

/** A new zeroed array of `type`. */
export function allocArray(type: ScalarType, length: number): GpuArray {
  if (type === 'f32') return new Float32Array(length);
  if (type === 'u32') return new Uint32Array(length);
  if (type === 'i32') return new Int32Array(length);
  throw new ShoalError('ERR_BAD_OPTION', `an output type must be 'f32', 'u32' or 'i32', got ${JSON.stringify(type)}`);
}

/** A typed array of `type` over a copy-free ArrayBuffer (as read back from the GPU). */
export function viewArray(type: ScalarType, buffer: ArrayBuffer, length: number): GpuArray {
  if (type === 'f32') return new Float32Array(buffer, 0, length);
  if (type === 'u32') return new Uint32Array(buffer, 0, length);
  return new Int32Array(buffer, 0, length);
}

/** A Float32Array view of `value` when it is one, else a converted copy. */
export function toF32(value: unknown, name: string): Float32Array {
  const { data } = toGpuArray(value, name);
  return data instanceof Float32Array ? data : Float32Array.from(data);
}
