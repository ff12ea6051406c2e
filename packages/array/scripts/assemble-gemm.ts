/** Regenerates packages/array/src/gemmWasm.ts from gemm.wat: `npx tsx packages/array/scripts/assemble-gemm.ts`. */
import { writeFileSync } from 'node:fs';
import { assembleGemm, gemmWasmModule } from '../src/gemmAssemble.ts';

const bytes = await assembleGemm();
writeFileSync(new URL('../src/gemmWasm.ts', import.meta.url), gemmWasmModule(bytes));
console.log(`gemmWasm.ts: ${bytes.plain.length} + ${bytes.relaxed.length} bytes`);
