import { readFileSync } from 'node:fs';
import { openGpuPage } from './gpu-page.ts';
const p = await openGpuPage();
const t = async (where: 'page'|'worker', op: string, args: any = {}) => { const s = performance.now(); const r = await p.run(where, op, args); console.log(where, op, JSON.stringify({ ...args, wgsl: undefined }), Math.round(performance.now()-s)+'ms', JSON.stringify(r).slice(0, 400)); };
const size = Number(process.argv[2] ?? 512);
const files = process.argv.slice(3);
try {
  for (let round = 0; round < 2; round++) for (const f of files) {
    const tile = f.includes('v3') ? 64 : 32;
    console.log(f);
    await t('worker', 'timeMatmulKernel', { wgsl: readFileSync(f, 'utf8'), size, dispatch: [size / tile, size / tile], reps: 3 });
  }
} finally { await p.close(); }
