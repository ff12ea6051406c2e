/** Making sure the coordinator and worker pages are built before they are served. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShoalError } from '@shoal/protocol';

/** The monorepo root, resolved from this file's location (packages/launcher/src). */
export function repoRoot(): string {
  return fileURLToPath(new URL('../../../', import.meta.url)).replace(/[\\/]$/, '');
}

/**
 * Where `npm run build` puts the pages, and where the server serves them from:
 * `<root>/dist`, or `$SHOAL_DIST` (so two checkouts' builds, or parallel
 * developers' e2e runs, need not share one folder).
 */
export function distDir(root: string = repoRoot()): string {
  const override = process.env['SHOAL_DIST'];
  return override ? override : join(root, 'dist');
}

export interface EnsureAppsBuiltResult {
  /** True when this call ran a build; false when `dist/` was already there. */
  built: boolean;
  ms: number;
}

/**
 * Builds the apps with Vite (programmatically, `logLevel: 'warn'`) when
 * `<root>/dist/coordinator.html` is missing; does nothing otherwise.
 * It never rebuilds a stale `dist/`: run `npm run build` after changing apps.
 */
export async function ensureAppsBuilt(root: string = repoRoot()): Promise<EnsureAppsBuiltResult> {
  const started = performance.now();
  if (existsSync(join(distDir(root), 'coordinator.html'))) return { built: false, ms: performance.now() - started };
  const configFile = join(root, 'vite.config.ts');
  if (!existsSync(configFile)) {
    throw new ShoalError('ERR_INTERNAL', `cannot build the apps: ${configFile} does not exist`);
  }
  // Loaded lazily: Vite is large, and most runs find dist/ already built.
  const { build } = await import('vite');
  try {
    // No `root` here: an inline root would override the config's own (apps/).
    await build({ configFile, logLevel: 'warn' });
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new ShoalError('ERR_INTERNAL', `building the apps failed (npm run build shows the same): ${detail}`, { cause });
  }
  if (!existsSync(join(distDir(root), 'coordinator.html'))) {
    throw new ShoalError('ERR_INTERNAL', `the Vite build finished but ${join(distDir(root), 'coordinator.html')} is missing`);
  }
  return { built: true, ms: performance.now() - started };
}
