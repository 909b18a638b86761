import { defineConfig } from 'vitest/config';
import { testEnv } from './vitest.config.js';

/** `npm run test:reliability`: crash, load, fuzz and hostile-document suites (loopback only; every loop bounded). */
export default defineConfig({
  test: {
    include: ['test/reliability/*.reliability.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 1_800_000,
    hookTimeout: 300_000,
    env: testEnv,
  },
});
