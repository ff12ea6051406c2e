/**
 * The Engine over DuckDB-WASM's blocking bindings: one implementation for the
 * browser (browserEngine.ts) and Node (nodeEngine.ts), which differ only in how
 * the bindings are made.
 *
 * Scoping: one database per JS realm, shared by the tasks of a Web Worker. Each
 * session has its own connection and its own schema (`shoal_s<n>`), first on the
 * connection's search_path, so `load('in0')` and `CREATE TABLE t` land there and
 * unqualified names resolve there. Two tasks interleaved in one Web Worker (one
 * blocked in ctx.get) therefore never see or drop each other's tables, and
 * `reset()` is `DROP SCHEMA ... CASCADE`. Registered files are database-wide
 * (DuckDB has one file system): each session drops the names it registered.
 *
 * Zero-row streams: DuckDB's `insertArrowFromIPCStream` creates no table from a
 * stream with no record batches (what DuckDB itself writes for an empty
 * result). `load` then re-encodes the stream's schema with apache-arrow, whose
 * writer emits one empty batch, which DuckDB does turn into an empty table.
 */
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { ShoalError } from '@shoal/protocol';
import type { ParquetCodec } from './parquet.ts';
import type { Engine, EngineSession, FileFormat, WriteOptions } from './engine.ts';
import { KeptTables } from './keptTables.ts';

/** The part of DuckDB-WASM's `DuckDBBindings` the engine uses (structural: both bundles' bindings fit). */
export interface DuckBindings {
  connect(): { useUnsafe<R>(callback: (bindings: unknown, conn: number) => R): R };
  disconnect(conn: number): void;
  runQuery(conn: number, text: string): Uint8Array;
  insertArrowFromIPCStream(conn: number, buffer: Uint8Array, options?: { name: string; schema?: string; create?: boolean }): void;
  registerFileURL(name: string, url: string, proto: number, directIO: boolean): void;
  registerFileBuffer(name: string, buffer: Uint8Array): void;
  copyFileToBuffer(name: string): Uint8Array;
  dropFile(name: string): void;
  getVersion(): string;
}

/**
 * How both loaders open DuckDB:
 * - `castDecimalToDouble`: DECIMAL and HUGEINT (what `sum` of an integer column gives) come out as Float64.
 *   apache-arrow reads Decimal128 as its unscaled integer in an object (1.25 as DECIMAL(10,2) reads as "125"),
 *   which no task wants; Float64 is exact below 2^53 (cast to BIGINT in SQL to keep integers integers).
 * - `reliableHeadRequests`: a remote file is probed with `HEAD` + `Range: bytes=0-` and then read by Range
 *   requests; without it DuckDB-WASM downloads the whole file. A server that answers the probe otherwise
 *   still works, by a full download (`allowFullHTTPReads`).
 */
export const DUCKDB_OPEN_CONFIG = {
  query: { castDecimalToDouble: true },
  filesystem: { reliableHeadRequests: true, allowFullHTTPReads: true, forceFullHTTPReads: false },
} as const;

/** What the loaders call on fresh bindings before handing them to createEngineDatabase. */
export type BlockingBindings = DuckBindings & { instantiate(progress: () => void): Promise<unknown>; open(config: object): void };

/** One DuckDB instance; `session()` opens an isolated engine on it. */
export interface EngineDatabase {
  /** DuckDB's version, e.g. 'v1.4.3'. */
  readonly version: string;
  /** True once a call ended in a WebAssembly trap; the loaders then make a new instance for the next session. */
  readonly broken: boolean;
  session(): EngineSession;
  /** The keys of the tables kept here (Engine.keep), least recently used first. */
  keptKeys(): string[];
}

export interface DatabaseOptions {
  /** The bundle's `DuckDBDataProtocol.HTTP`. */
  httpProtocol: number;
  /**
   * Where `write` puts its file before reading it back. In the browser a bare
   * name is an in-memory file (the default, ''); in Node it would land in the
   * working directory, so nodeEngine.ts gives a temp folder and a way to remove it.
   */
  scratch?: { dir: string; remove(path: string): void };
  /** DuckDB's `memory_limit` in bytes (ctx.engine() gives the worker's task memory cap); DuckDB's default if absent. */
  memoryLimitBytes?: number | null;
  /** The Parquet codec (parquet.ts), loaded on a session's first `parquet()` call. */
  parquet?: () => Promise<ParquetCodec>;
  /** Bytes of Arrow IPC that kept tables (Engine.keep) may hold; default half the memory limit, or 512 MiB. */
  keptBytes?: number;
}

