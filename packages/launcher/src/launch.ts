/** Launching Chromium through playwright-core with Shoal's flags. */
import { chromium, type Browser } from 'playwright-core';
import { ShoalError } from '@shoal/protocol';
import { chromiumArgs } from './chromium-args.ts';
import { findBrowser } from './find-browser.ts';

export interface LaunchBrowserOptions {
  /** Defaults to true. */
  headless?: boolean;
  /** Skip `findBrowser()` and use this executable. */
  executablePath?: string;
  /** Extra flags, after Shoal's. */
  args?: readonly string[];
  /**
   * Let Playwright close the browser on SIGINT/SIGTERM/SIGHUP and then exit
   * the process (status 130 on Ctrl-C). Default true. Pass false when the
   * caller handles signals and closes the browser itself, as the CLI does.
   */
  handleSignals?: boolean;
}

/**
 * Launches a Chromium found by `findBrowser()` with `chromiumArgs()`.
 * Throws `ERR_NO_BROWSER` when none is found or it fails to start.
 */
export async function launchBrowser(options: LaunchBrowserOptions = {}): Promise<Browser> {
  const executablePath = options.executablePath ?? findBrowser().path;
  try {
    return await chromium.launch({
      executablePath,
      headless: options.headless ?? true,
      handleSIGINT: options.handleSignals ?? true,
      handleSIGTERM: options.handleSignals ?? true,
      handleSIGHUP: options.handleSignals ?? true,
      args: [...chromiumArgs(), ...(options.args ?? [])],
    });
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new ShoalError('ERR_NO_BROWSER', `could not start Chromium at ${executablePath}: ${detail}`, { cause });
  }
}
