/**
 * Command-line flags for every Chromium Shoal launches (see DESIGN.md,
 * "Browser facts").
 */

/** Worker tabs are background tabs: keep their timers and renderers at full speed. */
const BACKGROUND_FLAGS = [
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/** Closed networks: no calls home, no QUIC. */
const QUIET_NETWORK_FLAGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** WebGPU on Linux; with no GPU this gives SwiftShader's fallback adapter. */
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu'];

/**
 * Chromium replaces an earlier `--disable-features` with a later one instead
 * of merging them (checked on Chromium 156), and Playwright passes its own
 * list before ours. So our flag must repeat Playwright's list or silently
 * undo it. This is the list in playwright-core 1.65's `chromiumSwitches`;
 * `chromium-args.test.ts` fails when an upgrade changes it.
 */
export const PLAYWRIGHT_DISABLED_FEATURES: readonly string[] = [
  'AvoidUnnecessaryBeforeUnloadCheckSync',
  'DestroyProfileOnBrowserClose',
  'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable',
  'LensOverlay',
  'MediaRouter',
  'PaintHolding',
  'ThirdPartyStoragePartitioning',
  'AvoidCorsURLLoaderRestartOnRedirect',
  'TcpPortRandomizationWin',
  'OptimizationHints',
  'NetworkTimeServiceQuerying',
  'AimEnabled',
  'PreconnectToSearch',
  'msForceBrowserSignIn',
  'msEdgeUpdateLaunchServicesPreferredVersion',
];

/**
 * Features Shoal turns off. `WebRtcHideLocalIpsWithMdns`: by default Chromium
 * hides a page's local addresses behind random `<uuid>.local` mDNS names in
 * its ICE host candidates, and the other tab must resolve them by multicast
 * DNS, which containers and CI machines often lack. With the feature off, tabs
 * on one machine offer plain host candidates (`127.0.0.1`, the LAN address)
 * and connect directly over loopback without STUN.
 */
export const SHOAL_DISABLED_FEATURES: readonly string[] = ['WebRtcHideLocalIpsWithMdns'];

export interface ChromiumArgsOptions {
  /** Whether this process runs as root; Chromium's sandbox refuses root. Defaults to `process.getuid?.() === 0`. */
  root?: boolean;
}

/**
 * The flags Shoal passes to Chromium: background tabs unthrottled, no
 * network chatter, WebGPU on, mDNS host candidates off (merged with
 * Playwright's own `--disable-features`), and `--no-sandbox` as root.
 */
export function chromiumArgs(options: ChromiumArgsOptions = {}): string[] {
  const root = options.root ?? process.getuid?.() === 0;
  const disabled = [...new Set([...PLAYWRIGHT_DISABLED_FEATURES, ...SHOAL_DISABLED_FEATURES])];
  return [
    ...BACKGROUND_FLAGS,
    ...QUIET_NETWORK_FLAGS,
    ...WEBGPU_FLAGS,
    `--disable-features=${disabled.join(',')}`,
    ...(root ? ['--no-sandbox'] : []),
  ];
}