/**
 * Wraps opened bindings. Extension autoloading is turned off: DuckDB-WASM keeps
 * Parquet (and JSON, httpfs...) as extensions it would fetch from DuckDB's
 * site on first use; in Node that fetch hangs the process (no synchronous
 * HTTP), and in a Chromium that cannot reach the site it ends in a WebAssembly
 * trap ("function signature mismatch") that leaves the instance unusable. So
 * `read_parquet` and `write(.., 'parquet')` fail with DuckDB's "exists in the
 * parquet extension" (ERR_ENGINE) instead; see README.md.
 */
export function createEngineDatabase(bindings: DuckBindings, options: DatabaseOptions): EngineDatabase {
  let sessions = 0;
  let files = 0;
  const scratch = options.scratch ?? { dir: '', remove: () => {} };
  const noParquet = (): Promise<ParquetCodec> => Promise.reject(new ShoalError('ERR_ENGINE', 'this engine was made without a Parquet codec'));
  const context: SessionContext = { db: bindings, httpProtocol: options.httpProtocol, scratch, mintFile: () => `${scratch.dir}__shoal_out_${++files}`, broken: false, parquet: options.parquet ?? noParquet, kept: new KeptTables(options.keptBytes ?? (options.memoryLimitBytes ? options.memoryLimitBytes / 2 : 512 * 2 ** 20)), compressed: new Set() };
  const setup = bindings.connect().useUnsafe((_, id) => id);
  bindings.runQuery(setup, 'SET autoload_known_extensions = false; SET autoinstall_known_extensions = false');
  if (options.memoryLimitBytes) bindings.runQuery(setup, `SET memory_limit = '${Math.max(1, Math.floor(options.memoryLimitBytes / 2 ** 20))}MiB'`);
  bindings.disconnect(setup);
  return {
    version: bindings.getVersion(),
    get broken() {
      return context.broken;
    },
    session: () => openSession(context, `shoal_s${++sessions}`),
    keptKeys: () => context.kept.keys(),
  };
}

interface SessionContext {
  db: DuckBindings;
  httpProtocol: number;
  scratch: { remove(path: string): void };
  mintFile: () => string;
  /** Set when a call ended in a WebAssembly trap: the instance's state cannot be trusted after one. */
  broken: boolean;
  parquet: () => Promise<ParquetCodec>;
  /** Tables kept across sessions (Engine.keep), in schema `main`, or in KEPT_CATALOG when in `compressed`. */
  kept: KeptTables;
  /** Kept tables made in KEPT_CATALOG, with dictionary-encoded strings (queryAndKeep). */
  compressed: Set<string>;
}

/**
 * The in-memory catalog, with compression on, of kept tables whose strings repeat: DuckDB stores such a
 * column dictionary-encoded (DICT_FSST) and groups by it on its codes. On db-benchmark's 10M-row table
 * (5M rows a tab) `GROUP BY id1` (100 values) took 26-57 ms instead of 136-198, `GROUP BY id1, id2` 115-155
 * instead of 262-351; a string column of mostly distinct values (id3) grouped slower so (334-499 against
 * 349-421 ms), so only repetitive columns are encoded and everything else is stored as it is.
 */
const KEPT_CATALOG = 'shoal_kept';

/** A kept table's qualified name. */
function keptRef(context: SessionContext, table: string): string {
  return `${context.compressed.has(table) ? `${KEPT_CATALOG}.main` : 'main'}.${quoteId(table)}`;
}


/** Rows a table needs before its strings are worth encoding, and how often a value must repeat on average. */
const DICTIONARY_MIN_ROWS = 4096;
const DICTIONARY_MIN_REPEATS = 16;

/** The VARCHAR columns of `table` whose first 64k rows repeat each value DICTIONARY_MIN_REPEATS times or more on average. */
function repetitiveStrings(run: (sql: string) => Uint8Array, table: string, columns: readonly { name: string; type: string }[]): Set<string> {
  const strings = columns.filter((c) => c.type === 'VARCHAR');
  if (strings.length === 0) return new Set();
  const probe = tableFromIPC(run(`SELECT count(*)::DOUBLE AS n, ${strings.map((c, i) => `approx_count_distinct(${quoteId(c.name)})::DOUBLE AS d${i}`).join(', ')} FROM (SELECT * FROM ${table} LIMIT 65536)`));
  const n = Number(probe.getChild('n')!.get(0));
  if (n < DICTIONARY_MIN_ROWS) return new Set();
  return new Set(strings.filter((_, i) => Number(probe.getChild(`d${i}`)!.get(0)) * DICTIONARY_MIN_REPEATS <= n).map((c) => c.name));
}

