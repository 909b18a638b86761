import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/** Tests and CI run offline on the small model shipped beside the project (every project, and the reliability suites). */
export const testEnv = {
  PRAG_MODEL_DIR: process.env.PRAG_MODEL_DIR ?? resolve(import.meta.dirname, '../shared/models'),
  PRAG_EMBED_MODEL: process.env.PRAG_EMBED_MODEL ?? 'universal-sentence-encoder-lite',
};

/**
 * Three tiers, each a project (`vitest run --project unit|integration|e2e`; plain `vitest run` runs all three):
 * unit: pure code (no PRAG service, no model, no child process); integration: a service, engine or model
 * in-process; e2e: the CLI in a child process. test/helpers is shared; test/reliability has its own config.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    env: testEnv,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      // e2e runs the compiled CLI: its global setup builds dist/ when the sources are newer.
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], globalSetup: ['test/helpers/build-cli.ts'] },
      },
    ],
  },
});
