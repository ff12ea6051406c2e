/**
 * A reference to a value that lives (or will live) in the cluster: a task's
 * result, or later a `put`. Refs are cheap handles; `cluster.get` resolves them.
 * Passing a ref as an argument (at any depth) makes the task wait for it.
 */
export class ObjectRef<T = unknown> {
  /** Phantom field that carries the value's type. */
  declare readonly __value?: T;

  constructor(
    /** Cluster-unique id. */
    readonly id: string,
    /** What made it, for messages and the dashboard (a task's name). */
    readonly label: string,
  ) {}

  toString(): string {
    return `ObjectRef(${this.label}#${this.id})`;
  }
}

export function isObjectRef(value: unknown): value is ObjectRef {
  return value instanceof ObjectRef;
}

/** Every ref inside `value` (arrays and plain objects are searched). */
export function collectRefs(value: unknown, into: ObjectRef[] = []): ObjectRef[] {
  if (value instanceof ObjectRef) into.push(value);
  else if (Array.isArray(value)) for (const item of value) collectRefs(item, into);
  else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) collectRefs(item, into);
  }
  return into;
}

/** A copy of `value` with every ref replaced by `resolve(ref)`. */
export function replaceRefs(value: unknown, resolve: (ref: ObjectRef) => unknown): unknown {
  if (value instanceof ObjectRef) return resolve(value);
  if (Array.isArray(value)) return value.map((item) => replaceRefs(item, resolve));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = replaceRefs(item, resolve);
    return out;
  }
  return value;
}
