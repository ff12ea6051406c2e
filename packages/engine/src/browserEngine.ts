/**
 * The engine in the browser (a dedicated Web Worker, or a page): DuckDB-WASM's
 * blocking bundle, fetched on the first call and never before. Both imports are
 * dynamic, so the ~34 MB `duckdb-eh.wasm` and the DuckDB JS are chunks of their
 * own that worker.html and coordinator.html do not load until a task calls
 * `ctx.engine()`. One database per JS realm; concurrent first calls share one load.
 *
 * The blocking bundle is not in @duckdb/duckdb-wasm's `exports`; vite.config.ts
 * aliases its path to the file.
 */
import { ShoalError } from '@shoal/protocol';
import { DUCKDB_OPEN_CONFIG, createEngineDatabase, type BlockingBindings, type EngineDatabase } from './duckEngine.ts';
import type { Engine, EngineSession } from './engine.ts';
import { loadParquetCodec } from './parquet.ts';

let database: Promise<EngineDatabase> | null = null;
let shared: Promise<Engine> | null = null;
let loadMs: number | null = null;
/** The database once loaded, to see whether it is broken. */
let current: EngineDatabase | null = null;

/** This realm's DuckDB (fetched, compiled and opened once). */
/** An instance that hit a WebAssembly trap is dropped; the next load makes a new one (the wasm comes from the HTTP cache). */
function dropBroken(): void {
  if (current?.broken) database = shared = current = null;
}

/** Options for the first load in this realm (later calls share that instance and ignore them). */
export interface LoadOptions {
  /** DuckDB's memory_limit in bytes; DuckDB's default (80% of what it sees) if absent. */
  memoryLimitBytes?: number | null;
}

export function loadDatabase(options: LoadOptions = {}): Promise<EngineDatabase> {
  dropBroken();
  database ??= (async () => {
    const started = performance.now();
    const [duckdb, wasm] = await Promise.all([
      import('@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs'),
      import('@duckdb/duckdb-wasm/dist/duckdb-eh.wasm?url'),
    ]);
    // Chromium has WebAssembly exception handling, so the EH build is the one chosen; MVP points at it too (never fetched twice).
    const bundle = { mainModule: new URL(wasm.default, import.meta.url).href, mainWorker: '' };
    let db: EngineDatabase;
    try {
      const bindings = (await duckdb.createDuckDB({ mvp: bundle, eh: bundle }, new duckdb.VoidLogger(), duckdb.BROWSER_RUNTIME)) as BlockingBindings;
      await bindings.instantiate(() => {});
      bindings.open(DUCKDB_OPEN_CONFIG);
      db = createEngineDatabase(bindings, { memoryLimitBytes: options.memoryLimitBytes ?? null, httpProtocol: duckdb.DuckDBDataProtocol.HTTP, parquet: loadParquetCodec });
    } catch (thrown) {
      throw new ShoalError('ERR_ENGINE', `could not load DuckDB-WASM from ${bundle.mainModule}: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
    }
    loadMs ??= performance.now() - started;
    current = db;
    return db;
  })();
  database.catch(() => (database = null));
  return database;
}

/** This realm's shared engine (one session on its DuckDB, never closed). */
export function loadEngine(): Promise<Engine> {
  dropBroken();
  shared ??= loadDatabase().then((db) => db.session());
  shared.catch(() => (shared = null));
  return shared;
}

/** A session of its own (connection and schema) on this realm's DuckDB: what ctx.engine() gives each task. */
export async function openEngineSession(options: LoadOptions = {}): Promise<EngineSession> {
  return (await loadDatabase(options)).session();
}

/** Milliseconds the first load took (fetch, compile, open), or null before it finished. */
export function engineLoadMs(): number | null {
  return loadMs;
}

/** The keys of the tables this realm's engine keeps (Engine.keep); none before it loads. */
export function keptKeys(): string[] {
  return current && !current.broken ? current.keptKeys() : [];
}
