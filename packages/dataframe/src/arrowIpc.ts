/**
 * Arrow IPC streams read and written in place, for the sort kernels
 * (arrowKernels.ts): `read` makes every column of every block one contiguous
 * array (values, 32-bit offsets, validity one byte per row); `write` gathers
 * chosen rows of them straight into a new stream's body, with the input's own
 * schema message and one hand-laid record batch header. Flat types only (see
 * arrowKernels.ts); anything else reads as null, and the caller falls back.
 *
 * Self-contained: it ships as source text inside the stage task (stageFunction.ts).
 */

/** A column's physical layout: fixed-width values, a bitmap of booleans, or offsets into bytes. */
export type Layout = 'fixed' | 'bool' | 'var';

export interface IpcField {
  readonly name: string;
  readonly layout: Layout;
  /** Bytes per value (fixed). */
  readonly width: number;
  /** How a key of this type reads as a number (integers and floats only). */
  readonly num: null | { readonly float: boolean; readonly signed: boolean };
}

/** One record batch as it lies in its block: its buffers (views, not copies) and each column's null count. */
export interface IpcBatch {
  readonly length: number;
  /** The row number of its first row, counting from the first block's first row. */
  readonly first: number;
  readonly bufs: readonly Uint8Array[];
  readonly nulls: readonly number[];
}

/** The rows of some blocks: their schema message (framed, as it was), fields and batches. */
export interface IpcRows {
  readonly schema: Uint8Array;
  readonly fields: readonly IpcField[];
  readonly count: number;
  readonly batches: readonly IpcBatch[];
}

/** One fixed-width or boolean column over all the rows, contiguous: values (bool: one byte per row), validity one byte per row (null: no nulls). */
export interface IpcCol {
  readonly data: Uint8Array;
  readonly valid: Uint8Array | null;
}

/** `slotOf` for a row that goes nowhere (a head's rows past its count). */
export const SKIP_ROW = 0xffffffff;

/** One message of an IPC stream (`ArrowIpc.messages`). */
export interface IpcMessage {
  /** Where it starts (its framing), where its body starts, and where it ends (past the stream if the stream is cut short). */
  readonly pos: number;
  readonly body: number;
  readonly end: number;
  /** Arrow's MessageHeader: 1 schema, 2 dictionary batch, 3 record batch. */
  readonly type: number;
  /** Position of the header's flatbuffer table (the Schema or RecordBatch). */
  readonly header: number;
  /** Framed with the continuation marker (0xFFFFFFFF), not the pre-1.0 framing. */
  readonly marked: boolean;
}

export interface ArrowIpc {
  /** The messages of one IPC stream, in order, up to its end-of-stream marker. */
  messages(stream: Uint8Array): Iterable<IpcMessage>;
  /** Every block's batches; null if a block is not a plain uncompressed stream of flat columns, or schemas differ. `maxRows`: stop after the batch that reaches it (a head reads no further). */
  read(blocks: readonly Uint8Array[], options?: { maxRows?: number }): IpcRows | null;
  /** Fixed-width or boolean column `c` made contiguous (a sort key); `bytes(n)`: where its values go (default new memory; need not be zeroed). */
  column(rows: IpcRows, c: number, bytes?: (byteLength: number) => Uint8Array): IpcCol;
  /**
   * The rows as `sizes.length` IPC streams (schema, one record batch, end of stream): row `r` goes to part
   * `partOf[r]` (all to part 0 when null) at position `slotOf[r]` (SKIP_ROW: nowhere). Each part's slots must
   * be 0 .. sizes[p] - 1, once each. Rows are read in their order and each value written to its place (a
   * scatter): 3-6x faster here than reading rows in a new order, whose reads miss the cache nearly every
   * time, and nothing is copied on the way.
   */
  write(rows: IpcRows, sizes: readonly number[], partOf: Uint32Array | null, slotOf: Uint32Array): Uint8Array[];
  /** A stream of no rows with `stream`'s schema message as it is (that message, then end of stream); null if it starts with none. */
  schemaOnly(stream: Uint8Array): Uint8Array | null;
}

