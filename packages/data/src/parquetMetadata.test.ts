/** Parquet footers as plain JSON: type names and statistic values. */
import { describe, expect, it } from 'vitest';
import { statValue, summarizeParquet, typeName } from './parquetMetadata.ts';

describe('typeName', () => {
  it('prefers the logical type, then the converted one, then the physical one', () => {
    expect(typeName({ name: 'a', type: 'BYTE_ARRAY', logical_type: { type: 'STRING' } })).toBe('STRING');
    expect(typeName({ name: 'a', type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } })).toBe('TIMESTAMP(MICROS)');
    expect(typeName({ name: 'a', type: 'INT32', logical_type: { type: 'INTEGER', bitWidth: 16, isSigned: false } })).toBe('UINT16');
    expect(typeName({ name: 'a', type: 'FIXED_LEN_BYTE_ARRAY', logical_type: { type: 'DECIMAL', precision: 10, scale: 2 } })).toBe('DECIMAL(10,2)');
    expect(typeName({ name: 'a', type: 'BYTE_ARRAY', converted_type: 'UTF8' })).toBe('STRING');
    expect(typeName({ name: 'a', type: 'INT64', converted_type: 'INT_64' })).toBe('INT64');
    expect(typeName({ name: 'a', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' })).toBe('TIMESTAMP(MILLIS)');
    expect(typeName({ name: 'a', type: 'DOUBLE' })).toBe('DOUBLE');
    expect(typeName({ name: 'a', type: 'BYTE_ARRAY' })).toBe('BINARY');
  });
});

describe('statValue', () => {
  it('turns bigints into numbers when safe, else strings; dates into ISO strings; binary into null', () => {
    expect(statValue(42n)).toBe(42);
    expect(statValue(2n ** 60n)).toBe('1152921504606846976');
    expect(statValue(new Date(Date.UTC(2024, 0, 2)))).toBe('2024-01-02T00:00:00.000Z');
    expect(statValue(new Uint8Array([1]))).toBeNull();
    expect(statValue(undefined)).toBeNull();
    expect([statValue(1.5), statValue('x'), statValue(true)]).toEqual([1.5, 'x', true]);
  });
});

describe('summarizeParquet', () => {
  it('lists top-level columns past nested groups and keys stats by dotted path', () => {
    const summary = summarizeParquet({
      version: 2,
      metadata_length: 0,
      num_rows: 3n,
      schema: [
        { name: 'root', num_children: 2 },
        { name: 's', num_children: 2, repetition_type: 'OPTIONAL' },
        { name: 'x', type: 'INT32', repetition_type: 'REQUIRED' },
        { name: 'y', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
        { name: 'z', type: 'BOOLEAN', repetition_type: 'REQUIRED' },
      ],
      row_groups: [
        {
          num_rows: 3n,
          total_byte_size: 10n,
          columns: [
            { file_offset: 0n, meta_data: { type: 'INT32', encodings: [], path_in_schema: ['s', 'x'], codec: 'UNCOMPRESSED', num_values: 3n, total_uncompressed_size: 1n, total_compressed_size: 1n, data_page_offset: 0n, statistics: { min_value: 1, max_value: 3, null_count: 0n } } },
            { file_offset: 0n, meta_data: { type: 'BOOLEAN', encodings: [], path_in_schema: ['z'], codec: 'UNCOMPRESSED', num_values: 3n, total_uncompressed_size: 1n, total_compressed_size: 1n, data_page_offset: 0n } },
          ],
        },
      ],
    });
    expect(summary.numRows).toBe(3);
    expect(summary.columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['s', 'GROUP', true],
      ['z', 'BOOLEAN', false],
    ]);
    expect(summary.rowGroups).toEqual([{ numRows: 3, columns: { 's.x': { min: 1, max: 3, nullCount: 0 } } }]);
  });
});
