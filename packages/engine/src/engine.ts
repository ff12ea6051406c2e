/**
 * The per-partition engine's interface: what a task sees as `await ctx.engine()`.
 * Synchronous once loaded (DuckDB-WASM's blocking bindings run in the task's own
 * Web Worker, so there is no thread to await). Tables travel in and out as Arrow
 * IPC **stream** bytes, the form Shoal's object plane carries between stages.
 *
 *   const e = await ctx.engine();
 *   e.load('in0', blocks);                 // one block from each map task
 *   const parts = e.queryPartitioned('SELECT k, sum(v)::BIGINT AS s FROM in0 GROUP BY k', ['k'], 4);
 *
 * Errors from DuckDB surface as `ShoalError('ERR_ENGINE', <DuckDB's message>)`.
 */
import type { ParquetCodec } from './parquet.ts';

/** Options for `write`; each applies to the formats named. */
export interface WriteOptions {
  /** Parquet: 'snappy' (DuckDB's default), 'zstd', 'gzip' or 'uncompressed'. */
  compression?: 'snappy' | 'zstd' | 'gzip' | 'uncompressed';
  /** Parquet: rows per row group (DuckDB's default 122880). */
  rowGroupSize?: number;
  /** CSV: write a header line (default true). */
  header?: boolean;
  /** CSV: the field delimiter (default ','). */
  delimiter?: string;
}

export type FileFormat = 'parquet' | 'csv';

export interface Engine {
  /**
   * Creates or replaces table `name` from one or more Arrow IPC streams (several
   * are concatenated, in order; they must share a schema). Streams with zero
   * rows still give the table its columns.
   */
  load(name: string, ipc: Uint8Array | readonly Uint8Array[]): void;
  /**
   * A remote file over HTTP(S), read with Range requests: `read_csv('name')`. (DuckDB's `read_parquet`
   * needs its parquet extension, which the engine does not fetch: use `parquet()`; README.md.)
   */
  registerUrl(name: string, url: string): void;
  /** An in-memory file (a copy is kept): `read_csv('name')`. */
  registerBuffer(name: string, bytes: Uint8Array): void;
  /**
   * A table that outlives the task, for data that does not change under `key` (e.g. the id of the
   * stored object it comes from). The first call in this Web Worker loads `blocks()` (Arrow IPC
   * streams; called only then) into a table of the Web Worker's database; later calls, from any task's
   * engine here, answer the same table without loading anything. Returns the table's qualified name
   * for SQL (`SELECT ... FROM ${name}`), or null when it does not fit the budget for kept tables (then
   * `load` it as usual). Least recently used tables go first when room is needed, never one that a
   * running task's engine uses. `bytes`: the size to count against the budget (the streams' length).
   */
  keep(key: string, blocks: () => Uint8Array | readonly Uint8Array[], bytes: number): string | null;
  /** Whether this Web Worker's engine keeps a table under `key` (see `keep`). */
  kept(key: string): boolean;
  /**
   * `query(sql)`, whose result is also kept as the table under `key` (as `keep` would after loading the
   * answer back), when it fits the budget and every column type reads back from Arrow as itself; for a
   * result stored as an object under `key`, so that the next task here reads it in place.
   */
  queryAndKeep(key: string, sql: string): Uint8Array;
  /** Runs `sql` and returns its result as one Arrow IPC stream. */
  query(sql: string): Uint8Array;
  /** Runs `sql` (one or more statements) for its effect. */
  exec(sql: string): void;
  /**
   * Runs `sql` once and splits its rows into `n` Arrow IPC streams by
   * `hash(keys...) % n`: rows with equal keys land in the same part, every row
   * in exactly one. Empty parts are streams with the schema and no rows.
   */
  queryPartitioned(sql: string, keys: readonly string[], n: number): Uint8Array[];
  /** The result of `sql` as a file's bytes (COPY ... TO an in-memory file); 'parquet' needs DuckDB's extension (off). */
  write(sql: string, format: FileFormat, options?: WriteOptions): Uint8Array;
  /** Drops every table, view and file this engine made (its own scope only). */
  reset(): void;
  /**
   * The Parquet codec (parquet-wasm, loaded on first call): `read(fileBytes, {offset, limit}?)` gives
   * an IPC stream to `load`, `write(ipc)` a Parquet file. DuckDB-WASM's own Parquet support is an
   * extension it would download at run time (see parquet.ts).
   */
  parquet(): Promise<ParquetCodec>;
}

/** An engine with a scope of its own (a DuckDB connection and schema) that can be closed. */
export interface EngineSession extends Engine {
  /** Drops what the session made and closes its connection; later calls throw ERR_ENGINE. */
  close(): void;
}
