/**
 * Counter-based random numbers: the value at global flat index i depends only
 * on (seed, i), so any chunking and any number of workers give the same array.
 *
 * The 64-bit index (as two 32-bit halves) goes through a 4-round Feistel
 * network keyed by the seed, with MurmurHash3's 32-bit finalizer as the round
 * function: a bijection on 64 bits (no two indices share an output), cheap in
 * JS's 32-bit integer ops. The two output words make a 53-bit uniform double
 * in [0, 1), as NumPy's random() gives; normal() uses Box-Muller on the same
 * two words (32-bit uniforms). This is not NumPy's stream: the same seed gives
 * different numbers than NumPy or Dask.
 *
 * RANDOM_SOURCE is pasted into generated kernels (tasks must be
 * self-contained); the exported functions evaluate the same text, so tests and
 * kernels can never disagree.
 */
import { RNG_WASM_BASE64 } from './rngWasm.ts';

export const RANDOM_SOURCE = `
function rfmix(h) {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); return h ^ (h >>> 16);
}
function rkeys(seed) {
  const lo = seed >>> 0, hi = Math.floor(seed / 4294967296) >>> 0;
  const k0 = rfmix(lo ^ 0x9e3779b9), k1 = rfmix(hi ^ k0 ^ 0x7f4a7c15), k2 = rfmix(k1 ^ 0x94d049bb), k3 = rfmix(k2 ^ 0xbf58476d);
  return [k0, k1, k2, k3];
}
function runiform(k, i) {
  let x = i >>> 0, y = (i * 2.3283064365386963e-10) >>> 0;
  y ^= rfmix(x + k[0]); x ^= rfmix(y + k[1]); y ^= rfmix(x + k[2]); x ^= rfmix(y + k[3]);
  return ((x >>> 5) * 67108864 + (y >>> 6)) * 1.1102230246251565e-16;
}
function rnormal(k, i) {
  let x = i >>> 0, y = (i * 2.3283064365386963e-10) >>> 0;
  y ^= rfmix(x + k[0]); x ^= rfmix(y + k[1]); y ^= rfmix(x + k[2]); x ^= rfmix(y + k[3]);
  const u1 = ((x >>> 0) + 0.5) * 2.3283064365386963e-10, u2 = (y >>> 0) * 2.3283064365386963e-10;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(6.283185307179586 * u2);
}`;

type Keys = readonly number[];
const compiled = new Function(`${RANDOM_SOURCE}\nreturn { rkeys, runiform, rnormal };`)() as {
  rkeys(seed: number): Keys;
  runiform(keys: Keys, index: number): number;
  rnormal(keys: Keys, index: number): number;
};

/** The round keys for a seed (a whole number 0 ≤ seed < 2^53). */
export const randomKeys = compiled.rkeys;
/** The uniform [0, 1) value at a global flat index. */
export const uniformAt = compiled.runiform;
/** The standard normal value at a global flat index. */
export const normalAt = compiled.rnormal;

/**
 * The same generator specialized to one seed (round keys as literals, the
 * round function inlined): what kernels call in their inner loop.
 */
export function specializedSource(name: string, dist: 'uniform' | 'normal', seed: number): string {
  const k = randomKeys(seed).map((v) => `0x${(v >>> 0).toString(16)}`);
  const round = (into: string, from: string, key: string) =>
    `h = (${from} + ${key}) | 0; h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); ${into} ^= h ^ (h >>> 16);`;
  const out = dist === 'uniform'
    ? 'return ((x >>> 5) * 67108864 + (y >>> 6)) * 1.1102230246251565e-16;'
    : 'return Math.sqrt(-2 * Math.log(((x >>> 0) + 0.5) * 2.3283064365386963e-10)) * Math.cos(6.283185307179586 * ((y >>> 0) * 2.3283064365386963e-10));';
  return [
    `function ${name}(i) {`,
    '  let x = i >>> 0, y = (i * 2.3283064365386963e-10) >>> 0, h = 0;',
    `  ${round('y', 'x', k[0]!)}`,
    `  ${round('x', 'y', k[1]!)}`,
    `  ${round('y', 'x', k[2]!)}`,
    `  ${round('x', 'y', k[3]!)}`,
    `  ${out}`,
    '}',
  ].join('\n');
}

