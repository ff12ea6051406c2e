/**
 * A Chromium that Shoal drives by plain CDP over `--remote-debugging-pipe`,
 * without Playwright, for tabs nothing needs to watch: a local cluster's
 * worker tabs in `detachedWorkers` mode (cluster.ts). Playwright attaches to
 * every tab of a browser it launched (it enables the page's Runtime, Network,
 * Page and Log domains, adds a utility world to every frame and forwards
 * every console message and request to Node); a tab opened here by
 * `Target.createTarget` has nothing attached, as a volunteer's tab has none.
 * When a tab must be read (why it is not ready, its link figures), `evaluate`
 * attaches for that one call.
 *
 * Measured (bench/scale/raw-tabs.ts, 64 joining `ui=0` tabs, 8 to a renderer
 * process, same minutes): 0.32 CPU s a tab unattached against 0.37-0.43
 * attached, and half the Node CPU (docs/scale.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { ShoalError } from '@shoal/protocol';
import { CdpClient, NulFramer, type CdpEvent } from './cdpPipe.ts';
import { chromiumArgs } from './chromium-args.ts';
import { findBrowser } from './find-browser.ts';

/**
 * The switches Playwright's `chromium.launch` passes that matter for a tab's
 * cost and behaviour (playwright-core's `chromiumSwitches` and headless
 * flags), so a tab here runs as one Playwright launched would, less the
 * attachment. `--disable-features` comes merged from `chromiumArgs()`.
 */
export const PIPE_BROWSER_SWITCHES: readonly string[] = [
  '--disable-field-trial-config',
  '--disable-back-forward-cache',
  '--disable-breakpad',
  '--disable-component-extensions-with-background-pages',
  '--no-default-browser-check',
  '--disable-default-apps',
  '--disable-dev-shm-usage',
  '--disable-extensions',
  '--allow-pre-commit-input',
  '--disable-hang-monitor',
  '--disable-ipc-flooding-protection',
  '--disable-popup-blocking',
  '--disable-prompt-on-repost',
  '--force-color-profile=srgb',
  '--metrics-recording-only',
  '--password-store=basic',
  '--use-mock-keychain',
  '--no-service-autorun',
  '--disable-search-engine-choice-screen',
  '--enable-unsafe-swiftshader',
  '--no-startup-window',
];

const HEADLESS_SWITCHES = ['--headless', '--hide-scrollbars', '--mute-audio'];
const CLOSE_GRACE_MS = 5_000;

/**
 * Browsers not yet exited, so a Node process that exits without closing them (Playwright's SIGINT handler
 * calls `process.exit`) still ends them and removes their profiles, as Playwright does for its own.
 */
const live = new Map<ChildProcess, string>();
let exitHookInstalled = false;
function track(child: ChildProcess, userDataDir: string): void {
  live.set(child, userDataDir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [running, dir] of live) {
      running.kill('SIGKILL');
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // a process still writing there: nothing more to do at exit
      }
    }
  });
}

export interface PipeBrowserOptions {
  /** Default true. */
  headless?: boolean;
  /** Skip `findBrowser()` and use this executable. */
  executablePath?: string;
  /** Extra flags, after Shoal's. */
  args?: readonly string[];
  /** Hears a tab's crash (by target id), and the browser's exit (`null`). */
  onCrash?: (targetId: string | null) => void;
}

/** One process's CPU seconds so far, as Chromium counts them (`SystemInfo.getProcessInfo`). */
export interface ProcessCpu {
  type: string;
  id: number;
  cpuTime: number;
}

/** The full command line for a pipe browser (exported for tests). */
export function pipeBrowserArgs(userDataDir: string, options: Pick<PipeBrowserOptions, 'headless' | 'args'> = {}): string[] {
  return [
    ...PIPE_BROWSER_SWITCHES,
    ...chromiumArgs(),
    ...(options.headless === false ? [] : HEADLESS_SWITCHES),
    ...(options.args ?? []),
    '--remote-debugging-pipe',
    `--user-data-dir=${userDataDir}`,
  ];
}

