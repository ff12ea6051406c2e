/**
 * vmath.wat (exp, sin, cos over float64 rows in WebAssembly SIMD) as fused
 * kernels load it: once per worker, synchronously (the module is small and
 * kernels run in workers), kept on `globalThis` under a name from its bytes'
 * hash; null where it does not instantiate (no WebAssembly SIMD), and the
 * kernel then maps its rows with Math.* instead.
 */
import { VMATH_WASM_BASE64 } from './vmathWasm.ts';

export const VMATH_GLOBAL = `__shoalArrayVmath_${hashOf(VMATH_WASM_BASE64)}`;

/** A kernel's line binding `name` to vmath.wat's exports (or null). */
export function vmathLoaderSource(name: string): string {
  const g = `globalThis[${JSON.stringify(VMATH_GLOBAL)}]`;
  const imports = '{ m: { exp: Math.exp, sin: Math.sin, cos: Math.cos } }';
  return `const ${name} = ${g} !== undefined ? ${g} : (${g} = (() => { try { return new WebAssembly.Instance(new WebAssembly.Module(Uint8Array.from(atob(${JSON.stringify(VMATH_WASM_BASE64)}), (ch) => ch.charCodeAt(0))), ${imports}).exports; } catch (e) { return null; } })());`;
}

function hashOf(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}
