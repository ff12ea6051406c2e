/**
 * Until the object plane's codec lands, values cross the wire as JSON. This
 * check refuses anything JSON would silently mangle (typed arrays become
 * objects, Maps become `{}`, NaN becomes null) and names what it found.
 */
export function findNonJsonable(value: unknown, path = 'value', seen = new Set<object>()): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : `${path} is ${value}, which JSON cannot represent`;
    case 'undefined':
      return `${path} is undefined`;
    case 'bigint':
    case 'symbol':
    case 'function':
      return `${path} is a ${typeof value}`;
  }
  if (value === null) return null;
  const object = value as object;
  if (seen.has(object)) return `${path} is part of a cycle`;
  if (Array.isArray(object)) {
    seen.add(object);
    for (let i = 0; i < object.length; i++) {
      const problem = findNonJsonable(object[i], `${path}[${i}]`, seen);
      if (problem) return problem;
    }
    seen.delete(object);
    return null;
  }
  const proto = Object.getPrototypeOf(object) as object | null;
  if (proto !== Object.prototype && proto !== null) {
    return `${path} is a ${object.constructor?.name ?? 'class instance'}, and only plain objects, arrays, strings, finite numbers, booleans and null can be sent`;
  }
  seen.add(object);
  for (const [key, item] of Object.entries(object)) {
    if (item === undefined) continue; // JSON drops undefined properties, as expected
    const problem = findNonJsonable(item, `${path}.${key}`, seen);
    if (problem) return problem;
  }
  seen.delete(object);
  return null;
}
