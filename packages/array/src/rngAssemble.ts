/**
 * Dev-time only (wabt is a dev dependency; nothing at run time imports this):
 * assembles rng.wat (the SIMD form of random.ts's generator) and vmath.wat
 * (exp/sin/cos rows) into the bytes that rngWasm.ts and vmathWasm.ts carry. `npx tsx packages/array/scripts/assemble-gemm.ts`
 * writes them (with gemm.wat's), and random.test.ts checks that the committed
 * bytes are what rng.wat assembles to.
 */
import { readFileSync } from 'node:fs';
import wabt from 'wabt';

export const RNG_WAT_PATH = new URL('./rng.wat', import.meta.url);
export const VMATH_WAT_PATH = new URL('./vmath.wat', import.meta.url);

/** rng.wat's bytes (deterministic: the same text gives the same bytes). */
export const assembleRng = (): Promise<Uint8Array> => assembleWat(RNG_WAT_PATH);
/** vmath.wat's bytes. */
export const assembleVmath = (): Promise<Uint8Array> => assembleWat(VMATH_WAT_PATH);

async function assembleWat(path: URL): Promise<Uint8Array> {
  const w = await wabt();
  const module = w.parseWat(path.pathname.split('/').pop()!, readFileSync(path, 'utf8'), { simd: true });
  try {
    module.validate();
    return module.toBinary({ log: false, write_debug_names: false }).buffer;
  } finally {
    module.destroy();
  }
}

const literal = (bytes: Uint8Array) => (Buffer.from(bytes).toString('base64').match(/.{1,100}/g) ?? []).map((l) => `  '${l}'`).join(' +\n');

/** rngWasm.ts's text. */
export function rngWasmModule(bytes: Uint8Array): string {
  return [
    '// Generated from rng.wat by packages/array/scripts/assemble-gemm.ts: do not edit (random.test.ts checks it).',
    `/** rng.wat's WebAssembly module (${bytes.length} bytes), base64: the counter-based generator in WebAssembly SIMD. */`,
    `export const RNG_WASM_BASE64 =\n${literal(bytes)};`,
    '',
  ].join('\n');
}

/** vmathWasm.ts's text. */
export function vmathWasmModule(bytes: Uint8Array): string {
  return [
    '// Generated from vmath.wat by packages/array/scripts/assemble-gemm.ts: do not edit (vmath.test.ts checks it).',
    `/** vmath.wat's WebAssembly module (${bytes.length} bytes), base64: exp, sin and cos over float64 rows in WebAssembly SIMD. */`,
    `export const VMATH_WASM_BASE64 =\n${literal(bytes)};`,
    '',
  ].join('\n');
}
