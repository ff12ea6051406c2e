/**
 * Parquet in and out of the engine, through parquet-wasm (Rust's arrow-rs
 * Parquet reader and writer compiled to WebAssembly, ~5 MB, fetched on first
 * use). DuckDB-WASM reads and writes Parquet only through its `parquet`
 * extension, which it downloads from extensions.duckdb.org at run time: a
 * closed network (this project's machines, many labs) has none, and its COPY
 * then traps. parquet-wasm ships inside its npm package.
 *
 * Measured on parquet-wasm 0.8.0: the synchronous `readParquet` honours
 * `offset`/`limit` (rows) but traps on `rowGroups` and ignores `columns`. The
 * async reader (`ParquetFile.fromUrl(url).read({rowGroups, columns})`, used by
 * `readUrl`) honours both and fetches only what they name by HTTP Range
 * requests: two for the footer (`bytes=-8`, then the metadata), then the
 * chosen row groups' column chunks. So a scan task reads its own row groups
 * straight from the data server, never the whole file.
 */

export interface ParquetCodec {
  /** A Parquet file's rows (or `limit` rows from `offset`) as one Arrow IPC stream. */
  read(file: Uint8Array, range?: { offset: number; limit: number }): Uint8Array;
  /**
   * Part of a remote Parquet file as one Arrow IPC stream, read by HTTP Range requests: the footer, then
   * only the column chunks of `rowGroups` (default all) and `columns` (default all).
   */
  readUrl(url: string, options?: { rowGroups?: number[]; columns?: string[] }): Promise<Uint8Array>;
  /** An Arrow IPC stream as a Parquet file (snappy). */
  write(ipc: Uint8Array): Uint8Array;
}

interface ParquetWasm {
  readParquet(file: Uint8Array, options?: { offset?: number; limit?: number }): { intoIPCStream(): Uint8Array };
  writeParquet(table: unknown, properties?: unknown): Uint8Array;
  Table: { fromIPCStream(ipc: Uint8Array): unknown };
  ParquetFile: { fromUrl(url: string): Promise<{ read(options?: { rowGroups?: number[]; columns?: string[] }): Promise<{ intoIPCStream(): Uint8Array }>; free(): void }> };
}

export function codecOf(pq: ParquetWasm): ParquetCodec {
  return {
    read(file, range) {
      const table = pq.readParquet(file, range ? { offset: range.offset, limit: range.limit } : undefined);
      return table.intoIPCStream();
    },
    async readUrl(url, options = {}) {
      // parquet-wasm's async reader panics on an HTTP error or a file that is not Parquet, and a panic in
      // its async code never settles the promise: probe the footer first, and turn a panic seen as a
      // global error meanwhile (the browser reports it so) into a rejection.
      const probe = await fetch(url, { headers: { Range: 'bytes=-8' } });
      if (!probe.ok) throw new Error(`HTTP ${probe.status} ${(await probe.text()).slice(0, 200)}`);
      const tail = new Uint8Array(await probe.arrayBuffer());
      if (tail.length < 8 || String.fromCharCode(...tail.subarray(tail.length - 4)) !== 'PAR1') throw new Error('not a Parquet file (no PAR1 footer)');
      let onError: ((event: { error?: unknown; message?: string }) => void) | null = null;
      const panicked = new Promise<never>((_, reject) => {
        onError = (event) => {
          if (event.error instanceof WebAssembly.RuntimeError || /unreachable|RuntimeError/.test(String(event.message ?? ''))) reject(new Error(`the Parquet reader failed: ${String(event.message ?? event.error)}`));
        };
      });
      const target = globalThis as unknown as { addEventListener?: (type: string, listener: (event: never) => void) => void; removeEventListener?: (type: string, listener: (event: never) => void) => void };
      target.addEventListener?.('error', onError!);
      try {
        const file = await Promise.race([pq.ParquetFile.fromUrl(url), panicked]);
        try {
          return (await Promise.race([file.read(options), panicked])).intoIPCStream();
        } finally {
          file.free();
        }
      } finally {
        target.removeEventListener?.('error', onError!);
      }
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
