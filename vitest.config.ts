import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{protocol,engine,bench,gateway,settlement,web}/src/**/*.test.ts', '{helm,infra}/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 120_000,
    // Starts a shared Redis and PostgreSQL when the run includes a *.int.test.ts file.
    globalSetup: ['./scripts/vitest-global-setup.ts'],
  },
});
