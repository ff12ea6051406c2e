/**
 * A CDP CPU profile summed by function, self and total time (for the scale
 * probes). Frames of the built pages are named by their original source
 * (`file.ts:line`) through the build's source maps, read from `SHOAL_DIST`
 * (or `dist/`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import type { CDPSession } from 'playwright-core';
import { distDir } from '@shoal/launcher';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }

const maps = new Map<string, SourceMap | null>();

/** The source map of a built asset (`.../assets/x.js`), or null. */
function mapFor(url: string): SourceMap | null {
  const file = url.split('/').pop() ?? '';
  if (!maps.has(file)) {
    const path = join(distDir(), 'assets', `${file}.map`);
    maps.set(file, file.endsWith('.js') && existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8'))) : null);
  }
  return maps.get(file)!;
}

/** `name@file.ts:line` for a frame of a built page, else `name@file`. */
function frameName(frame: ProfileNode['callFrame']): string {
  const name = frame.functionName || '(anon)';
  const map = frame.url ? mapFor(frame.url) : null;
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number; name?: string } | undefined;
  if (entry?.originalSource) return `${entry.name ?? name}@${entry.originalSource.replace(/^.*\/(node_modules|packages)\//, '$1/')}:${(entry.originalLine ?? 0) + 1}`;
  return `${name}@${frame.url.split('/').pop()}`;
}

export async function startProfile(session: CDPSession): Promise<() => Promise<{ self: string[]; total: string[] }>> {
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: 200 });
  await session.send('Profiler.start');
  return async () => {
    const { profile } = (await session.send('Profiler.stop')) as unknown as { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } };
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const names = new Map(profile.nodes.map((n) => [n.id, frameName(n.callFrame)]));
    const self = new Map<string, number>();
    const total = new Map<string, number>();
    profile.samples.forEach((id, k) => {
      const ms = (profile.timeDeltas[k] ?? 0) / 1000;
      const key = names.get(id)!;
      self.set(key, (self.get(key) ?? 0) + ms);
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const k2 = names.get(at)!;
        if (!seen.has(k2)) total.set(k2, (total.get(k2) ?? 0) + ms);
        seen.add(k2);
      }
    });
    const top = (m: Map<string, number>, k: number) => [...m].filter(([n]) => !/^\((idle|root)\)/.test(n)).sort((a, b) => b[1] - a[1]).slice(0, k).map(([n, ms]) => `${n} ${ms.toFixed(0)}ms`);
    return { self: top(self, 15), total: top(total, 30) };
  };
}
