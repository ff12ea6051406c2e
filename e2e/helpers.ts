/** Shared helpers for the e2e specs. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startLocalCluster, type LocalCluster, type LocalClusterOptions } from '@shoal/launcher';

export const REPO = fileURLToPath(new URL('..', import.meta.url));

export function example(name: string): string {
  return readFileSync(new URL(`../examples/${name}`, import.meta.url), 'utf8');
}

/** A cluster whose page errors are collected, so a spec can assert there were none. */
export async function cluster(options: LocalClusterOptions = {}): Promise<LocalCluster & { pageErrors: string[] }> {
  const pageErrors: string[] = [];
  const started = await startLocalCluster({
    workers: 2,
    slotsPerWorker: 1,
    ...options,
    onLog: (source, text) => {
      options.onLog?.(source, text);
      if (text.startsWith('uncaught ') || text === 'page crashed') pageErrors.push(`${source}: ${text}`);
      if (process.env['SHOAL_E2E_VERBOSE']) console.log(`[${source}] ${text}`);
    },
  });
  return Object.assign(started, { pageErrors });
}

/** A job module from a function body: `job('return 1')`. */
export function job(body: string): string {
  return `export default async (cluster) => {\n${body}\n};\n`;
}