/** DuckDB's error as ERR_ENGINE. Insert errors come as JSON (`{"exception_type", "exception_message"}`). */
export function engineError(thrown: unknown): ShoalError {
  if (thrown instanceof ShoalError) return thrown;
  let message = thrown instanceof Error ? thrown.message : String(thrown);
  if (message.startsWith('{')) {
    try {
      const parsed = JSON.parse(message) as { exception_type?: string; exception_message?: string };
      if (parsed.exception_message) message = `${parsed.exception_type ?? 'DuckDB'} Error: ${parsed.exception_message}`;
    } catch {
      // not JSON after all: keep the message as it is
    }
  }
  return new ShoalError('ERR_ENGINE', message);
}

/**
 * DuckDB-WASM's `runQuery` answers an Arrow IPC *file* (`ARROW1` magic, the
 * stream, a footer). The file holds the whole stream, EOS included, between the
 * 8-byte magic and the footer, so the stream is a view of it (no copy).
 */
export function fileToStream(file: Uint8Array): Uint8Array {
  const magic = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // "ARROW1"
  const n = file.byteLength;
  if (n < 18 || magic.some((byte, i) => file[i] !== byte || file[n - 6 + i] !== byte)) return file;
  const footer = new DataView(file.buffer, file.byteOffset + n - 10, 4).getInt32(0, true);
  return file.subarray(8, n - 10 - footer);
}

/** DuckDB types that DuckDB-WASM exports to Arrow and reads back as the same type (a kept result must equal its bytes). */
const SAME_IN_ARROW = /^(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|VARCHAR|DATE|TIMESTAMP)$/;

/**
 * DuckDB groups by integer keys whose value range (from the column statistics) fits this many bits in an array
 * indexed by the key (PERFECT_HASH_GROUP_BY) instead of a hash table. Its default, 12 bits (4096 values), leaves
 * db-benchmark's id6 (1..100 000) to the hash table: GROUP BY id6 over 2.5M rows took 150-190 ms hashed and 60-90
 * ms at 18 bits (Node, the same duckdb-eh.wasm). At 18 bits the array holds at most 262 144 groups' states.
 */
export const PERFECT_HASH_BITS = 18;

const quoteId = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const quoteStr = (text: string): string => `'${text.replaceAll("'", "''")}'`;

