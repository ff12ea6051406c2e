/**
 * Rows in and out: what `createDataFrame` accepts (row arrays, row objects,
 * `{column: values}`, an Arrow Table) made into Arrow partitions, and Arrow
 * results made back into plain row objects for `collect()`.
 */
import * as arrow from 'apache-arrow';
import { ShoalError } from '@shoal/protocol';
import type { DataType } from './expr.ts';
import type { Field, Schema } from './plan.ts';
import { ipcTable } from './ipcTable.ts';

export type RowsInput = readonly (readonly unknown[])[] | readonly Record<string, unknown>[] | Readonly<Record<string, ArrayLike<unknown>>> | arrow.Table;

function inferType(values: ArrayLike<unknown>, column: string): DataType {
  if (ArrayBuffer.isView(values)) {
    const tag = Object.prototype.toString.call(values);
    if (/Float32/.test(tag)) return 'float';
    if (/Float64/.test(tag)) return 'double';
    if (/BigInt|Uint32/.test(tag)) return 'bigint';
    return 'int';
  }
  let type: DataType = 'null';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    const t: DataType = typeof v === 'number' ? (Number.isInteger(v) ? 'bigint' : 'double') : typeof v === 'bigint' ? 'bigint' : typeof v === 'boolean' ? 'boolean' : typeof v === 'string' ? 'string' : v instanceof Date ? 'timestamp' : 'null';
    if (t === 'null') throw new ShoalError('ERR_TYPE_MISMATCH', `column '${column}': cannot store ${Object.prototype.toString.call(v)} values (row ${i})`);
    if (type === 'null' || type === t) type = t;
    else if ((type === 'bigint' && t === 'double') || (type === 'double' && t === 'bigint')) type = 'double';
    else throw new ShoalError('ERR_TYPE_MISMATCH', `column '${column}' mixes ${type} and ${t} values (row ${i})`);
  }
  return type === 'null' ? 'string' : type;
}

const ARROW_TYPE: Record<DataType, () => arrow.DataType> = {
  boolean: () => new arrow.Bool(),
  int: () => new arrow.Int32(),
  bigint: () => new arrow.Int64(),
  float: () => new arrow.Float32(),
  double: () => new arrow.Float64(),
  string: () => new arrow.Utf8(),
  date: () => new arrow.DateDay(),
  timestamp: () => new arrow.TimestampMicrosecond(),
  null: () => new arrow.Utf8(),
  'double[]': () => new arrow.List(new arrow.Field('item', new arrow.Float64(), true)),
};

/** Spark's type for an Arrow type. */
export function fromArrowType(t: arrow.DataType): DataType {
  if (arrow.DataType.isBool(t)) return 'boolean';
  if (arrow.DataType.isInt(t)) return t.bitWidth === 64 || (t.bitWidth === 32 && !t.isSigned) ? 'bigint' : 'int';
  if (arrow.DataType.isFloat(t)) return t.precision === arrow.Precision.SINGLE ? 'float' : 'double';
  if (arrow.DataType.isDecimal(t)) return 'double';
  if (arrow.DataType.isUtf8(t) || arrow.DataType.isLargeUtf8(t)) return 'string';
  if (arrow.DataType.isDate(t)) return 'date';
  if (arrow.DataType.isTimestamp(t)) return 'timestamp';
  if (arrow.DataType.isNull(t)) return 'null';
  return 'string';
}

function column(values: ArrayLike<unknown>, type: DataType): arrow.Vector {
  if (type === 'bigint') {
    const out = new Array<bigint | null>(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      out[i] = v === null || v === undefined ? null : BigInt(v as number);
    }
    return arrow.vectorFromArray(out, new arrow.Int64());
  }
  if (type === 'timestamp' || type === 'date') {
    return arrow.vectorFromArray(Array.from(values, (v) => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(v as string))), ARROW_TYPE[type]());
  }
  return arrow.vectorFromArray(Array.from(values, (v) => (v === undefined ? null : v)), ARROW_TYPE[type]());
}

