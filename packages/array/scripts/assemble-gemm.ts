/** Regenerates packages/array/src/gemmWasm.ts from gemm.wat rngWasm.ts from rng.wat and vmathWasm.ts from vmath.wat: `npx tsx packages/array/scripts/assemble-gemm.ts`. */
import { writeFileSync } from 'node:fs';
import { assembleGemm, gemmWasmModule } from '../src/gemmAssemble.ts';
import { assembleRng, assembleVmath, rngWasmModule, vmathWasmModule } from '../src/rngAssemble.ts';

const bytes = await assembleGemm();
writeFileSync(new URL('../src/gemmWasm.ts', import.meta.url), gemmWasmModule(bytes));
console.log(`gemmWasm.ts: ${bytes.plain.length} + ${bytes.relaxed.length} bytes`);
const rng = await assembleRng();
writeFileSync(new URL('../src/rngWasm.ts', import.meta.url), rngWasmModule(rng));
console.log(`rngWasm.ts: ${rng.length} bytes`);
const vmath = await assembleVmath();
writeFileSync(new URL('../src/vmathWasm.ts', import.meta.url), vmathWasmModule(vmath));
console.log(`vmathWasm.ts: ${vmath.length} bytes`);