/** `alloc`: where output streams are made (a task's ctx.outputBytes, stored without a copy); default plain arrays. */
export function arrowIpc(alloc?: (byteLength: number) => Uint8Array): ArrowIpc {
  type Field = IpcField;
  type Rows = IpcRows;
  /** SKIP_ROW, here again: this function ships as source and may not refer to anything outside it. */
  const SKIP = 0xffffffff;
  // --- Reading flatbuffers (the IPC metadata) ---
  const table = (view: DataView, pos: number) => {
    const vtable = pos - view.getInt32(pos, true);
    const size = view.getUint16(vtable, true);
    const at = (i: number): number => (4 + 2 * i < size ? view.getUint16(vtable + 4 + 2 * i, true) : 0);
    return {
      has: (i: number): boolean => at(i) !== 0,
      u8: (i: number, d = 0): number => (at(i) ? view.getUint8(pos + at(i)) : d),
      i16: (i: number, d = 0): number => (at(i) ? view.getInt16(pos + at(i), true) : d),
      i32: (i: number, d = 0): number => (at(i) ? view.getInt32(pos + at(i), true) : d),
      i64: (i: number): number => (at(i) ? Number(view.getBigInt64(pos + at(i), true)) : 0),
      /** Position of the table, vector or string the offset field `i` points to (0 if absent). */
      ref: (i: number): number => (at(i) ? pos + at(i) + view.getUint32(pos + at(i), true) : 0),
    };
  };
  const text = (view: DataView, pos: number): string => new TextDecoder().decode(new Uint8Array(view.buffer, view.byteOffset + pos + 4, view.getUint32(pos, true)));

  /** A schema's fields, or null if one is not flat or not supported. Arrow's Type union: 2 Int, 3 FloatingPoint, 4 Binary, 5 Utf8, 6 Bool, 7 Decimal, 8 Date, 9 Time, 10 Timestamp, 11 Interval, 15 FixedSizeBinary, 18 Duration. */
  const fieldsOf = (view: DataView, schemaPos: number): Field[] | null => {
    const vec = table(view, schemaPos).ref(1);
    if (!vec) return null;
    const fields: Field[] = [];
    for (let i = 0, n = view.getUint32(vec, true); i < n; i++) {
      const at = vec + 4 + 4 * i;
      const f = table(view, at + view.getUint32(at, true));
      const children = f.ref(5);
      if (f.has(4) || (children && view.getUint32(children, true) > 0)) return null; // dictionary or nested
      const name = f.has(0) ? text(view, f.ref(0)) : '';
      const kind = f.u8(2);
      const t = f.has(3) ? table(view, f.ref(3)) : null;
      const fixed = (width: number, num: Field['num'] = null): Field => ({ name, layout: 'fixed', width, num });
      if (kind === 2 && t) fields.push(fixed(t.i32(0) / 8, { float: false, signed: t.u8(1) === 1 }));
      else if (kind === 3 && t && t.i16(0) > 0) fields.push(fixed(t.i16(0) === 1 ? 4 : 8, { float: true, signed: true }));
      else if (kind === 4 || kind === 5) fields.push({ name, layout: 'var', width: 0, num: null });
      else if (kind === 6) fields.push({ name, layout: 'bool', width: 0, num: null });
      else if (kind === 7 && t) fields.push(fixed(t.i32(2, 128) / 8));
      else if (kind === 8 && t) fields.push(fixed(t.i16(0, 1) === 0 ? 4 : 8)); // DateUnit: DAY 0, MILLISECOND 1 (the default)
      else if (kind === 9 && t) fields.push(fixed(t.i32(1, 32) / 8));
      else if (kind === 10 || kind === 18) fields.push(fixed(8));
      else if (kind === 11 && t) fields.push(fixed([4, 8, 16][t.i16(0)] ?? 0));
      else if (kind === 15 && t) fields.push(fixed(t.i32(0)));
      else return null;
      const last = fields[fields.length - 1]!;
      if (last.layout === 'fixed' && !(last.width > 0)) return null;
    }
    return fields;
  };

  /** The messages of one stream. Framing: [0xFFFFFFFF], int32 metadata length, the Message flatbuffer, then its body (bodyLength, field 3). */
  function* messages(stream: Uint8Array): Generator<IpcMessage> {
    const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
    let pos = 0;
    while (pos + 8 <= stream.byteLength) {
      const marked = view.getInt32(pos, true) === -1;
      const prefix = marked ? 8 : 4;
      const metaLength = view.getInt32(pos + prefix - 4, true);
      if (metaLength === 0) return; // end of stream
      const meta = pos + prefix;
      const message = table(view, meta + view.getUint32(meta, true));
      const body = meta + metaLength;
      const end = body + message.i64(3);
      yield { pos, body, end, type: message.u8(1), header: message.ref(2), marked };
      pos = end;
    }
  }

  /** Every block's batches; null if unsupported. */
  const read = (blocks: readonly Uint8Array[], options: { maxRows?: number } = {}): Rows | null => {
    const maxRows = options.maxRows ?? Infinity;
    let total = 0;
    let schema: Uint8Array | null = null;
    let fields: Field[] | null = null;
    const batches: IpcBatch[] = [];
    for (const stream of blocks) {
      if (total >= maxRows) break;
      const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
      for (const { pos, body, end, type, header } of messages(stream)) {
        if (total >= maxRows) break;
        if (end > stream.byteLength) return null;
        if (type === 1) {
          const bytes = stream.subarray(pos, body);
          if (!schema) {
            schema = bytes;
            fields = fieldsOf(view, header);
            if (!fields) return null;
          } else if (bytes.byteLength !== schema.byteLength || bytes.some((b, i) => b !== schema![i])) return null;
        } else if (type === 3 && fields) {
          const batch = table(view, header);
          if (batch.has(3)) return null; // compressed
          const nodes = batch.ref(1);
          const buffers = batch.ref(2);
          const bufs: Uint8Array[] = [];
          for (let i = 0, n = view.getUint32(buffers, true); i < n; i++) {
            const at = buffers + 4 + 16 * i; // a vector's structs follow its length word
            const from = body + Number(view.getBigInt64(at, true));
            const bytes = stream.subarray(from, from + Number(view.getBigInt64(at + 8, true)));
            // Values are read as 32-bit words: a buffer not on a 4-byte boundary is copied to one.
            bufs.push(bytes.byteOffset % 4 === 0 ? bytes : bytes.slice());
          }
          const nulls: number[] = [];
          for (let i = 0, n = view.getUint32(nodes, true); i < n; i++) nulls.push(Number(view.getBigInt64(nodes + 4 + 16 * i + 8, true)));
          if (nulls.length !== fields.length) return null;
          const length = batch.i64(0);
          batches.push({ length, first: total, bufs, nulls });
          total += length;
        } else if (type !== 3) return null; // dictionary batches and the rest
      }
    }
    if (!schema || !fields) return null;
    return { schema, fields, count: total, batches };
  };

  /** Index of field `c`'s first buffer in a batch: validity, then values (fixed, bool) or offsets and data (var). */
  const firstBuffer = (fields: readonly Field[], c: number): number => fields.slice(0, c).reduce((n, g) => n + (g.layout === 'var' ? 3 : 2), 0);
  const bit = (bits: Uint8Array, i: number): number => (bits[i >> 3]! >> (i & 7)) & 1;

  const column = (rows: Rows, c: number, bytes?: (byteLength: number) => Uint8Array): IpcCol => {
    const f = rows.fields[c]!;
    const first = firstBuffer(rows.fields, c);
    const width = f.layout === 'bool' ? 1 : f.width;
    const valid = rows.batches.some((b) => b.nulls[c]! > 0) ? new Uint8Array(rows.count).fill(1) : null;
    const data = bytes ? bytes(rows.count * width) : new Uint8Array(rows.count * width);
    for (const b of rows.batches) {
      if (valid && b.nulls[c]! > 0) for (let i = 0; i < b.length; i++) valid[b.first + i] = bit(b.bufs[first]!, i);
      if (f.layout === 'bool') for (let i = 0; i < b.length; i++) data[b.first + i] = bit(b.bufs[first + 1]!, i);
      else data.set(b.bufs[first + 1]!.subarray(0, b.length * width), b.first * width);
    }
    return { data, valid };
  };

  // --- Writing: per part, the schema message, one record batch, end of stream ---
  const pad8 = (n: number): number => (n + 7) & ~7;
  /** A part's stream with its header written and its body zeroed; `at[k]`: where its buffer k starts. */
  const frame = (schema: Uint8Array, m: number, buffers: readonly number[], nulls: readonly number[]): { out: Uint8Array; at: number[] } => {
    const bodyLength = buffers.reduce((n, b) => n + pad8(b), 0);
    // The Message flatbuffer (hand laid out; positions from its start):
    //   0 root → 16 | 4 Message vtable (4 fields) | 16 Message {version 20, header_type 22, header 24 → 56, bodyLength 32}
    //   40 RecordBatch vtable (3 fields) | 56 RecordBatch {nodes 60 → 84, length 64, buffers 72 → nodesEnd + 4}
    //   84 nodes: count, then 16-byte structs at 88 | buffers: count at nodesEnd + 4, structs at nodesEnd + 8.
    const nodesEnd = 88 + 16 * nulls.length;
    const metaLength = pad8(nodesEnd + 8 + 16 * buffers.length);
    const start = schema.byteLength;
    const body = start + 8 + metaLength;
    const out = alloc ? alloc(body + bodyLength + 8) : new Uint8Array(body + bodyLength + 8);
    out.set(schema, 0);
    const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
    v.setInt32(start, -1, true);
    v.setInt32(start + 4, metaLength, true);
    const fb = start + 8;
    const u16 = (at: number, ...xs: number[]): void => xs.forEach((x, i) => v.setUint16(fb + at + 2 * i, x, true));
    const i64 = (at: number, x: number): void => v.setBigInt64(fb + at, BigInt(x), true);
    v.setUint32(fb, 16, true);
    u16(4, 12, 24, 4, 6, 8, 16);
    v.setInt32(fb + 16, 12, true);
    v.setInt16(fb + 20, 4, true); // MetadataVersion V5
    v.setUint8(fb + 22, 3); // RecordBatch
    v.setUint32(fb + 24, 32, true);
    i64(32, bodyLength);
    u16(40, 10, 24, 8, 4, 16);
    v.setInt32(fb + 56, 16, true);
    v.setUint32(fb + 60, 24, true);
    i64(64, m);
    v.setUint32(fb + 72, nodesEnd + 4 - 72, true);
    v.setUint32(fb + 84, nulls.length, true);
    nulls.forEach((n, c) => (i64(88 + 16 * c, m), i64(96 + 16 * c, n)));
    v.setUint32(fb + nodesEnd + 4, buffers.length, true);
    const at: number[] = [];
    let offset = 0;
    buffers.forEach((b, i) => {
      i64(nodesEnd + 8 + 16 * i, offset);
      i64(nodesEnd + 16 + 16 * i, b);
      at.push(body + offset);
      offset += pad8(b);
    });
    v.setInt32(body + bodyLength, -1, true); // end of stream (the length word after it stays 0)
    return { out, at };
  };

  /**
   * The one length every value of string column `c` has in every batch (no nulls; ids such as db-benchmark's
   * `id001` are), else -1. Such a column is written as fixed-width values: a scatter of L bytes per row, with
   * no per-row offsets to read or sum (3 of the 4 random accesses per string).
   */
  const sameLength = (batches: readonly IpcBatch[], first: number, c: number): number => {
    let L = -1;
    for (const b of batches) {
      if (b.nulls[c]! > 0) return -1;
      if (b.length === 0) continue;
      const offsets = b.bufs[first + 1]!;
      const o = new Int32Array(offsets.buffer, offsets.byteOffset, b.length + 1);
      const w = o[1]! - o[0]!;
      if (w <= 0 || (L >= 0 && w !== L) || o[b.length]! - o[0]! !== w * b.length) return -1;
      for (let i = 1; i < b.length; i++) if (o[i + 1]! - o[i]! !== w) return -1;
      L = w;
    }
    return L;
  };

  const write = (rows: Rows, sizes: readonly number[], partOf: Uint32Array | null, slotOf: Uint32Array): Uint8Array[] => {
    const { fields, batches } = rows;
    const parts = sizes.length;
    const F = fields.length;
    const firsts = fields.map((_, c) => firstBuffer(fields, c));
    const widths = fields.map((f, c) => (f.layout === 'var' ? sameLength(batches, firsts[c]!, c) : -1));
    // First pass: each part's null counts and string bytes per column (a string column whose values all have
    // one length L needs none: a part of m rows holds m·L bytes).
    const nulls = sizes.map(() => new Array<number>(F).fill(0));
    const bytes = sizes.map((m) => widths.map((w) => (w > 0 ? m * w : 0)));
    for (let c = 0; c < F; c++) {
      const isVar = fields[c]!.layout === 'var' && widths[c]! < 0;
      if (!isVar && batches.every((b) => b.nulls[c] === 0)) continue;
      for (const b of batches) {
        const vb = b.nulls[c]! > 0 ? b.bufs[firsts[c]!]! : null;
        const o = isVar ? new Int32Array(b.bufs[firsts[c]! + 1]!.buffer, b.bufs[firsts[c]! + 1]!.byteOffset, b.length + 1) : null;
        for (let i = 0; i < b.length; i++) {
          const r = b.first + i;
          if (slotOf[r] === SKIP) continue;
          const p = partOf ? partOf[r]! : 0;
          if (vb && !bit(vb, i)) nulls[p]![c]!++;
          if (o) bytes[p]![c]! += o[i + 1]! - o[i]!;
        }
      }
    }
    const framed = sizes.map((m, p) => {
      const buffers: number[] = [];
      fields.forEach((f, c) => {
        buffers.push(nulls[p]![c]! ? (m + 7) >> 3 : 0);
        if (f.layout === 'var') buffers.push(4 * (m + 1), bytes[p]![c]!);
        else buffers.push(f.layout === 'bool' ? (m + 7) >> 3 : m * f.width);
      });
      return frame(rows.schema, m, buffers, nulls[p]!);
    });
    // Then each column: every value to its part and slot. A part lists its buffers in the input batches'
    // order (validity, then values or offsets and data), so field c's start at `at[first]` there too.
    for (let c = 0; c < F; c++) {
      const f = fields[c]!;
      const first = firsts[c]!;
      const setBit = (p: number, buf: number, s: number): void => {
        const { out, at } = framed[p]!;
        out[at[buf]! + (s >> 3)]! |= 1 << (s & 7);
      };
      // Var: each part's offsets buffer, which first takes the lengths (at slot + 1) and is summed below.
      const offs = f.layout === 'var' ? framed.map(({ out, at }, p) => new Int32Array(out.buffer, out.byteOffset + at[first + 1]!, sizes[p]! + 1)) : [];
      // Fixed width in whole 32-bit words: each part's values buffer as words (made once per column, not per batch).
      const words = f.layout === 'fixed' && f.width % 4 === 0 ? f.width / 4 : 0;
      const dst = words ? framed.map(({ out, at }, p) => new Int32Array(out.buffer, out.byteOffset + at[first + 1]!, sizes[p]! * words)) : [];
      // A part with nulls in this column has a validity bitmap: every valid row must set its bit, also the rows
      // of a batch that has no bitmap of its own (no nulls there).
      const bitmapped = nulls.some((n) => n[c]! > 0);
      const outs = framed.map((x) => x.out);
      const to = f.layout === 'var' && widths[c]! > 0 ? framed.map(({ out }) => new DataView(out.buffer, out.byteOffset, out.byteLength)) : [];
      const dataAt = framed.map((x) => x.at[first + 2]!);
      for (const b of batches) {
        const vb = b.nulls[c]! > 0 ? b.bufs[first]! : null;
        const values = b.bufs[first + 1]!;
        if (bitmapped || f.layout === 'bool') {
          for (let i = 0; i < b.length; i++) {
            const r = b.first + i;
            const s = slotOf[r]!;
            if (s === SKIP) continue;
            const p = partOf ? partOf[r]! : 0;
            if (nulls[p]![c]! && (!vb || bit(vb, i))) setBit(p, first, s);
            if (f.layout === 'bool' && bit(values, i)) setBit(p, first + 1, s);
          }
        }
        if (f.layout === 'var' && widths[c]! > 0) {
          // Every value L bytes long: each goes to slot·L of its part, and the offsets are 0, L, 2L... (below).
          const L = widths[c]!;
          const L4 = L & ~3;
          const base = new Int32Array(values.buffer, values.byteOffset, 1)[0]!;
          const src = b.bufs[first + 2]!;
          const from = new DataView(src.buffer, src.byteOffset, src.byteLength);
          // Four bytes at a time where they fit (unaligned 32-bit moves), then the rest byte by byte.
          for (let i = 0; i < b.length; i++) {
            const r = b.first + i;
            const s = slotOf[r]!;
            if (s === SKIP) continue;
            const p = partOf ? partOf[r]! : 0;
            const view = to[p]!;
            const d = dataAt[p]! + s * L;
            const f0 = base + i * L;
            let q = 0;
            for (; q < L4; q += 4) view.setUint32(d + q, from.getUint32(f0 + q, true), true);
            for (; q < L; q++) view.setUint8(d + q, from.getUint8(f0 + q));
          }
        } else if (f.layout === 'var') {
          // Lengths to their slots now; offsets are summed from them once every batch is in (below).
          const o = new Int32Array(values.buffer, values.byteOffset, b.length + 1);
          for (let i = 0; i < b.length; i++) {
            const r = b.first + i;
            const s = slotOf[r]!;
            if (s !== SKIP) offs[partOf ? partOf[r]! : 0]![s + 1] = o[i + 1]! - o[i]!;
          }
        } else if (f.layout === 'fixed') {
          const w = f.width;
          if (words) {
            const src = new Int32Array(values.buffer, values.byteOffset, b.length * words);
            for (let i = 0; i < b.length; i++) {
              const r = b.first + i;
              const s = slotOf[r]!;
              if (s === SKIP) continue;
              const d = dst[partOf ? partOf[r]! : 0]!;
              if (words === 2) {
                d[2 * s] = src[2 * i]!;
                d[2 * s + 1] = src[2 * i + 1]!;
              } else for (let q = 0; q < words; q++) d[words * s + q] = src[words * i + q]!;
            }
          } else {
            for (let i = 0; i < b.length; i++) {
              const r = b.first + i;
              const s = slotOf[r]!;
              if (s === SKIP) continue;
              const { out, at } = framed[partOf ? partOf[r]! : 0]!;
              for (let q = 0; q < w; q++) out[at[first + 1]! + w * s + q] = values[w * i + q]!;
            }
          }
        }
      }
      if (f.layout !== 'var') continue;
      if (widths[c]! > 0) {
        const L = widths[c]!;
        for (const o of offs) for (let j = 1; j < o.length; j++) o[j] = j * L;
        continue;
      }
      // Offsets: each part's lengths summed in slot order; then every string's bytes copied to its offset.
      for (const o of offs) for (let j = 1; j < o.length; j++) o[j]! += o[j - 1]!;
      for (const b of batches) {
        const o = new Int32Array(b.bufs[first + 1]!.buffer, b.bufs[first + 1]!.byteOffset, b.length + 1);
        const src = b.bufs[first + 2]!;
        for (let i = 0; i < b.length; i++) {
          const r = b.first + i;
          const s = slotOf[r]!;
          if (s === SKIP) continue;
          const p = partOf ? partOf[r]! : 0;
          const out = outs[p]!;
          const d = dataAt[p]! + offs[p]![s]!;
          const from = o[i]!;
          const to = o[i + 1]!;
          if (to - from > 24) out.set(src.subarray(from, to), d);
          else for (let q = from; q < to; q++) out[d + q - from] = src[q]!;
        }
      }
    }
    return framed.map((f) => f.out);
  };

  const schemaOnly = (stream: Uint8Array): Uint8Array | null => {
    const first = messages(stream).next();
    if (first.done || first.value.type !== 1 || first.value.end > stream.byteLength) return null;
    const out = new Uint8Array(first.value.end + 8);
    out.set(stream.subarray(0, first.value.end));
    new DataView(out.buffer).setInt32(first.value.end, -1, true);
    return out;
  };

  return { messages, read, column, write, schemaOnly };
}
