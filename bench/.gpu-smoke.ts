import { openGpuPage } from './gpu-page.ts';
const p = await openGpuPage();
console.log('build ms', Math.round(p.buildMs));
const t = async (where: 'page'|'worker', op: string, args: unknown = {}) => { const s = performance.now(); const r = await p.run(where, op, args); console.log(where, op, JSON.stringify(args), Math.round(performance.now()-s)+'ms', JSON.stringify(r).slice(0, 600)); };
try {
  await t('worker', 'info');
  await t('worker', 'reduce', { n: 1_000_000, op: 'sum' });
  await t('worker', 'reduce', { n: 1000, op: 'min' });
  await t('worker', 'reduce', { n: 5000, op: 'max' });
  await t('worker', 'matmul', { M: 256, N: 192, K: 128 });
  await t('worker', 'matmul', { M: 33, N: 7, K: 5 });
  await t('worker', 'map', { n: 100_000 });
  await t('worker', 'scan', { n: 1_000_000, type: 'u32' });
  await t('worker', 'scan', { n: 1000, type: 'f32' });
  await t('worker', 'kernel', { wgsl: 'fn x() {\n  let y: u32 = ;\n}\n@compute @workgroup_size(1) fn main() {}', workgroupSize: [1], dispatch: [1], outputs: { out: { type: 'f32', length: 1 } } });
  await t('worker', 'lost');
  await t('worker', 'benchMatmul', { size: 512, reps: 2 });
  await t('worker', 'cpuMatmul', { size: 256, reps: 2 });
  await t('worker', 'measure');
  console.log(p.errors);
} finally { await p.close(); }
