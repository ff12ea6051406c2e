/**
 * Built-in handlers for raw bytes: every typed array kind (BigInt64/BigUint64
 * and Float16 where the platform has it included), DataView and ArrayBuffer.
 *
 * Encoding hands the codec a view over the value's own bytes (the codec copies
 * them once, into the blob). Decoding is zero-copy for typed arrays and
 * DataViews: they come back as views over the blob, when the segment's
 * address suits the element size (always, for a blob at an 8-aligned offset);
 * otherwise the bytes are copied. An ArrayBuffer cannot be a view, so a
 * decoded ArrayBuffer is always a copy of its segment.
 *
 * Kinds are recognised by their `Symbol.toStringTag`, which also works for
 * values made in another realm (an iframe, a Worker's transferred views).
 */
import { ShoalError } from '@shoal/protocol';
import type { CodecHandler } from './handlers.ts';

type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

interface TypedArrayClass {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  new (length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
}

/** Every typed array class name (those a platform lacks, e.g. Float16Array, are skipped where used). */
export const TYPED_ARRAY_NAMES = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float16Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

/** The typed array classes this platform has, by name. */
const CLASSES = new Map<string, TypedArrayClass>();
for (const kind of TYPED_ARRAY_NAMES) {
  const ctor = (globalThis as Record<string, unknown>)[kind];
  if (typeof ctor === 'function') CLASSES.set(kind, ctor as TypedArrayClass);
}

export function toStringTag(value: unknown): string {
  return Object.prototype.toString.call(value).slice(8, -1);
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function oneSegment(segments: Uint8Array[], kind: string): Uint8Array {
  const [segment] = segments;
  if (segments.length !== 1 || !segment) throw new ShoalError('ERR_BAD_MESSAGE', `a ${kind} in this blob does not have exactly one segment`);
  return segment;
}

export const typedArrayHandler: CodecHandler<TypedArray> = {
  name: 'typedArray',
  canHandle: (value): value is TypedArray => ArrayBuffer.isView(value) && CLASSES.has(toStringTag(value)),
  encode: (value) => ({ meta: toStringTag(value), segments: [bytesOf(value)] }),
  decode(meta, segments) {
    const ctor = typeof meta === 'string' ? CLASSES.get(meta) : undefined;
    if (!ctor) throw new ShoalError('ERR_BAD_MESSAGE', `this platform has no typed array kind ${JSON.stringify(meta)}`);
    const segment = oneSegment(segments, String(meta));
    const size = ctor.BYTES_PER_ELEMENT;
    if (segment.byteLength % size !== 0) throw new ShoalError('ERR_BAD_MESSAGE', `a ${String(meta)} segment of ${segment.byteLength} bytes is not whole elements`);
    if (segment.byteOffset % size === 0) return new ctor(segment.buffer, segment.byteOffset, segment.byteLength / size);
    const copy = segment.slice();
    return new ctor(copy.buffer, 0, copy.byteLength / size);
  },
};

export const dataViewHandler: CodecHandler<DataView> = {
  name: 'dataView',
  canHandle: (value): value is DataView => ArrayBuffer.isView(value) && toStringTag(value) === 'DataView',
  encode: (value) => ({ meta: null, segments: [bytesOf(value)] }),
  decode(_meta, segments) {
    const segment = oneSegment(segments, 'DataView');
    return new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  },
};

export const arrayBufferHandler: CodecHandler<ArrayBuffer> = {
  name: 'arrayBuffer',
  canHandle: (value): value is ArrayBuffer => toStringTag(value) === 'ArrayBuffer',
  encode: (value) => ({ meta: null, segments: [new Uint8Array(value)] }),
  decode: (_meta, segments) => oneSegment(segments, 'ArrayBuffer').slice().buffer,
};
