/**
 * The engine in Node (unit tests, benches): DuckDB-WASM's Node blocking bundle
 * over the same `duckdb-eh.wasm` the browser fetches, behind the same Engine
 * (duckEngine.ts). Imported as `@shoal/engine/node`; browser code never imports it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DUCKDB_OPEN_CONFIG, createEngineDatabase, type BlockingBindings, type EngineDatabase } from './duckEngine.ts';
import type { Engine } from './engine.ts';
import { loadNodeParquetCodec } from './nodeParquet.ts';

let database: Promise<EngineDatabase> | null = null;
let shared: Promise<Engine> | null = null;

/** The process's DuckDB (loaded once; concurrent first calls share the load). */
export function loadNodeDatabase(): Promise<EngineDatabase> {
  database ??= (async () => {
    const require = createRequire(import.meta.url);
    const duckdb = require('@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs') as typeof import('@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs').default;
    const bundle = { mainModule: require.resolve('@duckdb/duckdb-wasm/dist/duckdb-eh.wasm'), mainWorker: require.resolve('@duckdb/duckdb-wasm/dist/duckdb-node-eh.worker.cjs') };
    const bindings = (await duckdb.createDuckDB({ mvp: bundle, eh: bundle }, new duckdb.VoidLogger(), duckdb.NODE_RUNTIME)) as BlockingBindings;
    await bindings.instantiate(() => {});
    bindings.open(DUCKDB_OPEN_CONFIG);
    const dir = mkdtempSync(join(tmpdir(), 'shoal-engine-'));
    const remove = (path: string) => rmSync(path, { force: true });
    return createEngineDatabase(bindings, { httpProtocol: duckdb.DuckDBDataProtocol.HTTP, scratch: { dir: `${dir}/`, remove }, parquet: loadNodeParquetCodec });
  })();
  database.catch(() => (database = null));
  return database;
}

/** The process's shared engine (one session on the process's DuckDB). */
export function loadNodeEngine(): Promise<Engine> {
  shared ??= loadNodeDatabase().then((db) => db.session());
  shared.catch(() => (shared = null));
  return shared;
}