/** The global under which each worker keeps rng.wat's instance (null where it does not instantiate). */
export const RNG_GLOBAL = `__shoalArrayRng_${hashOf(RNG_WASM_BASE64)}`;

/**
 * A kernel's line that binds `name` to rng.wat's exports on this worker,
 * instantiating it (synchronously: the module is small, and kernels run in
 * workers) on the first call there. Where WebAssembly SIMD is missing it is
 * null and the kernel draws with the specialized JS generator instead.
 */
export function rngLoaderSource(name: string): string {
  const g = `globalThis[${JSON.stringify(RNG_GLOBAL)}]`;
  return `const ${name} = ${g} !== undefined ? ${g} : (${g} = (() => { try { return new WebAssembly.Instance(new WebAssembly.Module(Uint8Array.from(atob(${JSON.stringify(RNG_WASM_BASE64)}), (ch) => ch.charCodeAt(0)))).exports; } catch (e) { return null; } })());`;
}

/**
 * Statements that fill `buf[0..count)` with the standard values (uniform, or
 * normal) at global indices `base + j * step`: through rng.wat (`wasm` names
 * its exports; `at`/`at2` are byte offsets of rows in its memory that `buf`
 * views) when it loaded, else through the JS generator `fn`. Bit for bit the
 * same numbers either way.
 */
export function rowDrawSource(o: { fn: string; dist: 'uniform' | 'normal'; seed: number; wasm: string; buf: string; at: string; at2: string; base: string; step: number; count: string }): string[] {
  const k = randomKeys(o.seed).map((v) => `${v | 0}`).join(', ');
  const step = `${o.step % 4294967296}, ${Math.floor(o.step / 4294967296)}`;
  const halves = `${o.base} % 4294967296, Math.floor(${o.base} / 4294967296)`;
  const js = `for (let j = 0; j < ${o.count}; j++) ${o.buf}[j] = ${o.fn}(${o.base} + j * ${o.step});`;
  if (o.dist === 'uniform') return [`if (${o.wasm} !== null) ${o.wasm}.uniform(${o.at}, ${halves}, ${step}, ${o.count}, ${k}); else ${js}`];
  return [
    `if (${o.wasm} !== null) {`,
    `  ${o.wasm}.normal_uv(${o.at}, ${o.at2}, ${halves}, ${step}, ${o.count}, ${k});`,
    `  const u = new Float64Array(${o.wasm}.memory.buffer, ${o.at}, ${o.count}), w = new Float64Array(${o.wasm}.memory.buffer, ${o.at2}, ${o.count});`,
    `  for (let j = 0; j < ${o.count}; j++) ${o.buf}[j] = Math.sqrt(-2 * Math.log(u[j])) * Math.cos(6.283185307179586 * w[j]);`,
    `} else ${js}`,
  ];
}

/**
 * Statements that add the uniform values at indices `base + j * step`,
 * j < count, to `acc`: rng.wat's uniform_sum over the whole groups of 4 (its
 * 4 lane sums, so the order of additions differs from one at a time), the JS
 * generator for the rest and where rng.wat did not load.
 */
export function rowSumSource(o: { fn: string; seed: number; wasm: string; acc: string; base: string; step: number; count: string }): string[] {
  const k = randomKeys(o.seed).map((v) => `${v | 0}`).join(', ');
  const step = `${o.step % 4294967296}, ${Math.floor(o.step / 4294967296)}`;
  return [
    `if (${o.wasm} !== null) {`,
    `  const n4 = ${o.count} - (${o.count} & 3);`,
    `  ${o.acc} += ${o.wasm}.uniform_sum(${o.base} % 4294967296, Math.floor(${o.base} / 4294967296), ${step}, n4, ${k});`,
    `  for (let j = n4; j < ${o.count}; j++) ${o.acc} += ${o.fn}(${o.base} + j * ${o.step});`,
    `} else for (let j = 0; j < ${o.count}; j++) ${o.acc} += ${o.fn}(${o.base} + j * ${o.step});`,
  ];
}

function hashOf(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}
