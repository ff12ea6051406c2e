import { analyze } from '../analyze.ts';
import type { Plan } from '../plan.ts';
import { parseSql, sqlToPlan } from './index.ts';
const src = (cols: [string, any][]): Plan => ({ kind: 'source', source: { kind: 'blocks', blocks: [], rows: 0, bytes: 0 }, schema: cols.map(([name, type]) => ({ name, type })), columns: null, filters: [] });
const tables: Record<string, Plan> = {
  sales: src([['id', 'bigint'], ['brand', 'string'], ['price', 'double'], ['qty', 'int'], ['category', 'string'], ['name', 'string']]),
  items: src([['id', 'bigint'], ['label', 'string'], ['qty', 'int']]),
};
const cat = { get: (n: string) => tables[n], names: () => Object.keys(tables) };
for (const q of process.argv.slice(2)) {
  try {
    const a = analyze(sqlToPlan(parseSql(q), cat));
    console.log('OK', q, '->', a.schema.map((f) => `${f.name}:${f.type}`).join(', '));
  } catch (e: any) { console.log('ERR', q, '->', e.code, e.message); }
}
