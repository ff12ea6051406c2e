/**
 * Refs on the wire. Inside JSON values (task results, nested arguments) a ref
 * is written `{"$shoalRef": "<object id>"}`; that key is reserved.
 */
export const REF_KEY = '$shoalRef';

/**
 * In a worker's arguments (and nestedReply values), a stored object that the
 * worker must fetch and decode in place: `{"$shoalFetch": "<object id>"}`.
 */
export const FETCH_KEY = '$shoalFetch';
/** A worker's error for a run that could not fetch its inputs starts with this (the coordinator retries it as a 'fetch' failure). */
export const FETCH_FAILED_PREFIX = 'could not fetch the inputs of task';

export interface WireRef {
  [REF_KEY]: string;
}

export function isWireRef(value: unknown): value is WireRef {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === REF_KEY && typeof (value as Record<string, unknown>)[REF_KEY] === 'string';
}

/**
 * Rebuilds a JSON value, turning every wire ref into `make(id)`. Returns the
 * same object when it holds no refs, so plain results cost one walk.
 */
export function decodeRefs<R>(value: unknown, make: (id: string) => R, key: string = REF_KEY): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item = decodeRefs(value[i], make, key);
      if (item !== value[i]) (out ??= value.slice())[i] = item;
    }
    return out ?? value;
  }
  // Only plain objects are walked: typed arrays, Arrow tables and the like hold no refs.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  if (isMarker(value, key)) return make((value as Record<string, string>)[key]!);
  let out: Record<string, unknown> | null = null;
  for (const [name, item] of Object.entries(value)) {
    const decoded = decodeRefs(item, make, key);
    if (decoded !== item) (out ??= { ...(value as Record<string, unknown>) })[name] = decoded;
  }
  return out ?? value;
}

function isMarker(value: object, key: string): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === key && typeof (value as Record<string, unknown>)[key] === 'string';
}
