import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{platform,gateway,schema,subgraphs/*,scripts}/test/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Specs are isolated per file (own database, own ports), so files run in parallel.
    fileParallelism: true,
    reporters: ['default'],
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
  },
});
