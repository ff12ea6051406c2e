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
  resolve: { alias: { process: 'process/browser' } },
  build: {
    outDir: process.env['SHOAL_DIST'] || fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      input: { coordinator: `${root}/coordinator.html`, worker: `${root}/worker.html`, 'bench-transfer': `${root}/bench-transfer.html`, 'bench-gpu': `${root}/bench-gpu.html` },
    },
  },
  worker: { format: 'es' },
  server: { fs: { allow: ['..'] } },
});
