/**
 * Arguments and values between the job's world (ObjectRef instances) and the
 * wire (refs as `{"$shoalRef": id}`).
 */
import { REF_KEY, ShoalError, decodeRefs, findNonJsonable } from '@shoal/protocol';
import { ObjectRef } from './objectRef.ts';

/** Encodes ObjectRefs to wire refs and checks the rest is JSON-able; throws ERR_NOT_SERIALIZABLE. */
export function encodeForWire(value: unknown, what: string): unknown {
  const encoded = encodeRefs(value);
  const problem = findNonJsonable(encoded, what);
  if (problem) throw new ShoalError('ERR_NOT_SERIALIZABLE', problem);
  return encoded;
}

/** A copy of `value` with ObjectRefs (in plain objects and arrays) as wire refs; everything else as it is. */
export function encodeRefs(value: unknown): unknown {
  return encode(value);
}

function encode(value: unknown): unknown {
  if (value instanceof ObjectRef) return { [REF_KEY]: value.id };
  if (Array.isArray(value)) return value.map(encode);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = encode(item);
    return out;
  }
  return value;
}

const NO_REFS: ReadonlySet<string> = new Set();

/**
 * The ids of every wire ref in `value`, deduplicated, in order of appearance.
 * A value without refs (every trivial task's arguments and result) makes no
 * set: it answers one shared empty set, so the result is read-only.
 */
export function wireRefIds(value: unknown, into?: Set<string>): ReadonlySet<string> {
  return collectRefs(value, into ?? null) ?? NO_REFS;
}

/** Adds `value`'s ref ids to `into`, made on the first one found; answers it (null: none found, none given). */
function collectRefs(value: unknown, into: Set<string> | null): Set<string> | null {
  if (value === null || typeof value !== 'object') return into;
  if (Array.isArray(value)) {
    for (const item of value) into = collectRefs(item, into);
    return into;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return into; // typed arrays, tables: no refs inside
  const ref = (value as Record<string, unknown>)[REF_KEY];
  if (typeof ref === 'string' && Object.keys(value).length === 1) (into ??= new Set()).add(ref);
  else for (const item of Object.values(value)) into = collectRefs(item, into);
  return into;
}

/** Arguments for a worker: each wire ref (at any depth) replaced by its object's wire-form value. */
export function resolveArgs(args: unknown[], lookup: (id: string) => unknown): unknown[] {
  return decodeRefs(args, lookup) as unknown[];
}

/** A wire-form value for the job: refs become ObjectRef handles made by `make`. */
export function decodeForJob(value: unknown, make: (id: string) => ObjectRef): unknown {
  return decodeRefs(value, make);
}