function openSession(context: SessionContext, schema: string): EngineSession {
  const { db, httpProtocol, scratch, mintFile } = context;
  const guard = <T>(work: () => T): T => {
    try {
      return work();
    } catch (thrown) {
      if (thrown instanceof WebAssembly.RuntimeError) context.broken = true;
      throw engineError(thrown);
    }
  };
  const connect = (): number => guard(() => db.connect().useUnsafe((_, id) => id));
  let conn = connect();
  let open = true;
  const files = new Set<string>();
  /** Runs `sql`; its result as an IPC stream. */
  const run = (sql: string): Uint8Array => {
    if (!open) throw new ShoalError('ERR_ENGINE', 'this engine session is closed (a task engine closes when its task ends)');
    return fileToStream(guard(() => db.runQuery(conn, sql)));
  };
  const S = quoteId(schema);
  // The connection's settings: its search path, and perfect hash aggregation up to PERFECT_HASH_BITS (see there).
  const searchPath = `SET search_path = ${quoteStr(`${schema},main`)}; SET perfect_ht_threshold = ${PERFECT_HASH_BITS}`;
  run(`CREATE SCHEMA ${S}; ${searchPath}`);

  const tableExists = (name: string, inSchema = schema): boolean => {
    const out = tableFromIPC(run(`SELECT 1 FROM duckdb_tables() WHERE schema_name = ${quoteStr(inSchema)} AND table_name = ${quoteStr(name)}`));
    return out.numRows > 0;
  };
  const insert = (name: string, ipc: Uint8Array, create: boolean, inSchema = schema): void => {
    try {
      db.insertArrowFromIPCStream(conn, ipc, { name, schema: inSchema, create });
    } catch (thrown) {
      reconnect();
      throw engineError(thrown);
    }
  };
  /**
   * A stream that fails, or that is not a whole stream, leaves the connection's Arrow reader mid-stream (often
   * without an error), and the next insert would read on from there: start a fresh connection (the schema and
   * its tables are the database's, not the connection's).
   */
  const reconnect = (): void => {
    guard(() => db.disconnect(conn));
    conn = connect();
    run(searchPath);
  };

  /** Kept tables this session uses (pinned until it closes or resets). */
  const pinned = new Set<string>();
  const unpinAll = (): void => {
    for (const key of pinned) context.kept.unpin(key);
    pinned.clear();
  };
  /** Drops a kept table from whichever catalog holds it. */
  const dropKept = (table: string): void => {
    run(`DROP TABLE IF EXISTS ${keptRef(context, table)}`);
    context.compressed.delete(table);
  };

  const engine: EngineSession = {
    parquet: () => context.parquet(),
    kept: (key) => context.kept.has(key),
    keep(key, blocks, bytes) {
      const kept = context.kept;
      const use = (table: string): string => {
        if (!pinned.has(key)) {
          pinned.add(key);
          kept.pin(key);
        }
        return keptRef(context, table);
      };
      const hit = kept.hit(key);
      if (hit) return use(hit.table);
      const slot = kept.admit(key, bytes);
      if (!slot) return null;
      for (const old of slot.evict) dropKept(old.table);
      try {
        const given = blocks();
        let created = false;
        for (const stream of given instanceof Uint8Array ? [given] : given) {
          if (stream.byteLength === 0) continue;
          insert(slot.table, stream, !created, 'main');
          if (!created) created = tableExists(slot.table, 'main');
        }
        if (!created) {
          // Nothing but empty streams: not worth keeping; the caller loads it as usual.
          kept.remove(key);
          return null;
        }
      } catch (thrown) {
        kept.remove(key);
        dropKept(slot.table);
        throw thrown;
      }
      return use(slot.table);
    },
    queryAndKeep(key, sql) {
      const kept = context.kept;
      const held = kept.hit(key);
      if (held) return run(`SELECT * FROM ${keptRef(context, held.table)}`);
      const tempName = `__shoal_keeping_${schema}`;
      const temp = `main.${quoteId(tempName)}`;
      run(`CREATE OR REPLACE TABLE ${temp} AS ${sql}`);
      let ipc: Uint8Array;
      let slot: ReturnType<KeptTables['admit']> = null;
      let columns: { name: string; type: string }[] = [];
      try {
        ipc = run(`SELECT * FROM ${temp}`);
        const described = tableFromIPC(run(`SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ${quoteStr(tempName)} ORDER BY column_index`));
        const names = described.getChild('column_name')!.toArray() as string[];
        columns = (described.getChild('data_type')!.toArray() as string[]).map((type, i) => ({ name: names[i]!, type }));
        if (columns.every((c) => SAME_IN_ARROW.test(c.type))) slot = kept.admit(key, ipc.byteLength);
      } catch (thrown) {
        run(`DROP TABLE IF EXISTS ${temp}`);
        throw thrown;
      }
      if (!slot) {
        run(`DROP TABLE IF EXISTS ${temp}`);
        return ipc;
      }
      for (const old of slot.evict) dropKept(old.table);
      const dictionary = repetitiveStrings(run, temp, columns);
      if (dictionary.size === 0) {
        run(`ALTER TABLE ${temp} RENAME TO ${quoteId(slot.table)}`);
        return ipc;
      }
      // Strings with few distinct values are kept dictionary-encoded (see README: compressed kept tables).
      try {
        run(`ATTACH IF NOT EXISTS ':memory:' AS ${KEPT_CATALOG} (COMPRESS)`);
        const spec = columns.map((c) => `${quoteId(c.name)} ${c.type} USING COMPRESSION ${dictionary.has(c.name) ? 'dict_fsst' : 'uncompressed'}`);
        context.compressed.add(slot.table);
        // Rows are compressed when checkpointed (an insert of fewer than a few row groups is not compressed before).
        run(`CREATE TABLE ${keptRef(context, slot.table)} (${spec.join(', ')}); INSERT INTO ${keptRef(context, slot.table)} SELECT * FROM ${temp}; CHECKPOINT ${KEPT_CATALOG}`);
      } catch (thrown) {
        kept.remove(key);
        dropKept(slot.table);
        throw thrown;
      } finally {
        run(`DROP TABLE IF EXISTS ${temp}`);
      }
      return ipc;
    },
    load(name, ipc) {
      const streams = ipc instanceof Uint8Array ? [ipc] : [...ipc];
      if (streams.length === 0) throw new ShoalError('ERR_ENGINE', `load('${name}') needs at least one Arrow IPC stream (a zero-row stream gives the table its columns)`);
      run(`DROP TABLE IF EXISTS ${S}.${quoteId(name)}`);
      let created = false;
      for (const stream of streams) {
        insert(name, stream, !created);
        // An insert that creates nothing (a stream without batches) leaves `created` false for the next one.
        if (!created) created = tableExists(name);
      }
      if (!created) {
        reconnect();
        // Every stream was empty: make the table from the first one's schema (apache-arrow writes one empty batch).
        const schemaOnly = guard(() => tableToIPC(tableFromIPC(streams[0]!), 'stream'));
        insert(name, schemaOnly, true);
        if (!tableExists(name)) throw new ShoalError('ERR_ENGINE', `load('${name}'): DuckDB made no table from a zero-row stream`);
      }
    },
    registerUrl(name, url) {
      guard(() => db.registerFileURL(name, url, httpProtocol, false));
      files.add(name);
    },
    registerBuffer(name, bytes) {
      // DuckDB keeps the buffer it is given (and may detach it): give it a copy the caller cannot touch.
      guard(() => db.registerFileBuffer(name, bytes.slice()));
      files.add(name);
    },
    query: (sql) => run(sql),
    exec(sql) {
      run(sql);
    },
    queryPartitioned(sql, keys, n) {
      if (!Number.isInteger(n) || n < 1) throw new ShoalError('ERR_ENGINE', `queryPartitioned needs a whole number of parts >= 1, got ${n}`);
      if (keys.length === 0) throw new ShoalError('ERR_ENGINE', 'queryPartitioned needs at least one key column');
      const temp = `${S}.__shoal_parts`;
      run(`CREATE OR REPLACE TABLE ${temp} AS SELECT *, (hash(${keys.map(quoteId).join(', ')}) % ${n})::INTEGER AS __shoal_p FROM (${sql})`);
      try {
        return Array.from({ length: n }, (_, i) => run(`SELECT * EXCLUDE (__shoal_p) FROM ${temp} WHERE __shoal_p = ${i}`));
      } finally {
        run(`DROP TABLE IF EXISTS ${temp}`);
      }
    },
    write(sql, format, options = {}) {
      const copy = copyOptions(format, options);
      // COPY to a file registered beforehand (the async API's registerEmptyFileBuffer) hangs the blocking
      // bindings of DuckDB-WASM 1.32 when the buffer is empty, and writes nothing into a non-empty one; a
      // COPY to a name never registered makes an in-memory file in the browser, which copyFileToBuffer reads.
      const file = `${mintFile()}.${format}`;
      try {
        run(`COPY (${sql}) TO ${quoteStr(file)} (${copy})`);
        return guard(() => db.copyFileToBuffer(file));
      } finally {
        try {
          db.dropFile(file);
        } finally {
          scratch.remove(file);
        }
      }
    },
    reset() {
      // The search_path is set again: DuckDB does not find names in a schema dropped and made again under it.
      run(`DROP SCHEMA IF EXISTS ${S} CASCADE; CREATE SCHEMA ${S}; ${searchPath}`);
      for (const name of files) guard(() => db.dropFile(name));
      files.clear();
      unpinAll();
    },
    close() {
      if (!open) return;
      try {
        run(`DROP SCHEMA IF EXISTS ${S} CASCADE`);
        for (const name of files) guard(() => db.dropFile(name));
        files.clear();
      } finally {
        open = false;
        unpinAll();
        guard(() => db.disconnect(conn));
      }
    },
  };
  return engine;
}

function copyOptions(format: FileFormat, options: WriteOptions): string {
  if (format === 'parquet') {
    const parts = ['FORMAT parquet'];
    if (options.compression) parts.push(`COMPRESSION ${options.compression}`);
    if (options.rowGroupSize !== undefined) parts.push(`ROW_GROUP_SIZE ${Math.max(1, Math.floor(options.rowGroupSize))}`);
    return parts.join(', ');
  }
  if (format === 'csv') {
    return [`FORMAT csv`, `HEADER ${options.header === false ? 'false' : 'true'}`, `DELIMITER ${quoteStr(options.delimiter ?? ',')}`].join(', ');
  }
  throw new ShoalError('ERR_ENGINE', `write() takes 'parquet' or 'csv', got '${String(format)}'`);
}
