/**
 * The built-in handler for Arrow tables. It calls `tableToIPC` (stream
 * format) and `tableFromIPC` and goes no deeper: encoding costs Arrow's one
 * copy, and decoding is zero-copy over the blob (Arrow keeps views over the
 * segment when its buffers are aligned, which the blob's 8-byte segment
 * alignment provides).
 *
 * A table made by a second copy of apache-arrow (a job that imports its own
 * bundle) passes Arrow's `instanceof Table` (Arrow brands its classes), and is
 * also recognised by shape (`schema.fields` plus `batches`). Its column types,
 * though, fail this copy's `instanceof DataType`, and `tableToIPC` would then
 * silently write empty columns. Such tables are refused with an error that says
 * how to fix it, never encoded wrong.
 */
import { DataType, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import { ShoalError } from '@shoal/protocol';
import type { CodecHandler } from './handlers.ts';

interface TableLike {
  schema: { fields: { type: unknown }[] };
  batches: unknown[];
}

function isTableLike(value: unknown): value is TableLike {
  if (value instanceof Table) return true;
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Partial<TableLike>;
  return Array.isArray(candidate.batches) && typeof candidate.schema === 'object' && candidate.schema !== null && Array.isArray(candidate.schema.fields);
}

export const arrowTableHandler: CodecHandler<TableLike> = {
  name: 'arrow',
  canHandle: isTableLike,
  encode(value) {
    if (!value.schema.fields.every((field) => field.type instanceof DataType)) {
      throw new ShoalError(
        'ERR_NOT_SERIALIZABLE',
        'an Arrow Table made by a different copy of apache-arrow (its column types are not this copy\'s DataType); import the same apache-arrow as Shoal, or send tableToIPC(table) as a Uint8Array',
      );
    }
    return { meta: null, segments: [tableToIPC(value as unknown as Table, 'stream')] };
  },
  decode(_meta, segments) {
    const [segment] = segments;
    if (segments.length !== 1 || !segment) throw new ShoalError('ERR_BAD_MESSAGE', 'an Arrow table in this blob does not have exactly one segment');
    return tableFromIPC(segment) as unknown as TableLike;
  },
};
