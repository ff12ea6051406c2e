/**
 * Refs on the wire. Inside JSON values (task results, nested arguments) a ref
 * is written `{"$shoalRef": "<object id>"}`; that key is reserved.
 */
export const REF_KEY = '$shoalRef';

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
export function decodeRefs<R>(value: unknown, make: (id: string) => R): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (isWireRef(value)) return make(value[REF_KEY]);
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item = decodeRefs(value[i], make);
      if (item !== value[i]) (out ??= value.slice())[i] = item;
    }
    return out ?? value;
  }
  let out: Record<string, unknown> | null = null;
  for (const [key, item] of Object.entries(value)) {
    const decoded = decodeRefs(item, make);
    if (decoded !== item) (out ??= { ...(value as Record<string, unknown>) })[key] = decoded;
  }
  return out ?? value;
}
