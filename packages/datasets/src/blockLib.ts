/**
 * Blocks and batches, self-contained: this function ships as source inside
 * every dataset task and pool actor (blockTask.ts embeds its text), and the
 * job uses the same functions to read blocks it fetches.
 *
 * A block is `{n, cols}`: `n` rows, and one column per name, each a typed
 * array (numbers) or a plain array (anything else). Typed columns travel as
 * raw bytes through the object plane (no Arrow encoding on the hot path).
 *
 * Batch formats, as `mapBatches` and `iterBatches` see them:
 * - `'columns'`: `{name: column}` (the block's own arrays, no copy);
 * - `'rows'`: an array of plain objects;
 * - `'arrow'`: an apache-arrow Table (needs the arrow module).
 * A batch function may return any of the three (or a block); anything else
 * is `ERR_BAD_BATCH`.
 */
export type Column = ArrayLike<unknown> & { length: number };
export interface Block {
  n: number;
  cols: Record<string, Column>;
}
export type BatchFormat = 'columns' | 'rows' | 'arrow';

export interface BlockLib {
  empty(): Block;
  fromRows(rows: readonly unknown[]): Block;
  toRows(block: Block): Record<string, unknown>[];
  fromColumns(cols: Record<string, unknown>): Block;
  fromArrow(table: any): Block;
  toArrow(block: Block, arrow: any): any;
  /** `value` as a block, whatever batch form it has; throws a message (no code) when it is none. */
  normalize(value: unknown): Block;
  toBatch(block: Block, format: BatchFormat, arrow: any): unknown;
  slice(block: Block, start: number, end: number): Block;
  concat(blocks: readonly Block[]): Block;
  /** Rows at `indices`, in that order. */
  take(block: Block, indices: ArrayLike<number>): Block;
  bytes(block: Block): number;
  /** A seeded generator of floats in [0, 1) (mulberry32). */
  random(seed: number): () => number;
}

