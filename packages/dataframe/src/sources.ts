/**
 * File sources: `read.parquet/csv/json(paths)` are lazy; at the first action
 * their files are listed in the data folder (globs allowed), Parquet footers
 * read (schema, row groups and min/max for pruning), and CSV/NDJSON schemas
 * sniffed from the first 64 KiB. Nothing here reads a whole file.
 */
import type { DataClient, ParquetSummary } from '@shoal/data';
import { ShoalError } from '@shoal/protocol';
import type { DataType } from './expr.ts';
import type { CsvOptions, DataFile, Field, Plan, Schema } from './plan.ts';

export type FileFormat = 'parquet' | 'csv' | 'json';

/** A file source before its files are listed. */
export interface PendingSource {
  readonly format: FileFormat;
  readonly paths: readonly string[];
  readonly csv?: CsvOptions;
  /** A schema the user gave (csv/json), instead of sniffing. */
  readonly schema?: Schema;
}

const SNIFF_BYTES = 64 * 1024;

export function parquetType(type: string): DataType {
  const t = type.toUpperCase();
  if (t === 'BOOLEAN') return 'boolean';
  if (/^U?INT(8|16)$/.test(t) || t === 'INT32') return 'int';
  if (t === 'UINT32' || t === 'INT64' || t === 'UINT64') return 'bigint';
  if (t === 'FLOAT') return 'float';
  if (t === 'DOUBLE' || t.startsWith('DECIMAL')) return 'double';
  if (t === 'DATE') return 'date';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  return 'string';
}

/** Splits one CSV line, honouring double quotes. */
export function splitCsvLine(line: string, delimiter: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (line.startsWith(delimiter, i)) {
      out.push(cur);
      cur = '';
      i += delimiter.length - 1;
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function valueType(v: string): DataType | null {
  if (v === '' || /^null$/i.test(v)) return null;
  if (/^-?\d+$/.test(v)) return Math.abs(Number(v)) <= 2147483647 ? 'int' : 'bigint';
  if (/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v) || /^-?(inf|nan)$/i.test(v)) return 'double';
  if (/^(true|false)$/i.test(v)) return 'boolean';
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return 'date';
  if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v)) return 'timestamp';
  return 'string';
}

function merge(a: DataType | null, b: DataType | null): DataType | null {
  if (a === null) return b;
  if (b === null || a === b) return a;
  const num = ['int', 'bigint', 'double'];
  if (num.includes(a) && num.includes(b)) return num[Math.max(num.indexOf(a), num.indexOf(b))] as DataType;
  if ((a === 'date' && b === 'timestamp') || (a === 'timestamp' && b === 'date')) return 'timestamp';
  return 'string';
}

/** Column names and types from the start of a CSV file (Spark's `_c0`, `_c1`... without a header). */
export function sniffCsv(text: string, options: CsvOptions, complete: boolean): Schema {
  const lines = text.split(/\r?\n/);
  if (!complete) lines.pop(); // the last line may be cut
  const rows = lines.filter((l) => l.length > 0).map((l) => splitCsvLine(l, options.delimiter));
  if (rows.length === 0) return [];
  const names = options.header ? rows.shift()!.map((n, i) => n.trim() || `_c${i}`) : rows[0]!.map((_, i) => `_c${i}`);
  const types = names.map((_, c) => rows.reduce<DataType | null>((t, r) => merge(t, valueType(r[c] ?? '')), null));
  return names.map((name, c): Field => ({ name, type: types[c] ?? 'string' }));
}

export function sniffJson(text: string, complete: boolean): Schema {
  const lines = text.split(/\r?\n/);
  if (!complete) lines.pop();
  const types = new Map<string, DataType | null>();
  for (const line of lines) {
    if (!line.trim()) continue;
    const obj = JSON.parse(line) as Record<string, unknown>;
    for (const [k, v] of Object.entries(obj)) {
      const t: DataType | null = v === null ? null : typeof v === 'number' ? (Number.isInteger(v) ? 'bigint' : 'double') : typeof v === 'boolean' ? 'boolean' : typeof v === 'string' ? (valueType(v) === 'date' ? 'date' : 'string') : 'string';
      types.set(k, merge(types.get(k) ?? null, t));
    }
  }
  return [...types].map(([name, t]) => ({ name, type: t ?? 'string' }));
}

function fileList(files: readonly DataFile[], what: string): void {
  if (files.length === 0) throw new ShoalError('ERR_READ_FAILED', `no files match ${what} in the data folder`);
}

/** Lists, reads footers or sniffs, and returns the scan node. */
export async function resolveSource(pending: PendingSource, data: DataClient | undefined): Promise<Plan> {
  if (!data) throw new ShoalError('ERR_BAD_OPTION', 'this cluster has no data folder (start the server with --data DIR, or run the job from the coordinator page)');
  const listed = (await Promise.all(pending.paths.map((p) => data.list(p)))).flat();
  const seen = new Set<string>();
  const files = listed.filter((f) => !seen.has(f.path) && seen.add(f.path)).filter((f) => f.size > 0);
  const what = pending.paths.map((p) => `'${p}'`).join(', ');
  fileList(files, what);
  const read = <T>(path: string, work: () => Promise<T>): Promise<T> =>
    work().catch((error: unknown) => {
      throw new ShoalError('ERR_READ_FAILED', `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
  if (pending.format === 'parquet') {
    const metas: ParquetSummary[] = await Promise.all(files.map((f) => read(f.path, () => data.parquetMetadata(f.path))));
    const schema: Schema = metas[0]!.columns.map((c) => ({ name: c.name, type: parquetType(c.type) }));
    const dataFiles: DataFile[] = files.map((f, i) => {
      let firstRow = 0;
      const rowGroups = metas[i]!.rowGroups.map((g, index) => {
        const info = { numRows: g.numRows, firstRow, index, stats: Object.fromEntries(Object.entries(g.columns).map(([k, s]) => [k, { min: s.min, max: s.max, ...(s.nullCount === null ? {} : { nullCount: s.nullCount }) }])) };
        firstRow += g.numRows;
        return info;
      });
      return { path: f.path, size: f.size, rowGroups };
    });
    return { kind: 'source', source: { kind: 'parquet', files: dataFiles }, schema, columns: null, filters: [] };
  }
  const first = files[0]!;
  const head = pending.schema ? null : await read(first.path, () => data.readBytes(first.path, { start: 0, end: Math.min(first.size, SNIFF_BYTES) }));
  const text = head ? new TextDecoder().decode(head) : '';
  const complete = first.size <= SNIFF_BYTES;
  const dataFiles: DataFile[] = files.map((f) => ({ path: f.path, size: f.size }));
  if (pending.format === 'csv') {
    const options = pending.csv ?? { header: true, delimiter: ',' };
    const schema = pending.schema ?? sniffCsv(text, options, complete);
    if (schema.length === 0) throw new ShoalError('ERR_READ_FAILED', `cannot read ${first.path}: it holds no CSV rows`);
    return { kind: 'source', source: { kind: 'csv', files: dataFiles, options }, schema, columns: null, filters: [] };
  }
  let schema: Schema;
  try {
    schema = pending.schema ?? sniffJson(text, complete);
  } catch (error) {
    throw new ShoalError('ERR_READ_FAILED', `cannot read ${first.path} as NDJSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { kind: 'source', source: { kind: 'json', files: dataFiles }, schema, columns: null, filters: [] };
}
