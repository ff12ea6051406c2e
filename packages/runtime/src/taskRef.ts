/**
 * Refs as a task sees them inside its Web Worker. They encode to the wire form
 * `{"$shoalRef": id}` when passed to nested calls or returned.
 */
import { REF_KEY, decodeRefs } from '@shoal/protocol';

export class TaskRef {
  constructor(readonly id: string) {}

  toString(): string {
    return `ObjectRef(${this.id})`;
  }
}

/** A copy of `value` with every TaskRef replaced by its wire form. */
export function encodeRefs(value: unknown): unknown {
  if (value instanceof TaskRef) return { [REF_KEY]: value.id };
  if (Array.isArray(value)) return value.map(encodeRefs);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = encodeRefs(item);
    return out;
  }
  return value;
}

/** Wire refs in arguments become TaskRefs. */
export function decodeArgs(args: unknown[]): unknown[] {
  return decodeRefs(args, (id) => new TaskRef(id)) as unknown[];
}

export function refIds(target: unknown, what: string): string[] {
  const list = Array.isArray(target) ? target : [target];
  return list.map((ref) => {
    if (!(ref instanceof TaskRef)) throw new TypeError(`${what} takes refs, got ${ref === null ? 'null' : typeof ref}`);
    return ref.id;
  });
}
