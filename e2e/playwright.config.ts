import { defineConfig } from '@playwright/test';

/**
 * The specs drive real Chromium tabs through @shoal/launcher (which finds the
 * browser and sets the flags), so no Playwright browser download is needed.
 * One spec file at a time: each tab costs ~70 MB and the machine has 2 cores.
 */
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  // One retry in CI only: a rare hang of a fresh cluster's first job (seen under heavy load, root cause not found
  // yet; see the stop's note) must not sink a run. A real failure fails twice; locally there are no retries.
  retries: process.env['CI'] ? 1 : 0,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
});
