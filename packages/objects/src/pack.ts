/**
 * How a value travels. Small JSON-able values (at most INLINE_MAX_BYTES of
 * JSON) go inline, as JSON, inside control messages: the fast path for the
 * many tasks that return a number or a small record. Anything bigger or
 * binary is encoded (codec.ts) into one buffer that stays in an object store;
 * only its size and the refs inside it travel. Both tasks (in Web Workers) and
 * the coordinator decide with this one function.
 */
import { findNonJsonable } from '@shoal/protocol';
import { encodeValue } from './codec.ts';

/** Values whose JSON is at most this many characters travel inline. */
export const INLINE_MAX_BYTES = 64 * 1024;

export type Packed = { inline: true; value: unknown } | { inline: false; buffer: ArrayBuffer; refs: string[] };

/**
 * Decides how a value (refs already in wire form) travels; throws
 * ERR_NOT_SERIALIZABLE for what cannot travel at all.
 */
export function packValue(value: unknown): Packed {
  if (value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return { inline: true, value };
  if (typeof value === 'string' && value.length <= INLINE_MAX_BYTES / 3) return { inline: true, value };
  if (findNonJsonable(value) === null && JSON.stringify(value).length <= INLINE_MAX_BYTES) return { inline: true, value };
  const encoded = encodeValue(value);
  return { inline: false, buffer: encoded.buffer, refs: encoded.refs };
}
