import { dataFrameApi } from '../api.ts';
import { localCluster } from '../testCluster.ts';
const c = dataFrameApi(localCluster(), undefined);
const BRANDS = ['acme', 'bolt', 'core', 'dyna'];
const sales = Array.from({ length: 40 }, (_, i) => ({ id: i, brand: BRANDS[i % 4]!, category: i % 3 === 0 ? 'electronics' : 'garden', price: (i * 37) % 101 + 0.5, qty: i % 7 }));
c.createDataFrame(sales, undefined, { partitions: 3 }).createOrReplaceTempView('sales');
c.createDataFrame(Array.from({ length: 10 }, (_, i) => ({ id: i * 3, label: `item${i}` })), undefined, { partitions: 2 }).createOrReplaceTempView('items');
const fmt = (r: any) => JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? Number(v) : v));
for (const q of process.argv.slice(2)) {
  try {
    const out = await c.sql(q).collect();
    console.log('OK', q, '\n   ', out.length, out.slice(0, 6).map(fmt).join(' '));
  } catch (e: any) { console.log('ERR', q, '\n   ', e.code, e.message.slice(0, 400)); }
}
process.exit(0);
