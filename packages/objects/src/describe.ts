/**
 * Words for the codec's refusals: where a value sits (`value.model.fit`,
 * `value[2]`, `value["odd key"]`) and what it is ("a function", "a Map",
 * "a Foo instance", "a DOM node <div>"), plus a hint on what to send instead.
 */
import { ShoalError } from '@shoal/protocol';

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** Built-in kinds named without "instance". */
const BUILTINS = new Set([
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'WeakRef',
  'Date',
  'RegExp',
  'Promise',
  'Error',
  'SharedArrayBuffer',
  'Blob',
  'File',
  'ImageBitmap',
  'OffscreenCanvas',
  'MessagePort',
  'ReadableStream',
  'WritableStream',
  'GPUBuffer',
  'GPUTexture',
  'Number',
  'String',
  'Boolean',
]);

const HINTS: Record<string, string> = {
  function: 'tasks receive data; ship code with cluster.remote',
  Map: 'send an object, or an array of [key, value] pairs',
  Set: 'send an array',
  Date: 'send date.toISOString() or date.getTime()',
  bigint: 'send a string, or a BigInt64Array',
  undefined: 'use null',
  'non-finite number': 'JSON numbers must be finite: use null, or a Float64Array',
  SharedArrayBuffer: 'copy it into an ArrayBuffer',
};

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

interface Description {
  what: string;
  hint: string | undefined;
}

/** What `value` is, in words, for an error message. */
export function describeKind(value: unknown): Description {
  switch (typeof value) {
    case 'undefined':
      return { what: 'undefined', hint: HINTS.undefined };
    case 'number':
      return { what: String(value), hint: HINTS['non-finite number'] };
    case 'bigint':
      return { what: 'a bigint', hint: HINTS.bigint };
    case 'symbol':
      return { what: 'a symbol', hint: undefined };
    case 'function':
      return { what: 'a function', hint: HINTS.function };
    case 'object':
      break;
    default:
      return { what: `a ${typeof value}`, hint: undefined };
  }
  if (value === null) return { what: 'null', hint: undefined };
  const node = value as { nodeType?: unknown; nodeName?: unknown };
  if (typeof node.nodeType === 'number' && typeof node.nodeName === 'string') {
    return { what: `a DOM node <${node.nodeName.toLowerCase()}>`, hint: 'send its data, not the node' };
  }
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  const name = constructorName(value);
  const plainHint = 'send plain objects, arrays, typed arrays or Arrow tables';
  if (name && BUILTINS.has(name)) return { what: `${article(name)} ${name}`, hint: HINTS[name] };
  if (name && name !== 'Object') return { what: `${article(name)} ${name} instance`, hint: plainHint };
  if (BUILTINS.has(tag)) return { what: `${article(tag)} ${tag}`, hint: HINTS[tag] };
  return { what: 'an object with a custom prototype', hint: plainHint };
}

function constructorName(value: object): string | null {
  try {
    const ctor = (value as { constructor?: unknown }).constructor;
    return typeof ctor === 'function' && ctor.name ? ctor.name : null;
  } catch {
    return null;
  }
}

/** ERR_NOT_SERIALIZABLE naming what and where, with a hint when there is one. */
export function notSerializable(value: unknown, path: string, detail?: string, cause?: unknown): ShoalError {
  const { what, hint } = describeKind(value);
  const tail = detail ?? (hint ? `(${hint})` : '');
  return new ShoalError('ERR_NOT_SERIALIZABLE', `cannot serialize ${what} at ${path}${tail ? ` ${tail}` : ''}`, { cause });
}
