/**
 * What a job's `cluster` gains from this package: PySpark's session entry
 * points in camelCase (`createDataFrame`, `range`, `read`, `sql`), the
 * functions (`col`, `lit`, `when`, `sum`...), and `conf`.
 */
import type { DataClient } from '@shoal/data';
import { ShoalError } from '@shoal/protocol';
import { functions, normalizeType } from './column.ts';
import { DataFrame } from './dataframe.ts';
import type { CsvOptions, Plan, Schema } from './plan.ts';
import { partitionTable, schemaOfTable, toArrowTable, type RowsInput } from './rows.ts';
import { Session, type SessionCluster, type SessionHooks } from './session.ts';
import { parseSql, sqlToPlan } from './sql/index.ts';
import type { DataFrameConf } from './stages.ts';

export interface ReadOptions {
  /** CSV: the first line names the columns (default true). */
  header?: boolean;
  /** CSV: the field delimiter (default ','). `sep` is an alias. */
  delimiter?: string;
  sep?: string;
  /** Column types instead of sniffing: `"a INT, b STRING"` or `{a: 'int', b: 'string'}`. */
  schema?: string | Record<string, string>;
}

function parseSchema(schema: string | Record<string, string>): Schema {
  const entries = typeof schema === 'string' ? schema.split(',').map((part) => part.trim().split(/\s+/) as [string, string]) : Object.entries(schema);
  return entries.map(([name, type]) => {
    if (!name || !type) throw new ShoalError('ERR_BAD_OPTION', `a schema is "name type, ..." or {name: type}; got ${JSON.stringify(schema)}`);
    return { name, type: normalizeType(type) };
  });
}

const asPaths = (paths: string | string[]): string[] => (Array.isArray(paths) ? paths : [paths]);

export function dataFrameApi(cluster: SessionCluster, data: DataClient | undefined, hooks: SessionHooks = {}) {
  const session = new Session(cluster, data, hooks);
  const reader = (format: 'parquet' | 'csv' | 'json') => (paths: string | string[], options: ReadOptions = {}): DataFrame => {
    const csv: CsvOptions = { header: options.header ?? true, delimiter: options.delimiter ?? options.sep ?? ',' };
    const plan = session.addPending({ format, paths: asPaths(paths), ...(format === 'csv' ? { csv } : {}), ...(options.schema ? { schema: parseSchema(options.schema) } : {}) });
    return new DataFrame(session, plan);
  };
  return {
    ...functions,
    functions,
    /** Tuning: shufflePartitions, autoBroadcastJoinThreshold, adaptive, advisoryPartitionBytes, skewedPartitionFactor, maxPartitionBytes, filesMinPartitions, filesOpenCostBytes, distinctGatherMinBytes, sortChunkBytes. */
    conf: {
      get: (key: keyof DataFrameConf) => session.conf[key],
      set<K extends keyof DataFrameConf>(key: K, value: DataFrameConf[K]): void {
        if (!(key in session.conf)) throw new ShoalError('ERR_BAD_OPTION', `unknown conf '${String(key)}'; valid ones are ${Object.keys(session.conf).join(', ')}`);
        if (typeof value !== typeof session.conf[key]) throw new ShoalError('ERR_BAD_OPTION', `conf '${String(key)}' takes a ${typeof session.conf[key]}`);
        session.conf[key] = value;
      },
    },
    /** Rows as arrays (with `columns`) or objects, `{column: values}`, or an Arrow Table; split into `partitions` (default: one per task slot). */
    createDataFrame(rows: RowsInput, columns?: string[] | { partitions?: number }, options: { partitions?: number } = {}): DataFrame {
      const names = Array.isArray(columns) ? columns : undefined;
      const opts = Array.isArray(columns) ? options : (columns ?? options);
      const table = toArrowTable(rows, names);
      const n = Math.max(1, Math.min(opts.partitions ?? Math.max(1, cluster.slots()), Math.max(1, table.numRows)));
      const blocks = partitionTable(table, n);
      const refs = blocks.map((b) => cluster.put(b));
      const ids = refs.map((r) => (r as { id: string }).id);
      refs.forEach((r, i) => session.blockRefs.set(ids[i]!, r));
      const plan: Plan = { kind: 'source', source: { kind: 'blocks', blocks: ids, rows: table.numRows, bytes: blocks.reduce((s, b) => s + b.byteLength, 0) }, schema: schemaOfTable(table), columns: null, filters: [] };
      return new DataFrame(session, plan);
    },
    /** Spark's `range(start, end?, step?)`: one bigint column `id`. */
    range(start: number, end?: number, step: number | { partitions?: number } = 1, options: { partitions?: number } = {}): DataFrame {
      const [a, b] = end === undefined || typeof end !== 'number' ? [0, start] : [start, end];
      const s = typeof step === 'number' ? step : 1;
      const opts = typeof step === 'object' ? step : typeof end === 'object' ? (end as { partitions?: number }) : options;
      if (s === 0 || !Number.isFinite(a) || !Number.isFinite(b)) throw new ShoalError('ERR_BAD_OPTION', 'range() needs finite bounds and a non-zero step');
      const partitions = Math.max(1, opts.partitions ?? Math.max(1, cluster.slots()));
      return new DataFrame(session, { kind: 'source', source: { kind: 'range', start: a, end: b, step: s, partitions }, schema: [{ name: 'id', type: 'bigint' }], columns: null, filters: [] });
    },
    read: { parquet: reader('parquet'), csv: reader('csv'), json: reader('json') },
    /** A SQL query over the temp views (`df.createOrReplaceTempView(name)`), as a DataFrame. */
    sql(text: string): DataFrame {
      const plan = sqlToPlan(parseSql(text), { get: (name) => session.views.get(name) ?? session.views.get(name.toLowerCase()), names: () => [...session.views.keys()] });
      return new DataFrame(session, plan);
    },
    /** The session behind this API (for the dashboard and tests). */
    dataFrameSession: session,
  };
}

export type DataFrameApi = ReturnType<typeof dataFrameApi>;
