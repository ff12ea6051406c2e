/**
 * A reference to a value that lives (or will live) in the cluster: a task's
 * result, or later a `put`. Refs are cheap handles; `cluster.get` resolves them.
 * Passing a ref as an argument (at any depth) makes the task wait for it.
 * On the wire a ref is `{"$shoalRef": id}` (see argsCodec.ts).
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
