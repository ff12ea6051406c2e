import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ShoalError } from '@shoal/protocol';
import { findBrowser, SYSTEM_BROWSER_PATHS } from './find-browser.ts';

const dir = mkdtempSync(join(tmpdir(), 'shoal-find-browser-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeExecutable(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

const shoal = fakeExecutable('shoal-chrome');
const chromePath = fakeExecutable('chrome-path');
const playwright = fakeExecutable('playwright-chrome');
const system1 = fakeExecutable('system-1');
const system2 = fakeExecutable('system-2');
const missing = join(dir, 'missing');

function errorOf(run: () => unknown): ShoalError {
  try {
    run();
  } catch (error) {
    if (error instanceof ShoalError) return error;
    throw error;
  }
  throw new Error('expected findBrowser to throw');
}

describe('findBrowser', () => {
  it('prefers SHOAL_CHROMIUM over everything', () => {
    const found = findBrowser({ env: { SHOAL_CHROMIUM: shoal, CHROME_PATH: chromePath }, playwrightPath: () => playwright, systemPaths: [system1] });
    expect(found).toEqual({ path: shoal, source: 'env' });
  });

  it('uses CHROME_PATH when SHOAL_CHROMIUM is unset or empty', () => {
    expect(findBrowser({ env: { CHROME_PATH: chromePath }, playwrightPath: () => playwright })).toEqual({ path: chromePath, source: 'env' });
    expect(findBrowser({ env: { SHOAL_CHROMIUM: '', CHROME_PATH: chromePath } })).toEqual({ path: chromePath, source: 'env' });
  });

  it("uses Playwright's Chromium next, only if it exists", () => {
    expect(findBrowser({ env: {}, playwrightPath: () => playwright, systemPaths: [system1] })).toEqual({ path: playwright, source: 'playwright' });
    expect(findBrowser({ env: {}, playwrightPath: () => missing, systemPaths: [system1] })).toEqual({ path: system1, source: 'system' });
    expect(findBrowser({ env: {}, playwrightPath: () => undefined, systemPaths: [system1] })).toEqual({ path: system1, source: 'system' });
  });

  it('tries system paths in order, skipping missing ones', () => {
    expect(findBrowser({ env: {}, playwrightPath: () => undefined, systemPaths: [missing, system2, system1] })).toEqual({
      path: system2,
      source: 'system',
    });
  });

  it('skips directories', () => {
    expect(findBrowser({ env: {}, playwrightPath: () => undefined, systemPaths: [dir, system1] }).path).toBe(system1);
  });

  it('names the variable when an override points at a missing file', () => {
    const error = errorOf(() => findBrowser({ env: { SHOAL_CHROMIUM: missing }, playwrightPath: () => playwright }));
    expect(error.code).toBe('ERR_NO_BROWSER');
    expect(error.message).toContain('SHOAL_CHROMIUM');
    expect(error.message).toContain(missing);

    const fromChromePath = errorOf(() => findBrowser({ env: { CHROME_PATH: missing }, playwrightPath: () => playwright }));
    expect(fromChromePath.message).toContain('CHROME_PATH');
  });

  it('says how to install Chromium when none is found', () => {
    const error = errorOf(() => findBrowser({ env: {}, playwrightPath: () => missing, systemPaths: [missing] }));
    expect(error.code).toBe('ERR_NO_BROWSER');
    expect(error.message).toContain('apt-get install -y chromium');
    expect(error.message).toContain('SHOAL_CHROMIUM=/path/to/chrome');
  });

  it('reads process.env by default', () => {
    const saved = process.env['SHOAL_CHROMIUM'];
    process.env['SHOAL_CHROMIUM'] = shoal;
    try {
      expect(findBrowser()).toEqual({ path: shoal, source: 'env' });
    } finally {
      if (saved === undefined) delete process.env['SHOAL_CHROMIUM'];
      else process.env['SHOAL_CHROMIUM'] = saved;
    }
  });

  it('lists the Debian paths first', () => {
    expect(SYSTEM_BROWSER_PATHS.slice(0, 2)).toEqual(['/usr/bin/chromium', '/usr/lib/chromium/chromium']);
  });
});
