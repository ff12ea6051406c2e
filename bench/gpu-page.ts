/**
 * Builds apps/bench-gpu.html (Vite, the repo's config, into a temp dir so that
 * dist/ is left alone), serves it with the signaling server's static files on
 * localhost (WebGPU needs a secure context), and opens it in headless
 * Chromium with Shoal's flags (SwiftShader WebGPU). Used by bench/gpu.ts and
 * e2e/gpu.spec.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '@shoal/launcher';
import { startSignalingServer } from '@shoal/signaling-server';
import type { OpReply, ShoalGpuPage } from '../apps/bench-gpu.ts';

declare global {
  interface Window {
    shoalGpu?: ShoalGpuPage;
  }
}

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/[\\/]$/, '');

export interface GpuPage {
  page: Page;
  browser: Browser;
  buildMs: number;
  /** Runs an op in the page or its Web Worker; see apps/bench-gpu-ops.ts. */
  run(where: 'page' | 'worker', op: string, args?: unknown): Promise<OpReply>;
  /** Page errors and console errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

async function buildPage(outDir: string): Promise<void> {
  const { build } = await import('vite');
  const { default: config } = await import('../vite.config.ts');
  await build({
    ...config,
    configFile: false,
    logLevel: 'warn',
    build: { ...config.build, outDir, emptyOutDir: true, sourcemap: false, rollupOptions: { input: { 'bench-gpu': join(root, 'apps', 'bench-gpu.html') } } },
  });
}

export async function openGpuPage(): Promise<GpuPage> {
  const outDir = mkdtempSync(join(tmpdir(), 'shoal-gpu-page-'));
  const started = performance.now();
  await buildPage(outDir);
  const buildMs = performance.now() - started;
  const server = await startSignalingServer({ port: 0, host: '127.0.0.1', staticDir: outDir, quiet: true });
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser({ headless: true });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(`uncaught ${error.message}`));
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    await page.goto(`${server.url.replace('127.0.0.1', 'localhost')}/bench-gpu.html`);
    await page.waitForFunction(() => window.shoalGpu !== undefined, undefined, { timeout: 30_000 });
    const opened = browser;
    return {
      page,
      browser: opened,
      buildMs,
      errors,
      run: (where, op, args = {}) => page.evaluate(([w, o, a]) => window.shoalGpu!.run(w, o, a), [where, op, args] as const),
      async close() {
        await opened.close().catch(() => undefined);
        await server.close();
        rmSync(outDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await browser?.close().catch(() => undefined);
    await server.close();
    rmSync(outDir, { recursive: true, force: true });
    throw error;
  }
}
