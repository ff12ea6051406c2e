import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { chromiumArgs, PLAYWRIGHT_DISABLED_FEATURES } from './chromium-args.ts';

const REQUIRED = [
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--enable-unsafe-webgpu',
];

describe('chromiumArgs', () => {
  it('includes every flag from DESIGN.md', () => {
    const args = chromiumArgs({ root: false });
    for (const flag of REQUIRED) expect(args).toContain(flag);
  });

  it('adds --no-sandbox only as root', () => {
    expect(chromiumArgs({ root: true })).toContain('--no-sandbox');
    expect(chromiumArgs({ root: false })).not.toContain('--no-sandbox');
    expect(chromiumArgs().includes('--no-sandbox')).toBe(process.getuid?.() === 0);
  });

  it('passes one --disable-features that keeps Playwright’s list and turns off mDNS candidates', () => {
    const flags = chromiumArgs({ root: false }).filter((arg) => arg.startsWith('--disable-features='));
    expect(flags).toHaveLength(1);
    const features = flags[0]!.slice('--disable-features='.length).split(',');
    expect(features).toContain('WebRtcHideLocalIpsWithMdns');
    for (const feature of PLAYWRIGHT_DISABLED_FEATURES) expect(features).toContain(feature);
    expect(new Set(features).size).toBe(features.length);
  });

  it('has no duplicate flags', () => {
    const args = chromiumArgs({ root: true });
    expect(new Set(args).size).toBe(args.length);
  });

  it("still matches the disabled features of the installed playwright-core", () => {
    // Playwright's list is internal; read it from its bundle so an upgrade
    // that changes it fails here instead of silently re-enabling features.
    const require = createRequire(import.meta.url);
    const bundle = readFileSync(require.resolve('playwright-core/lib/coreBundle'), 'utf8');
    const match = /disabledFeatures = \[([\s\S]*?)\]/.exec(bundle);
    if (match === null) return; // The bundle's shape changed; nothing to compare.
    const installed = [...match[1]!.matchAll(/^\s*(?:process\.env\.\w+ \? "" : )?"([^"]+)"/gm)].map((m) => m[1]);
    expect(installed.length).toBeGreaterThan(0);
    expect([...PLAYWRIGHT_DISABLED_FEATURES].sort()).toEqual([...installed].sort());
  });
});
