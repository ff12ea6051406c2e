import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { openPaced } from './detachedWorkers.ts';
import { PIPE_BROWSER_SWITCHES, pipeBrowserArgs } from './pipeBrowser.ts';

describe('opening detached tabs', () => {
  it('keeps at most `window` tabs opened and not yet ready', async () => {
    const log: string[] = [];
    let opened = 0;
    let ready = 0;
    let most = 0;
    await openPaced(
      7,
      3,
      async (i) => {
        opened++;
        most = Math.max(most, opened - ready);
        log.push(`open ${i}`);
      },
      async (n) => {
        log.push(`wait ${n}`);
        ready = Math.max(ready, n); // the coordinator lists n workers
      },
    );
    expect(log).toEqual(['open 1', 'open 2', 'open 3', 'wait 1', 'open 4', 'wait 2', 'open 5', 'wait 3', 'open 6', 'wait 4', 'open 7']);
    expect(most).toBe(3);
  });

  it('opens the rest at once when a wait fails (the readiness wait then reports)', async () => {
    const log: string[] = [];
    await openPaced(
      5,
      2,
      async (i) => void log.push(`open ${i}`),
      async (n) => {
        log.push(`wait ${n}`);
        throw new Error('ERR_TIMEOUT');
      },
    );
    expect(log).toEqual(['open 1', 'open 2', 'wait 1', 'open 3', 'open 4', 'open 5']);
  });

  it('opens nothing for no tabs, and treats a window below 1 as 1', async () => {
    const log: string[] = [];
    await openPaced(0, 8, async (i) => void log.push(`open ${i}`), async () => undefined);
    expect(log).toEqual([]);
    await openPaced(2, 0, async (i) => void log.push(`open ${i}`), async (n) => void log.push(`wait ${n}`));
    expect(log).toEqual(['open 1', 'wait 1', 'open 2']);
  });
});

describe('a pipe browser', () => {
  it('runs headless with Playwright-like switches, Shoal flags, extra flags, the pipe and its own profile', () => {
    const args = pipeBrowserArgs('/tmp/profile', { args: ['--renderer-process-limit=9'] });
    expect(args).toEqual(expect.arrayContaining([...PIPE_BROWSER_SWITCHES, '--headless', '--disable-renderer-backgrounding', '--remote-debugging-pipe', '--user-data-dir=/tmp/profile']));
    expect(args.indexOf('--renderer-process-limit=9')).toBeGreaterThan(args.indexOf('--headless'));
    expect(args.filter((a) => a.startsWith('--disable-features='))).toHaveLength(1);
    expect(args.find((a) => a.startsWith('--disable-features='))).toContain('WebRtcHideLocalIpsWithMdns');
    expect(args).not.toContain('--remote-debugging-port=0');
  });

  it("passes only switches the installed playwright-core's launch passes too (but the startup window)", () => {
    // A tab in a pipe browser must cost what it would in Playwright's, less the attachment: read Playwright's
    // switches from its bundle, so an upgrade that drops one fails here.
    const require = createRequire(import.meta.url);
    const bundle = readFileSync(require.resolve('playwright-core/lib/coreBundle'), 'utf8');
    const match = /chromiumSwitches = \(options\) => \[([\s\S]*?)\]\.filter/.exec(bundle);
    if (match === null) return; // The bundle's shape changed; nothing to compare.
    const installed = new Set([...match[1]!.matchAll(/"(--[^"]+)"/g)].map((m) => m[1]));
    expect(installed.size).toBeGreaterThan(10);
    for (const flag of PIPE_BROWSER_SWITCHES.filter((f) => f !== '--no-startup-window')) expect(installed).toContain(flag);
  });

  it('draws a window when not headless', () => {
    expect(pipeBrowserArgs('/tmp/p', { headless: false })).not.toContain('--headless');
  });
});
