/**
 * Types for the DuckDB-WASM entry points the engine imports. The blocking
 * bundles are not in the package's `exports` types (the browser one is not in
 * its `exports` at all: vite.config.ts aliases it), so their shape is declared
 * here, as far as the loaders use it; the bindings they make are cast to
 * `BlockingBindings` (duckEngine.ts).
 */
declare module '@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs' {
  interface Bundle { mainModule: string; mainWorker: string }
  interface NodeBlocking {
    createDuckDB(bundles: { mvp: Bundle; eh?: Bundle }, logger: unknown, runtime: unknown): Promise<unknown>;
    VoidLogger: new () => unknown;
    NODE_RUNTIME: unknown;
    DuckDBDataProtocol: { HTTP: number; BUFFER: number };
  }
  const module: NodeBlocking;
  export default module;
}

declare module '@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs' {
  interface Bundle { mainModule: string; mainWorker: string }
  export function createDuckDB(bundles: { mvp: Bundle; eh?: Bundle }, logger: unknown, runtime: unknown): Promise<unknown>;
  export const VoidLogger: new () => unknown;
  export const BROWSER_RUNTIME: unknown;
  export const DuckDBDataProtocol: { HTTP: number; BUFFER: number };
}
