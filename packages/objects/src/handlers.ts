/**
 * The codec's handler registry (comlink's transfer-handler idea): a handler
 * turns one kind of non-JSON value into JSON metadata plus raw byte segments,
 * and back. The codec tries handlers for every value that is not a JSON
 * primitive, an array or a plain object; the first whose `canHandle` says yes
 * encodes it, and the blob records the handler's name so the decoding side
 * picks the same one.
 *
 * Built-ins (registered by codec.ts): `arrow` (Arrow tables), `typedArray`,
 * `dataView`, `arrayBuffer`. Later packages add their own with
 * `registerCodecHandler` (e.g. a GPU buffer read back to bytes). Registered
 * handlers are tried before the built-ins, the latest first; registering a
 * name again replaces the earlier handler (a built-in's name shadows the
 * built-in). Both sides of a transfer must register the same handlers.
 */
import { ShoalError } from '@shoal/protocol';

/** What a handler writes: JSON metadata and the bytes it needs, in order. */
export interface EncodedParts {
  meta: unknown;
  segments: Uint8Array[];
}

export interface CodecHandler<T = unknown> {
  /** Recorded in the blob; letters, digits, `_`, `-` and `.` only. */
  readonly name: string;
  canHandle(value: unknown): value is T;
  /** May throw; a plain Error becomes ERR_NOT_SERIALIZABLE with the value's path. */
  encode(value: T): EncodedParts;
  /**
   * `segments` are views over the blob being decoded, each starting 8-byte
   * aligned when the blob itself is. Keep views (zero-copy) or copy.
   */
  decode(meta: unknown, segments: Uint8Array[]): T;
}

const NAME = /^[A-Za-z0-9_.-]+$/;
const custom: CodecHandler[] = [];
const builtins: CodecHandler[] = [];

/** Adds (or, for a known name, replaces) a handler; returns a function that removes it. */
export function registerCodecHandler<T>(handler: CodecHandler<T>): () => void {
  if (!NAME.test(handler.name)) {
    throw new ShoalError('ERR_BAD_OPTION', `codec handler name ${JSON.stringify(handler.name)} may use only letters, digits, '_', '-' and '.'`);
  }
  const stored = handler as unknown as CodecHandler;
  const existing = custom.findIndex((h) => h.name === handler.name);
  if (existing >= 0) custom.splice(existing, 1);
  custom.unshift(stored);
  return () => {
    const at = custom.indexOf(stored);
    if (at >= 0) custom.splice(at, 1);
  };
}

/** For codec.ts: the built-ins, tried after every registered handler. */
export function registerBuiltinHandler<T>(handler: CodecHandler<T>): void {
  builtins.push(handler as unknown as CodecHandler);
}

/** The first handler that takes `value`, or null. */
export function handlerFor(value: unknown): CodecHandler | null {
  for (const handler of custom) if (handler.canHandle(value)) return handler;
  for (const handler of builtins) {
    if (handler.canHandle(value) && !custom.some((h) => h.name === handler.name)) return handler;
  }
  return null;
}

export function handlerNamed(name: string): CodecHandler | null {
  return custom.find((h) => h.name === name) ?? builtins.find((h) => h.name === name) ?? null;
}

/** Handler names in the order they are tried (shadowed built-ins left out). */
export function codecHandlerNames(): string[] {
  const names = custom.map((h) => h.name);
  return [...names, ...builtins.map((h) => h.name).filter((name) => !names.includes(name))];
}
