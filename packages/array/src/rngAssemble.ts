/**
 * Dev-time only (wabt is a dev dependency; nothing at run time imports this):
 * assembles rng.wat, the SIMD form of random.ts's generator, into the bytes
 * that rngWasm.ts carries. `npx tsx packages/array/scripts/assemble-gemm.ts`
 * writes them (with gemm.wat's), and random.test.ts checks that the committed
 * bytes are what rng.wat assembles to.
 */
import { readFileSync } from 'node:fs';
import wabt from 'wabt';

export const RNG_WAT_PATH = new URL('./rng.wat', import.meta.url);

/** rng.wat's bytes (deterministic: the same text gives the same bytes). */
export async function assembleRng(): Promise<Uint8Array> {
  const w = await wabt();
  const module = w.parseWat('rng.wat', readFileSync(RNG_WAT_PATH, 'utf8'), { simd: true });
  try {
    module.validate();
    return module.toBinary({ log: false, write_debug_names: false }).buffer;
  } finally {
    module.destroy();
  }
}

/** The generated module's text. */
export function rngWasmModule(bytes: Uint8Array): string {
  const literal = (Buffer.from(bytes).toString('base64').match(/.{1,100}/g) ?? []).map((l) => `  '${l}'`).join(' +\n');
  return [
    '// Generated from rng.wat by packages/array/scripts/assemble-gemm.ts: do not edit (random.test.ts checks it).',
    `/** rng.wat's WebAssembly module (${bytes.length} bytes), base64: the counter-based generator in WebAssembly SIMD. */`,
    `export const RNG_WASM_BASE64 =\n${literal};`,
    '',
  ].join('\n');
}
