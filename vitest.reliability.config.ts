import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/** `npm run test:reliability`: crash, load, fuzz and hostile-document suites (loopback only; every loop bounded). */
export default defineConfig({
  test: {
    include: ['test/reliability/*.reliability.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 1_800_000,
    hookTimeout: 300_000,
    env: {
      PRAG_MODEL_DIR: process.env.PRAG_MODEL_DIR ?? resolve(import.meta.dirname, '../shared/models'),
      PRAG_EMBED_MODEL: process.env.PRAG_EMBED_MODEL ?? 'universal-sentence-encoder-lite',
    },
  },
});