export class PipeBrowser {
  #exited = false;
  readonly #exit: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly cdp: CdpClient,
    private readonly userDataDir: string,
  ) {
    this.#exit = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Starts Chromium and waits for its first CDP answer. Throws `ERR_NO_BROWSER` when it does not start. */
  static async launch(options: PipeBrowserOptions = {}): Promise<PipeBrowser> {
    const executablePath = options.executablePath ?? findBrowser().path;
    const userDataDir = mkdtempSync(join(tmpdir(), 'shoal-tabs-'));
    const child = spawn(executablePath, pipeBrowserArgs(userDataDir, options), { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    const toBrowser = child.stdio[3] as Writable;
    const fromBrowser = child.stdio[4] as Readable;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += String(chunk);
    });
    toBrowser.on('error', () => undefined); // an exited browser: its exit fails the pending commands
    const onEvent = (event: CdpEvent): void => {
      if (event.method === 'Target.targetCrashed') options.onCrash?.(String(event.params['targetId']));
    };
    const cdp = new CdpClient((bytes) => toBrowser.write(bytes), onEvent);
    const framer = new NulFramer();
    fromBrowser.on('data', (chunk: Buffer) => {
      for (const message of framer.push(chunk)) cdp.receive(message);
    });
    const browser = new PipeBrowser(child, cdp, userDataDir);
    track(child, userDataDir);
    child.once('exit', (code, signal) => {
      live.delete(child);
      browser.#exited = true;
      cdp.close(new ShoalError('ERR_INTERNAL', `Chromium exited (${signal ?? `status ${code}`})`));
      try {
        rmSync(userDataDir, { recursive: true, force: true });
      } catch {
        // a helper process still writing there; the profile is only a temporary folder
      }
      options.onCrash?.(null);
    });
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    try {
      await spawned;
      await cdp.send('Browser.getVersion');
      await cdp.send('Target.setDiscoverTargets', { discover: true }); // for Target.targetCrashed; attaches to nothing
    } catch (cause) {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
      const detail = cause instanceof Error ? cause.message : String(cause);
      throw new ShoalError('ERR_NO_BROWSER', `could not start Chromium at ${executablePath}: ${detail}${stderr ? `\n${stderr.slice(0, 1000)}` : ''}`, { cause });
    }
    return browser;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the browser has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Opens a tab straight at `url` with nothing attached; resolves with its target id once created (not loaded). */
  async open(url: string): Promise<string> {
    const { targetId } = await this.cdp.send<{ targetId: string }>('Target.createTarget', { url });
    return targetId;
  }

  /**
   * Evaluates `expression` in tab `targetId` (promises awaited, the value returned
   * as JSON), attaching for this call only. Rejects with the page's exception.
   */
  async evaluate<T>(targetId: string, expression: string): Promise<T> {
    const { sessionId } = await this.cdp.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    try {
      const answer = await this.cdp.send<{ result: { value?: unknown }; exceptionDetails?: { text?: string; exception?: { description?: string } } }>(
        'Runtime.evaluate',
        { expression, returnByValue: true, awaitPromise: true },
        sessionId,
      );
      if (answer.exceptionDetails) throw new Error(answer.exceptionDetails.exception?.description ?? answer.exceptionDetails.text ?? 'evaluation failed');
      return answer.result.value as T;
    } finally {
      await this.cdp.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
    }
  }

  /** Closes one tab. */
  async closeTab(targetId: string): Promise<void> {
    await this.cdp.send('Target.closeTarget', { targetId });
  }

  /** Every live process of this browser with its CPU seconds so far. */
  async processes(): Promise<ProcessCpu[]> {
    const { processInfo } = await this.cdp.send<{ processInfo: ProcessCpu[] }>('SystemInfo.getProcessInfo');
    return processInfo;
  }

  /** Closes the browser (politely, then by SIGKILL after 5 s); safe to call more than once. */
  async close(): Promise<void> {
    if (this.#exited || this.child.exitCode !== null || this.child.pid === undefined) return;
    void this.cdp.send('Browser.close').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), CLOSE_GRACE_MS);
    await this.#exit;
    clearTimeout(timer);
  }
}
