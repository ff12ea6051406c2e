/**
 * The value codec: any value Shoal can move becomes one self-describing
 * ArrayBuffer (layout in blob.ts) and comes back with its types intact.
 *
 * `encodeValue` walks the value once. JSON parts (plain objects, arrays,
 * strings, finite numbers, booleans, null) go into the skeleton as they are;
 * every other value must be taken by a codec handler (handlers.ts), which
 * leaves a codec node `{"$shob": handlerName, "m": meta, "s": [segment, ...]}`
 * in the skeleton and its bytes in segments. A plain object that itself has a
 * `$shob` key is wrapped (`{"$shob": "$object", "o": {...}}`) so user data can
 * never pass for a codec node. Refs (`{"$shoalRef": id}`) pass through
 * unchanged, and their ids are listed in `refs`.
 *
 * Subtrees without codec nodes are reused, not copied, so a big JSON value
 * costs one walk plus `JSON.stringify`. Anything else is refused with
 * ERR_NOT_SERIALIZABLE naming the kind and the path ("cannot serialize a Map
 * at value[2]"); a property whose value is undefined is dropped, as in JSON.
 *
 * `decodeValue` is zero-copy where the platform allows (see the handlers), so
 * decoded views alias the input: decode a copy if the consumer may write.
 */
import { ShoalError, isWireRef } from '@shoal/protocol';
import { arrowTableHandler } from './arrowHandler.ts';
import { arrayBufferHandler, dataViewHandler, typedArrayHandler } from './binaryHandlers.ts';
import { readBlob, writeBlob } from './blob.ts';
import { childPath, notSerializable } from './describe.ts';
import { handlerFor, handlerNamed, registerBuiltinHandler } from './handlers.ts';

registerBuiltinHandler(typedArrayHandler);
registerBuiltinHandler(arrowTableHandler);
registerBuiltinHandler(dataViewHandler);
registerBuiltinHandler(arrayBufferHandler);

export interface EncodedValue {
  /** The blob: header, skeleton, 8-byte-aligned segments. */
  buffer: ArrayBuffer;
  /** Every ref id inside the value, once each, in the order first met. */
  refs: string[];
}

/** The skeleton key that marks a codec node. */
const NODE_KEY = '$shob';
/** The codec node that wraps a user object whose own keys include NODE_KEY. */
const ESCAPED_OBJECT = '$object';

interface EncodeState {
  segments: Uint8Array[];
  refs: Set<string>;
  /** Objects on the path from the root to the current value (cycle detection). */
  ancestors: Set<object>;
  codecNodes: boolean;
}

export function encodeValue(value: unknown): EncodedValue {
  const state: EncodeState = { segments: [], refs: new Set(), ancestors: new Set(), codecNodes: false };
  const tree = encodeNode(value, 'value', state);
  return { buffer: writeBlob(tree, state.segments, state.codecNodes), refs: [...state.refs] };
}

export function decodeValue(bytes: ArrayBuffer | Uint8Array): unknown {
  const blob = readBlob(bytes);
  return blob.hasCodecNodes ? decodeNode(blob.tree, blob.segments) : blob.tree;
}

/** The skeleton for `value`: `value` itself when its subtree holds no codec node. */
function encodeNode(value: unknown, path: string, state: EncodeState): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value)) return value;
      throw notSerializable(value, path);
    case 'object':
      if (value === null) return null;
      break;
    default:
      throw notSerializable(value, path);
  }
  const object = value as object;
  if (state.ancestors.has(object)) {
    throw new ShoalError('ERR_NOT_SERIALIZABLE', `cannot serialize a cycle at ${path} (it refers back to an object that contains it)`);
  }
  if (Array.isArray(object)) return withAncestor(object, state, () => encodeArray(object, path, state));
  if (isPlainObject(object)) {
    if (isWireRef(object)) {
      state.refs.add(object.$shoalRef);
      return object;
    }
    return withAncestor(object, state, () => encodePlainObject(object as Record<string, unknown>, path, state));
  }
  return encodeWithHandler(object, path, state);
}

function withAncestor<T>(object: object, state: EncodeState, walk: () => T): T {
  state.ancestors.add(object);
  try {
    return walk();
  } finally {
    state.ancestors.delete(object);
  }
}

function encodeArray(array: readonly unknown[], path: string, state: EncodeState): unknown[] {
  let out: unknown[] | null = null;
  for (let i = 0; i < array.length; i++) {
    const item = array[i];
    if (item === undefined) throw notSerializable(undefined, childPath(path, i), i in array ? undefined : '(a hole in a sparse array; use null)');
    const node = encodeNode(item, childPath(path, i), state);
    if (node !== item) (out ??= array.slice())[i] = node;
  }
  return out ?? (array as unknown[]);
}

function encodePlainObject(object: Record<string, unknown>, path: string, state: EncodeState): unknown {
  let out: Record<string, unknown> | null = null;
  for (const key of Object.keys(object)) {
    const item = object[key];
    if (item === undefined) continue; // dropped, as JSON does
    const node = encodeNode(item, childPath(path, key), state);
    if (node !== item) (out ??= { ...object })[key] = node;
  }
  const result = out ?? object;
  if (!Object.prototype.hasOwnProperty.call(object, NODE_KEY)) return result;
  state.codecNodes = true;
  return { [NODE_KEY]: ESCAPED_OBJECT, o: result };
}

function encodeWithHandler(object: object, path: string, state: EncodeState): unknown {
  const handler = handlerFor(object);
  if (!handler) throw notSerializable(object, path);
  let parts;
  try {
    parts = handler.encode(object);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw notSerializable(object, path, `(the '${handler.name}' handler refused it: ${why})`, error);
  }
  const first = state.segments.length;
  state.segments.push(...parts.segments);
  state.codecNodes = true;
  return { [NODE_KEY]: handler.name, m: parts.meta ?? null, s: parts.segments.map((_, i) => first + i) };
}

/** A plain object from any realm: its prototype is null or a root `Object.prototype`. */
function isPlainObject(object: object): boolean {
  const proto = Object.getPrototypeOf(object) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** Rebuilds the value in place (the parsed skeleton is ours to change). */
function decodeNode(node: unknown, segments: readonly Uint8Array[]): unknown {
  if (node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) node[i] = decodeNode(node[i], segments);
    return node;
  }
  const record = node as Record<string, unknown>;
  const kind = record[NODE_KEY];
  if (kind === undefined) {
    for (const key of Object.keys(record)) record[key] = decodeNode(record[key], segments);
    return record;
  }
  if (kind === ESCAPED_OBJECT) {
    const inner = record.o as Record<string, unknown>;
    for (const key of Object.keys(inner)) inner[key] = decodeNode(inner[key], segments);
    return inner;
  }
  const handler = typeof kind === 'string' ? handlerNamed(kind) : null;
  if (!handler) {
    throw new ShoalError('ERR_BAD_MESSAGE', `cannot decode this object: it holds a value encoded by the '${String(kind)}' codec handler, which is not registered here`);
  }
  const indices = Array.isArray(record.s) ? (record.s as unknown[]) : [];
  const parts = indices.map((index) => {
    const segment = typeof index === 'number' ? segments[index] : undefined;
    if (!segment) throw new ShoalError('ERR_BAD_MESSAGE', `cannot decode this object: a '${String(kind)}' value names a missing segment`);
    return segment;
  });
  return handler.decode(record.m, parts);
}