/** The helpers (self-contained: its text ships to workers). */
export function blockLib(): BlockLib {
  const isTyped = (v: unknown): v is Float64Array => ArrayBuffer.isView(v) && !(v instanceof DataView);
  const colOf = (values: unknown[]): Column => {
    let numeric = values.length > 0;
    for (const v of values) if (typeof v !== 'number') { numeric = false; break; }
    return numeric ? Float64Array.from(values as number[]) : values;
  };
  const sliceCol = (c: Column, start: number, end: number): Column => (isTyped(c) ? c.subarray(start, end) : Array.prototype.slice.call(c, start, end));
  const lib: BlockLib = {
    empty: () => ({ n: 0, cols: {} }),
    fromRows(rows) {
      const names: string[] = [];
      const seen = new Set<string>();
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i];
        if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new Error(`row ${i} is ${row === null ? 'null' : Array.isArray(row) ? 'an array' : typeof row}, not a plain object`);
        for (const k of Object.keys(row)) if (!seen.has(k)) { seen.add(k); names.push(k); }
      }
      const cols: Record<string, Column> = {};
      for (const name of names) cols[name] = colOf(rows.map((r) => (r as Record<string, unknown>)[name] ?? null));
      return { n: rows.length, cols };
    },
    toRows(block) {
      const names = Object.keys(block.cols);
      const rows = new Array(block.n);
      for (let i = 0; i < block.n; i++) {
        const row: Record<string, unknown> = {};
        for (const name of names) row[name] = block.cols[name]![i];
        rows[i] = row;
      }
      return rows;
    },
    fromColumns(cols) {
      let n = -1;
      const out: Record<string, Column> = {};
      for (const [name, c] of Object.entries(cols)) {
        if (!isTyped(c) && !Array.isArray(c)) throw new Error(`column '${name}' is ${c === null ? 'null' : typeof c}, not an array`);
        const len = (c as Column).length;
        if (n >= 0 && len !== n) throw new Error(`column '${name}' has ${len} values, others ${n}`);
        n = len;
        out[name] = Array.isArray(c) ? colOf(c) : (c as Column);
      }
      return { n: Math.max(0, n), cols: out };
    },
    fromArrow(table) {
      const cols: Record<string, Column> = {};
      for (const field of table.schema.fields) {
        const vector = table.getChild(field.name);
        const values = vector.toArray();
        cols[field.name] = isTyped(values) && vector.nullCount === 0 ? values : Array.from(values as ArrayLike<unknown>);
      }
      return { n: table.numRows, cols };
    },
    toArrow(block, arrow) {
      const data: Record<string, unknown> = {};
      for (const [name, c] of Object.entries(block.cols)) data[name] = isTyped(c) ? arrow.makeVector(c) : arrow.vectorFromArray(Array.from(c));
      return new arrow.Table(data);
    },
    normalize(value) {
      if (value === null || value === undefined) throw new Error(`returned ${value}, not a batch`);
      if (Array.isArray(value)) return lib.fromRows(value);
      if (typeof value !== 'object') throw new Error(`returned a ${typeof value}, not a batch (rows, columns or an Arrow table)`);
      const v = value as Record<string, unknown>;
      if (v['schema'] && typeof v['numRows'] === 'number' && typeof v['getChild'] === 'function') return lib.fromArrow(v);
      if (typeof v['n'] === 'number' && v['cols'] && typeof v['cols'] === 'object' && Object.keys(v).length === 2) return lib.fromColumns(v['cols'] as Record<string, unknown>);
      return lib.fromColumns(v);
    },
    toBatch(block, format, arrow) {
      if (format === 'rows') return lib.toRows(block);
      if (format === 'arrow') return lib.toArrow(block, arrow);
      return { ...block.cols };
    },
    slice(block, start, end) {
      const s = Math.max(0, Math.min(start, block.n));
      const e = Math.max(s, Math.min(end, block.n));
      const cols: Record<string, Column> = {};
      for (const [name, c] of Object.entries(block.cols)) cols[name] = sliceCol(c, s, e);
      return { n: e - s, cols };
    },
    concat(blocks) {
      const parts = blocks.filter((b) => b.n > 0);
      if (parts.length === 0) return blocks[0] ?? lib.empty();
      if (parts.length === 1) return parts[0]!;
      const n = parts.reduce((sum, b) => sum + b.n, 0);
      const names: string[] = [];
      for (const b of parts) for (const k of Object.keys(b.cols)) if (!names.includes(k)) names.push(k);
      const cols: Record<string, Column> = {};
      for (const name of names) {
        const typed = parts.every((b) => isTyped(b.cols[name]) && (b.cols[name] as object).constructor === (parts[0]!.cols[name] as object).constructor);
        if (typed) {
          const Ctor = (parts[0]!.cols[name] as object).constructor as new (n: number) => Float64Array;
          const out = new Ctor(n);
          let at = 0;
          for (const b of parts) { out.set(b.cols[name] as Float64Array, at); at += b.n; }
          cols[name] = out;
        } else {
          const out: unknown[] = [];
          for (const b of parts) {
            const c = b.cols[name];
            for (let i = 0; i < b.n; i++) out.push(c ? c[i] : null);
          }
          cols[name] = out;
        }
      }
      return { n, cols };
    },
    take(block, indices) {
      const cols: Record<string, Column> = {};
      for (const [name, c] of Object.entries(block.cols)) {
        const out = isTyped(c) ? new ((c as object).constructor as new (n: number) => Float64Array)(indices.length) : new Array(indices.length);
        for (let i = 0; i < indices.length; i++) (out as unknown[])[i] = c[indices[i]!];
        cols[name] = out;
      }
      return { n: indices.length, cols };
    },
    bytes(block) {
      let total = 0;
      for (const c of Object.values(block.cols)) {
        if (isTyped(c)) total += c.byteLength;
        else for (let i = 0; i < c.length; i++) {
          const v = c[i];
          total += typeof v === 'string' ? v.length + 8 : ArrayBuffer.isView(v) ? v.byteLength : 8;
        }
      }
      return total;
    },
    random(seed) {
      let a = seed >>> 0;
      return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    },
  };
  return lib;
}
