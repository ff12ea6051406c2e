/**
 * Dev-time only (wabt is a dev dependency; nothing at run time imports this):
 * assembles gemm.wat into WebAssembly bytes, twice. `npx tsx
 * packages/array/scripts/assemble-gemm.ts` writes them into gemmWasm.ts, and
 * gemm.test.ts checks that the committed bytes are what gemm.wat assembles to.
 *
 * - plain: gemm.wat as written (WebAssembly SIMD: mul, then add);
 * - relaxed: the same text with each micro-kernel update
 *   `(f32x4.add (local.get $cXY) (f32x4.mul (local.get $a) (local.get $bZ)))`
 *   rewritten to relaxed SIMD's `(f32x4.relaxed_madd (local.get $a) (local.get $bZ) (local.get $cXY))`
 *   (and the same for f64x2): one fused multiply-add where the CPU has one.
 *   Chromium runs relaxed SIMD; Node 20 only behind a flag, so there the
 *   plain module runs.
 */
import { readFileSync } from 'node:fs';
import wabt from 'wabt';

export const WAT_PATH = new URL('./gemm.wat', import.meta.url);
/** The micro-kernels' updates: 8 per micro-kernel, two micro-kernels. */
export const MADD_SITES = 16;
const UPDATE = /\((f32x4|f64x2)\.add \(local\.get (\$c\d\d)\) \(\1\.mul \(local\.get \$a\) \(local\.get (\$b\d)\)\)\)/g;

/** gemm.wat with its updates as relaxed_madd, and how many it rewrote. */
export function relaxedText(text: string): { text: string; sites: number } {
  let sites = 0;
  const out = text.replace(UPDATE, (_, type: string, c: string, b: string) => {
    sites++;
    return `(${type}.relaxed_madd (local.get $a) (local.get ${b}) (local.get ${c}))`;
  });
  return { text: out, sites };
}

/** Both modules (deterministic: the same text gives the same bytes). */
export async function assembleGemm(): Promise<{ plain: Uint8Array; relaxed: Uint8Array }> {
  const text = readFileSync(WAT_PATH, 'utf8');
  const relaxed = relaxedText(text);
  if (relaxed.sites !== MADD_SITES) throw new Error(`gemm.wat: expected ${MADD_SITES} multiply-add updates to rewrite, found ${relaxed.sites}`);
  const w = await wabt();
  const assemble = (source: string, features: { simd: boolean; relaxed_simd?: boolean }) => {
    const module = w.parseWat('gemm.wat', source, features);
    try {
      module.validate();
      return module.toBinary({ log: false, write_debug_names: false }).buffer;
    } finally {
      module.destroy();
    }
  };
  return { plain: assemble(text, { simd: true }), relaxed: assemble(relaxed.text, { simd: true, relaxed_simd: true }) };
}

/** The generated module's text. */
export function gemmWasmModule(bytes: { plain: Uint8Array; relaxed: Uint8Array }): string {
  const literal = (b: Uint8Array) => (Buffer.from(b).toString('base64').match(/.{1,100}/g) ?? []).map((l) => `  '${l}'`).join(' +\n');
  return [
    '// Generated from gemm.wat by packages/array/scripts/assemble-gemm.ts: do not edit (gemm.test.ts checks it).',
    `/** gemm.wat's WebAssembly module (${bytes.plain.length} bytes), base64: WebAssembly SIMD. */`,
    `export const GEMM_WASM_BASE64 =\n${literal(bytes.plain)};`,
    `/** The same with relaxed SIMD's fused multiply-add in the micro-kernels (${bytes.relaxed.length} bytes), base64. */`,
    `export const GEMM_RELAXED_WASM_BASE64 =\n${literal(bytes.relaxed)};`,
    '',
  ].join('\n');
}
