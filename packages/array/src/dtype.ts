/**
 * Array dtypes and NumPy's promotion rules, as far as Shoal's five dtypes go.
 *
 * - float64 (the default, as NumPy), float32, int32, uint8, bool (stored as
 *   Uint8Array, 0 or 1).
 * - Promotion follows NumPy 2 (NEP 50): array with array takes the smallest
 *   dtype that holds both (int32 with float32 gives float64, as NumPy does);
 *   a scalar is "weak": a JS integer keeps an integer array's dtype (bool
 *   arrays become int32), a non-integer number keeps a float array's dtype and
 *   makes an integer array float64.
 * - Integers wrap on overflow (int32 modulo 2^32, uint8 modulo 256), as NumPy's
 *   fixed-width integers do; every operation's result is cast to its dtype
 *   (float32 rounds after each op), so a fused chain gives what NumPy gives
 *   step by step.
 */
import { ShoalError } from '@shoal/protocol';

export const DTYPES = ['float64', 'float32', 'int32', 'uint8', 'bool'] as const;
export type DType = (typeof DTYPES)[number];

export type TypedArrayOf = Float64Array | Float32Array | Int32Array | Uint8Array;

const RANK: Record<DType, number> = { bool: 0, uint8: 1, int32: 2, float32: 3, float64: 4 };

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

export function checkDtype(dtype: unknown, where: string): DType {
  if (typeof dtype === 'string' && (DTYPES as readonly string[]).includes(dtype)) return dtype as DType;
  throw new ShoalError('ERR_BAD_OPTION', `${where}: dtype must be one of ${DTYPES.join(', ')}, got ${JSON.stringify(dtype)}`);
}

/** The JS typed array constructor name for a dtype (also used in generated kernel source). */
export function ctorName(dtype: DType): string {
  return { float64: 'Float64Array', float32: 'Float32Array', int32: 'Int32Array', uint8: 'Uint8Array', bool: 'Uint8Array' }[dtype];
}

export function allocate(dtype: DType, length: number): TypedArrayOf {
  switch (dtype) {
    case 'float64': return new Float64Array(length);
    case 'float32': return new Float32Array(length);
    case 'int32': return new Int32Array(length);
    default: return new Uint8Array(length);
  }
}

/** The dtype of a typed array handed to fromArray. */
export function dtypeOfArray(data: unknown): DType {
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'uint8';
  throw new ShoalError('ERR_BAD_OPTION', `fromArray takes a Float64Array, Float32Array, Int32Array or Uint8Array, got ${describe(data)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** Array with array (np.result_type of two arrays). */
export function promote(a: DType, b: DType): DType {
  if ((a === 'int32' && b === 'float32') || (a === 'float32' && b === 'int32')) return 'float64';
  return RANK[a] >= RANK[b] ? a : b;
}

/** Array with a weak JS scalar (NEP 50). */
export function promoteScalar(a: DType, scalar: number | boolean): DType {
  if (typeof scalar === 'boolean') return a;
  if (Number.isInteger(scalar)) return a === 'bool' ? 'int32' : a;
  return isFloat(a) ? a : 'float64';
}

/** The dtype of a unary float function (exp, sqrt, ...): ints become float64 (uint8 and bool: float32, for NumPy's float16). */
export function floatResult(a: DType): DType {
  if (isFloat(a)) return a;
  return a === 'int32' ? 'float64' : 'float32';
}

/** A JS expression that casts `expr` (a number) to dtype, as storing it in the dtype's array would. */
export function castExpr(dtype: DType, expr: string): string {
  switch (dtype) {
    case 'float64': return expr;
    case 'float32': return `Math.fround(${expr})`;
    case 'int32': return `((${expr}) | 0)`;
    case 'uint8': return `((${expr}) & 255)`;
    case 'bool': return `((${expr}) ? 1 : 0)`;
  }
}

/** A number cast to dtype (the same rule as castExpr, for scalars at plan time). */
export function castValue(dtype: DType, value: number): number {
  switch (dtype) {
    case 'float64': return value;
    case 'float32': return Math.fround(value);
    case 'int32': return value | 0;
    case 'uint8': return value & 255;
    case 'bool': return value ? 1 : 0;
  }
}
