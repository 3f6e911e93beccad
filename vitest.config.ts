import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    globalSetup: ['test/support/buildOnce.ts'],
    // Drops @azure/functions' "Failed to detect the Azure Functions runtime" warning, nothing else.
    setupFiles: ['test/support/quietFunctionsRuntime.ts'],
  },
});
