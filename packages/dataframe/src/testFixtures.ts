/** Fixtures the DataFrame tests share. */
import { loadNodeDatabase } from '@shoal/engine/node';
import { analyze } from './analyze.ts';
import { optimize } from './optimizer.ts';
import { physicalPlan } from './physical.ts';
import type { Plan, Schema } from './plan.ts';
import { parseSql, sqlToPlan } from './sql/index.ts';
import { DEFAULT_CONF } from './stages.ts';

const schema: Schema = [
  { name: 'id1', type: 'string' },
  { name: 'id4', type: 'int' },
  { name: 'v1', type: 'int' },
  { name: 'v3', type: 'double' },
];
const x: Plan = { kind: 'source', source: { kind: 'blocks', blocks: ['b1', 'b2'], rows: 100, bytes: 1e9 }, schema, columns: null, filters: [] };

/**
 * The physical plan of a SQL query over `x`, a table of 100 rows in two cached blocks with db-benchmark's
 * kinds of columns (a string key, an int key, an int and a double value), planned under the default conf.
 */
export function planSqlOverX(sql: string): ReturnType<typeof physicalPlan> {
  const plan = sqlToPlan(parseSql(sql) as never, { get: (n: string) => (n === 'x' ? x : undefined), names: () => ['x'] });
  return physicalPlan(optimize(analyze(plan).plan).plan, DEFAULT_CONF);
}

/** Each query's answer as an Arrow IPC stream, from native DuckDB (one session). */
export async function duckBlocks(sqls: readonly string[]): Promise<Uint8Array[]> {
  const db = await loadNodeDatabase();
  const s = db.session();
  try {
    return sqls.map((q) => s.query(q).slice());
  } finally {
    s.close();
  }
}
