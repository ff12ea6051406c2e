import { openGpuPage } from './gpu-page.ts';
const p = await openGpuPage();
const t = async (where: 'page'|'worker', op: string, args: any = {}) => { const s = performance.now(); const r = await p.run(where, op, args); console.log(where, op, JSON.stringify(args), Math.round(performance.now()-s)+'ms', JSON.stringify(r).slice(0, 300)); };
try {
  for (const n of [1_000_000, 1_000_000]) await t('worker', 'reduce', { n, op: 'sum' });
  for (const n of [1_000_000, 1_000_000, 5000, 2048, 2049, 4_500_000 ]) await t('worker', 'scan', { n, type: 'u32' });
  await t('worker', 'scan', { n: 100000, type: 'f32' });
} finally { await p.close(); }
