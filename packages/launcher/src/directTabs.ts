/**
 * Opening many tabs cheaply. Playwright's `context.newPage()` opens
 * `about:blank` and then navigates, and that first blank document gets a
 * renderer process of its own, so Chromium's `--renderer-process-limit`
 * cannot put the tab in a process it already has for the site. A tab created
 * by CDP `Target.createTarget` straight at its URL is placed in a shared
 * process from the start (and skips the blank navigation). Playwright still
 * attaches to it, so callers get an ordinary `Page`.
 *
 * Measured with bench/scale/raw-tabs.ts, 32 worker tabs, 4 renderer
 * processes: 0.67 CPU s a tab opened this way, 0.80 through `newPage()`
 * (1.13 and 1.28 without a process limit).
 */
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { ShoalError } from '@shoal/protocol';
import { openPage } from './pages.ts';

export class DirectTabs {
  readonly #waiting = new Map<string, (page: Page) => void>();
  readonly #seen = new WeakSet<Page>();

  private constructor(
    private readonly context: BrowserContext,
    private readonly session: CDPSession,
    private readonly browserContextId: string,
  ) {
    context.on('page', (page) => this.#track(page));
  }

  /**
   * An opener for `context`, which must already hold a page (`seed`): the
   * CDP id of the context is read off it.
   */
  static async for(context: BrowserContext, seed: Page): Promise<DirectTabs> {
    const pageSession = await context.newCDPSession(seed);
    const { targetInfo } = (await pageSession.send('Target.getTargetInfo')) as { targetInfo: { browserContextId?: string } };
    await pageSession.detach().catch(() => undefined);
    const browser = context.browser();
    if (browser === null || targetInfo.browserContextId === undefined) throw new ShoalError('ERR_INTERNAL', 'cannot open tabs by CDP: the context has no browser or id');
    return new DirectTabs(context, await browser.newBrowserCDPSession(), targetInfo.browserContextId);
  }

  /**
   * Opens `url` (which must be unique among the tabs this opener has in
   * flight) in a new tab; `beforeLoad` sees the page as soon as Playwright
   * has it. Resolves once its `load` event has fired.
   */
  async open(url: string, timeoutMs: number, beforeLoad?: (page: Page) => void): Promise<Page> {
    let timer: NodeJS.Timeout | undefined;
    const arrived = new Promise<Page>((resolve, reject) => {
      this.#waiting.set(url, resolve);
      timer = setTimeout(() => reject(new ShoalError('ERR_TIMEOUT', `could not open ${url}: it did not appear within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await this.session.send('Target.createTarget', { url, browserContextId: this.browserContextId });
      const page = await arrived;
      beforeLoad?.(page);
      await page.waitForLoadState('load', { timeout: timeoutMs });
      return page;
    } finally {
      clearTimeout(timer);
      this.#waiting.delete(url);
    }
  }

  /** Hands a new page to whoever waits for its URL, now or once it commits. */
  #track(page: Page): void {
    const claim = (): boolean => {
      const resolve = this.#waiting.get(page.url());
      if (resolve === undefined || this.#seen.has(page)) return false;
      this.#seen.add(page);
      resolve(page);
      return true;
    };
    if (claim()) return;
    const onNavigated = (): void => {
      if (claim()) page.off('framenavigated', onNavigated);
    };
    page.on('framenavigated', onNavigated);
    page.once('close', () => page.off('framenavigated', onNavigated));
  }
}

/** Opens a tab at a URL in browser `b` (0-based); `beforeLoad` sees the page before it loads. */
export type TabOpener = (b: number, url: string, timeoutMs: number, beforeLoad?: (page: Page) => void) => Promise<Page>;

/**
 * How a launcher opens worker tabs in `contexts` (one per browser): through
 * Playwright (`openPage`, which checks the page is served) or, when `shared`
 * (tabs sharing renderer processes), the first tab of each browser that way
 * and the rest straight at their URL (`DirectTabs`).
 */
export function tabOpener(contexts: readonly BrowserContext[], shared: boolean): TabOpener {
  const direct = new Map<number, Promise<DirectTabs>>();
  return async (b, url, timeoutMs, beforeLoad) => {
    const opener = direct.get(b);
    if (shared && opener !== undefined) return (await opener).open(url, timeoutMs, beforeLoad);
    const page = openPage(contexts[b]!, url, timeoutMs, beforeLoad);
    if (shared) direct.set(b, page.then((seed) => DirectTabs.for(contexts[b]!, seed)));
    return page;
  };
}
