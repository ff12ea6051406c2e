/**
 * Result blocks made into one Arrow Table on the coordinator without
 * apache-arrow's IPC reader for their record batches. An answer of millions
 * of rows comes as thousands of 2,048-row batches (DuckDB's export, handed
 * over as they are by a distinct gather: distinctGather.ts), and the reader
 * parses every batch's flatbuffer into objects before it makes the columns:
 * 2.9–3.7 s for q10's 10M-row answer on the coordinator's main thread.
 * Here the schema comes from apache-arrow (one message: the exact types),
 * the batches' buffers from the kernels' in-place reader (arrowIpc.ts
 * `read`, about 10x faster), and each column is made with `makeData` over
 * those buffers, no copy (except a buffer not aligned to its values' size).
 *
 * Flat types only, as `read` takes them; anything else returns null and the
 * caller uses tableFromIPC.
 */
import * as arrow from 'apache-arrow';
import { arrowIpc } from './arrowIpc.ts';

const ipc = arrowIpc();

/** `bytes` as a view `align`-aligned for its element size (a copy only when it is not). */
function aligned(bytes: Uint8Array, align: number): Uint8Array {
  return bytes.byteOffset % align === 0 ? bytes : bytes.slice();
}

/** The blocks (IPC streams of one schema) as one table; null when they hold anything but flat columns. */
export function ipcTable(blocks: readonly Uint8Array[]): arrow.Table | null {
  const streams = blocks.filter((b) => b.byteLength > 0);
  if (streams.length === 0) return null;
  const head = ipc.schemaOnly(streams[0]!);
  const rows = head ? ipc.read(streams) : null;
  if (!head || !rows) return null;
  const schema = arrow.tableFromIPC(head).schema;
  if (schema.fields.length !== rows.fields.length) return null;
  const layouts = schema.fields.map((f, c) => {
    const t = f.type;
    const mine = rows.fields[c]!.layout;
    if (arrow.DataType.isUtf8(t) || arrow.DataType.isBinary(t)) return mine === 'var' ? 'var' : null;
    if (arrow.DataType.isBool(t)) return mine === 'bool' ? 'bool' : null;
    if (mine !== 'fixed' || arrow.DataType.isDictionary(t)) return null;
    return 'fixed';
  });
  if (layouts.some((l) => l === null)) return null;
  // Buffers per field in a batch: validity, then values (fixed, bool) or offsets and bytes (var).
  const firsts: number[] = [];
  layouts.reduce((at, l) => (firsts.push(at), at + (l === 'var' ? 3 : 2)), 0);
  const struct = new arrow.Struct(schema.fields);
  const batches = rows.batches.map((b) => {
    const children = schema.fields.map((f, c) => {
      const first = firsts[c]!;
      const nullCount = b.nulls[c]!;
      const base = { type: f.type, length: b.length, nullCount, ...(nullCount > 0 ? { nullBitmap: b.bufs[first]! } : {}) };
      if (layouts[c] === 'var') return arrow.makeData({ ...base, valueOffsets: aligned(b.bufs[first + 1]!, 4), data: b.bufs[first + 2]! } as never);
      const element = (f.type as { ArrayType?: { BYTES_PER_ELEMENT?: number } }).ArrayType?.BYTES_PER_ELEMENT ?? 1;
      return arrow.makeData({ ...base, data: aligned(b.bufs[first + 1]!, element) } as never);
    });
    return new arrow.RecordBatch(schema, arrow.makeData({ type: struct, length: b.length, nullCount: 0, children }));
  });
  return new arrow.Table(schema, batches);
}