/** The input as one Arrow table (columns named by `columns` when given). */
export function toArrowTable(data: RowsInput, columns?: readonly string[]): arrow.Table {
  if (data instanceof arrow.Table) return data;
  let cols: Record<string, ArrayLike<unknown>>;
  if (Array.isArray(data)) {
    const rows = data as readonly unknown[];
    if (rows.length > 0 && Array.isArray(rows[0])) {
      const width = (rows[0] as unknown[]).length;
      const names = columns ?? Array.from({ length: width }, (_, i) => `_${i + 1}`);
      if (names.length !== width) throw new ShoalError('ERR_BAD_OPTION', `createDataFrame: ${names.length} column names for rows of ${width} values`);
      cols = Object.fromEntries(names.map((n, c) => [n, rows.map((r) => (r as unknown[])[c])]));
    } else {
      const names = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r as object)))];
      cols = Object.fromEntries(names.map((n) => [n, rows.map((r) => (r as Record<string, unknown>)[n] ?? null)]));
    }
  } else {
    cols = { ...(data as Record<string, ArrayLike<unknown>>) };
    if (columns) cols = Object.fromEntries(Object.entries(cols).map(([, v], i) => [columns[i] ?? `_${i + 1}`, v]));
  }
  const vectors: Record<string, arrow.Vector> = {};
  for (const [name, values] of Object.entries(cols)) vectors[name] = column(values, inferType(values, name));
  return new arrow.Table(vectors);
}

export function schemaOfTable(table: arrow.Table): Schema {
  return table.schema.fields.map((f): Field => ({ name: f.name, type: fromArrowType(f.type) }));
}

/** Splits a table into `n` contiguous partitions, each as Arrow IPC stream bytes. */
export function partitionTable(table: arrow.Table, n: number): Uint8Array[] {
  const per = Math.ceil(table.numRows / n) || 0;
  return Array.from({ length: n }, (_, i) => arrow.tableToIPC(table.slice(i * per, Math.min(table.numRows, (i + 1) * per)), 'stream'));
}

function plain(v: unknown, type: arrow.DataType): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (arrow.DataType.isDate(type) || arrow.DataType.isTimestamp(type)) return new Date(Number(v));
  if (arrow.DataType.isDecimal(type)) return Number(v);
  return v;
}

/** Result blocks as one Arrow table (the schema's columns when there are no blocks). */
export function blocksToTable(blocks: readonly Uint8Array[], names?: readonly string[]): arrow.Table {
  // Flat columns (nearly every answer): the batches' buffers read in place, not through the IPC reader (ipcTable.ts).
  const fast = ipcTable(blocks);
  if (fast) return names ? renamed(fast, names) : fast;
  const tables = blocks.filter((b) => b.byteLength > 0).map((b) => (names ? renamed(arrow.tableFromIPC(b), names) : arrow.tableFromIPC(b)));
  if (tables.length === 0) return new arrow.Table();
  const schema = tables[0]!.schema;
  return new arrow.Table(schema, tables.flatMap((t) => t.batches));
}

/** `table` with its columns named `names`, in order (the same buffers); as it is when they already are. */
function renamed(table: arrow.Table, names: readonly string[]): arrow.Table {
  const fields = table.schema.fields;
  if (fields.length !== names.length || fields.every((f, i) => f.name === names[i])) return table;
  const schema = new arrow.Schema(
    fields.map((f, i) => new arrow.Field(names[i]!, f.type, f.nullable, f.metadata)),
    table.schema.metadata,
  );
  return new arrow.Table(schema, table.batches.map((b) => new arrow.RecordBatch(schema, b.data)));
}

/** Plain row objects (bigints as numbers where exact, dates as Date). */
export function tableToRows(table: arrow.Table): Record<string, unknown>[] {
  const fields = table.schema.fields;
  const cols = fields.map((f) => table.getChild(f.name)!);
  const out: Record<string, unknown>[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, unknown> = {};
    fields.forEach((f, c) => (row[f.name] = plain(cols[c]!.get(i), f.type)));
    out[i] = row;
  }
  return out;
}
