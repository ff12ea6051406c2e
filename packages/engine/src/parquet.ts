/**
 * Parquet in and out of the engine, through parquet-wasm (Rust's arrow-rs
 * Parquet reader and writer compiled to WebAssembly, ~5 MB, fetched on first
 * use). DuckDB-WASM reads and writes Parquet only through its `parquet`
 * extension, which it downloads from extensions.duckdb.org at run time: a
 * closed network (this project's machines, many labs) has none, and its COPY
 * then traps. parquet-wasm ships inside its npm package.
 *
 * Measured on parquet-wasm 0.8.0: `readParquet` honours `offset`/`limit`
 * (rows) but traps on `rowGroups` and ignores `columns`, so a partition of a
 * file is a row range and column pruning happens in the engine after loading.
 */

export interface ParquetCodec {
  /** A Parquet file's rows (or `limit` rows from `offset`) as one Arrow IPC stream. */
  read(file: Uint8Array, range?: { offset: number; limit: number }): Uint8Array;
  /** An Arrow IPC stream as a Parquet file (snappy). */
  write(ipc: Uint8Array): Uint8Array;
}

interface ParquetWasm {
  readParquet(file: Uint8Array, options?: { offset?: number; limit?: number }): { intoIPCStream(): Uint8Array };
  writeParquet(table: unknown, properties?: unknown): Uint8Array;
  Table: { fromIPCStream(ipc: Uint8Array): unknown };
}

export function codecOf(pq: ParquetWasm): ParquetCodec {
  return {
    read(file, range) {
      const table = pq.readParquet(file, range ? { offset: range.offset, limit: range.limit } : undefined);
      return table.intoIPCStream();
    },
    write(ipc) {
      return pq.writeParquet(pq.Table.fromIPCStream(ipc));
    },
  };
}

let codec: Promise<ParquetCodec> | null = null;

/** This realm's codec (the wasm fetched and compiled once). */
export function loadParquetCodec(): Promise<ParquetCodec> {
  codec ??= (async () => {
    const [mod, wasm] = await Promise.all([import('parquet-wasm/esm'), import('parquet-wasm/esm/parquet_wasm_bg.wasm?url')]);
    await mod.default({ module_or_path: new URL(wasm.default, import.meta.url).href });
    return codecOf(mod as unknown as ParquetWasm);
  })();
  codec.catch(() => (codec = null));
  return codec;
}
