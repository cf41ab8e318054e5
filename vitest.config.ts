import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{protocol,engine,bench,gateway,settlement}/src/**/*.test.ts'],
    testTimeout: 120_000,
    // Starts a shared Redis and PostgreSQL when the run includes a *.int.test.ts file.
    globalSetup: ['./scripts/vitest-global-setup.ts'],
  },
});
