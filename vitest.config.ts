import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    env: {
      // Tests and CI run offline on the small model shipped beside the project.
      PRAG_MODEL_DIR: process.env.PRAG_MODEL_DIR ?? resolve(import.meta.dirname, '../shared/models'),
      PRAG_EMBED_MODEL: process.env.PRAG_EMBED_MODEL ?? 'universal-sentence-encoder-lite',
    },
  },
});
