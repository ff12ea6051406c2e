/**
 * Finding a Chromium to drive. Shoal never downloads a browser: it uses the
 * one the user points at, Playwright's own download if there is one, or the
 * system's (Debian's `chromium` package in CI).
 */
import { statSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { ShoalError } from '@shoal/protocol';

export type BrowserSource = 'env' | 'playwright' | 'system';

export interface FoundBrowser {
  path: string;
  source: BrowserSource;
}

/** Environment variables that name a browser, strongest first. */
export const BROWSER_ENV_VARS = ['SHOAL_CHROMIUM', 'CHROME_PATH'] as const;

/** Where distributions put Chromium or Chrome, in the order they are tried. */
export const SYSTEM_BROWSER_PATHS: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/lib/chromium/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

export const NO_BROWSER_HINT =
  'install Chromium (Debian/Ubuntu: `apt-get install -y chromium`) or set SHOAL_CHROMIUM=/path/to/chrome';

/** Seams for tests; each defaults to the real thing. */
export interface FindBrowserOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** Playwright's downloaded Chromium, whether or not it exists. */
  playwrightPath?: () => string | undefined;
  systemPaths?: readonly string[];
  isFile?: (path: string) => boolean;
}

/**
 * Finds a Chromium executable. Order: `SHOAL_CHROMIUM`, then `CHROME_PATH`
 * (an override naming a missing file is an error, never skipped), then
 * Playwright's downloaded Chromium if it is on disk, then the usual system
 * paths. Throws `ERR_NO_BROWSER` saying how to fix it when nothing is found.
 */
export function findBrowser(options: FindBrowserOptions = {}): FoundBrowser {
  const env = options.env ?? process.env;
  const isFile = options.isFile ?? isExistingFile;

  for (const name of BROWSER_ENV_VARS) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (!isFile(value)) {
      throw new ShoalError('ERR_NO_BROWSER', `${name} is set to ${value}, but no such file exists; fix ${name} or unset it`);
    }
    return { path: value, source: 'env' };
  }

  const downloaded = (options.playwrightPath ?? playwrightChromiumPath)();
  if (downloaded !== undefined && isFile(downloaded)) return { path: downloaded, source: 'playwright' };

  for (const candidate of options.systemPaths ?? SYSTEM_BROWSER_PATHS) {
    if (isFile(candidate)) return { path: candidate, source: 'system' };
  }

  throw new ShoalError('ERR_NO_BROWSER', `no Chromium found: ${NO_BROWSER_HINT}`);
}

function playwrightChromiumPath(): string | undefined {
  try {
    return chromium.executablePath();
  } catch {
    // Playwright throws on platforms it has no build for.
    return undefined;
  }
}

function isExistingFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
