import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'signaling-server/src/**/*.test.ts', 'apps/**/*.test.ts'],
    environment: 'node',
    testTimeout: 10_000,
  },
});
