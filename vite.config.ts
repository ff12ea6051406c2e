import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('./apps', import.meta.url));

/**
 * Multi-page build of the two apps. The signaling server serves `dist/`:
 * `/coordinator.html` (dashboard) and `/worker.html` (join page).
 */
export default defineConfig({
  root,
  publicDir: false,
  base: './',
  // simple-peer's stream dependencies read `global` and `process.env`.
  define: { global: 'globalThis', 'process.env.NODE_DEBUG': 'false' },
  resolve: {
    alias: {
      process: 'process/browser',
      // @shoal/engine's DuckDB-WASM bundle: the blocking build is in the package but not in its `exports`.
      '@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs': fileURLToPath(new URL('./node_modules/@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs', import.meta.url)),
    },
  },
  build: {
    outDir: process.env['SHOAL_DIST'] || fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      // DuckDB-WASM's Emscripten glue uses direct eval; it is a lazy chunk of @shoal/engine, and the warning is noise.
      onwarn(warning, warn) {
        if (warning.code === 'EVAL' && warning.id?.includes('@duckdb/duckdb-wasm')) return;
        warn(warning);
      },
      input: { coordinator: `${root}/coordinator.html`, worker: `${root}/worker.html`, 'bench-transfer': `${root}/bench-transfer.html`, 'bench-gpu': `${root}/bench-gpu.html` },
    },
  },
  worker: { format: 'es' },
  server: { fs: { allow: ['..'] } },
});
