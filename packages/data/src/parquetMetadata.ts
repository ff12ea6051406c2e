/**
 * A Parquet file's footer as plain JSON: rows, columns with a readable type,
 * and per row group the rows and each column's min, max and null count (what
 * a planner needs to prune row groups and files). Read with hyparquet's async
 * metadata reader, which fetches only the footer (Range requests).
 */
import { parquetMetadataAsync, type AsyncBuffer, type FileMetaData, type SchemaElement } from 'hyparquet';

/** A statistic as plain JSON: bigints become numbers when safe (else decimal strings), dates ISO strings; binary is null. */
export type StatValue = number | string | boolean | null;

export interface ColumnStats {
  min: StatValue;
  max: StatValue;
  nullCount: number | null;
}

export interface ParquetColumn {
  name: string;
  /** Readable type: the logical type when there is one (`STRING`, `DATE`, `DECIMAL(10,2)`, `TIMESTAMP(MICROS)`, `INT32`…), else the physical one. */
  type: string;
  /** Parquet's physical type (`INT64`, `BYTE_ARRAY`…), or `GROUP` for nested columns. */
  physicalType: string;
  nullable: boolean;
}

export interface ParquetRowGroup {
  numRows: number;
  /** Leaf columns by dotted path (`a` for a top-level column). Columns without statistics are absent. */
  columns: Record<string, ColumnStats>;
}

export interface ParquetSummary {
  numRows: number;
  columns: ParquetColumn[];
  rowGroups: ParquetRowGroup[];
  createdBy: string | null;
}

/** Reads and summarizes the footer of the Parquet file behind `buffer`. */
export async function readParquetSummary(buffer: AsyncBuffer): Promise<ParquetSummary> {
  return summarizeParquet(await parquetMetadataAsync(buffer));
}

/** The summary of hyparquet's metadata. Pure. */
export function summarizeParquet(meta: FileMetaData): ParquetSummary {
  return {
    numRows: toNumber(meta.num_rows),
    columns: topLevelColumns(meta.schema),
    rowGroups: meta.row_groups.map((group) => {
      const columns: Record<string, ColumnStats> = {};
      for (const chunk of group.columns) {
        const data = chunk.meta_data;
        const stats = data?.statistics;
        if (data === undefined || stats === undefined) continue;
        columns[data.path_in_schema.join('.')] = {
          min: statValue(stats.min_value ?? stats.min),
          max: statValue(stats.max_value ?? stats.max),
          nullCount: stats.null_count === undefined ? null : toNumber(stats.null_count),
        };
      }
      return { numRows: toNumber(group.num_rows), columns };
    }),
    createdBy: meta.created_by ?? null,
  };
}

/** The root's children (schema[0] is the root; nested groups are skipped over by their num_children). */
function topLevelColumns(schema: SchemaElement[]): ParquetColumn[] {
  const root = schema[0];
  const out: ParquetColumn[] = [];
  let i = 1;
  for (let n = 0; n < (root?.num_children ?? 0) && i < schema.length; n++) {
    const element = schema[i]!;
    out.push({ name: element.name, type: typeName(element), physicalType: element.num_children ? 'GROUP' : (element.type ?? 'GROUP'), nullable: element.repetition_type !== 'REQUIRED' });
    i = skip(schema, i);
  }
  return out;
}

/** The index after element `i` and all its descendants. */
function skip(schema: SchemaElement[], i: number): number {
  let next = i + 1;
  for (let c = 0; c < (schema[i]?.num_children ?? 0); c++) next = skip(schema, next);
  return next;
}

export function typeName(element: SchemaElement): string {
  const logical = element.logical_type;
  if (logical !== undefined) {
    switch (logical.type) {
      case 'DECIMAL':
        return `DECIMAL(${logical.precision},${logical.scale})`;
      case 'TIMESTAMP':
      case 'TIME':
        return `${logical.type}(${logical.unit})`;
      case 'INTEGER':
        return `${logical.isSigned ? 'INT' : 'UINT'}${logical.bitWidth}`;
      default:
        return logical.type;
    }
  }
  const converted = element.converted_type;
  if (converted !== undefined) {
    if (converted === 'UTF8') return 'STRING';
    if (converted === 'DECIMAL') return `DECIMAL(${element.precision ?? '?'},${element.scale ?? 0})`;
    if (converted.startsWith('TIMESTAMP_') || converted.startsWith('TIME_')) {
      const [kind, unit] = converted.split('_');
      return `${kind}(${unit})`;
    }
    if (/^U?INT_\d+$/.test(converted)) return converted.replace('_', '');
    return converted;
  }
  if (element.num_children) return 'GROUP';
  if (element.type === 'BYTE_ARRAY' || element.type === 'FIXED_LEN_BYTE_ARRAY') return 'BINARY';
  return element.type ?? 'GROUP';
}

export function statValue(value: unknown): StatValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint') return toNumberOrString(value);
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  return null;
}

function toNumberOrString(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

function toNumber(value: bigint | number): number {
  return typeof value === 'number' ? value : Number(value);
}
