/**
 * Dev-time only (wabt is a dev dependency; nothing at run time imports this):
 * assembles gemm.wat into WebAssembly bytes. `npx tsx
 * packages/array/scripts/assemble-gemm.ts` writes them into gemmWasm.ts, and
 * gemm.test.ts checks that the committed bytes are what gemm.wat assembles to.
 */
import { readFileSync } from 'node:fs';
import wabt from 'wabt';

export const WAT_PATH = new URL('./gemm.wat', import.meta.url);

/** gemm.wat assembled (deterministic: the same text gives the same bytes). */
export async function assembleGemm(): Promise<Uint8Array> {
  const text = readFileSync(WAT_PATH, 'utf8');
  const module = (await wabt()).parseWat('gemm.wat', text, { simd: true });
  try {
    module.validate();
    return module.toBinary({ log: false, write_debug_names: false }).buffer;
  } finally {
    module.destroy();
  }
}

/** The generated module's text. */
export function gemmWasmModule(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines = b64.match(/.{1,100}/g) ?? [];
  return `// Generated from gemm.wat by packages/array/scripts/assemble-gemm.ts: do not edit (gemm.test.ts checks it).\n/** gemm.wat's WebAssembly module (${bytes.length} bytes), base64. */\nexport const GEMM_WASM_BASE64 =\n${lines.map((l) => `  '${l}'`).join(' +\n')};\n`;
}
