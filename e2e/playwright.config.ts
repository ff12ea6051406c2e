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
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
});
