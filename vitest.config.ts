import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{protocol,engine,bench,gateway,settlement}/src/**/*.test.ts'],
    testTimeout: 120_000,
  },
});
