import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'src-main/**/*.test.ts',
      'src-shared/**/*.test.ts',
      'src-renderer/**/*.test.ts',
      'migrations/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    exclude: ['node_modules/**'],
    environment: 'node',
    // Two cores: one worker per core, and loopback servers are started per test file.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
  },
});
