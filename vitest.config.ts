import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // As in vite.config.ts: @shoal/engine's lazy import of DuckDB-WASM's browser bundle (not in its `exports`)
  // must resolve for a Node test that imports @shoal/engine to load at all (it never runs there).
  resolve: {
    alias: {
      '@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs': fileURLToPath(new URL('./node_modules/@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs', import.meta.url)),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'signaling-server/src/**/*.test.ts', 'apps/**/*.test.ts'],
    environment: 'node',
    testTimeout: 10_000,
  },
});
