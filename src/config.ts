/**
 * Configuration from the environment, validated once. Every knob has a
 * default, so `prag` runs with none set.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DEFAULT_ANN, type AnnSettings } from './store/vectors.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The checkout: PROJECT_ROOT itself, or its parent when this runs built (dist/src/config.js). */
const CHECKOUT = import.meta.url.endsWith('.ts') ? PROJECT_ROOT : join(PROJECT_ROOT, '..');
/**
 * Where a model is looked for when PRAG_MODEL_DIR is not set: `models/` in the
 * project (the Docker image puts the measured model there), then the team's
 * reference checkout beside it. With neither, the hub default below is fetched.
 */
const LOCAL_MODEL_DIRS = [
  ...new Set([join(PROJECT_ROOT, 'models'), join(CHECKOUT, 'models'), join(CHECKOUT, '..', 'shared', 'models')]),
];
/** A connected machine with no model configured fetches this one from the hub. */
export const HUB_DEFAULT_MODEL = 'Xenova/all-MiniLM-L6-v2';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const Env = z.object({
  PRAG_MODEL_DIR: z.string().optional(),
  PRAG_EMBED_MODEL: z.string().optional(),
  PRAG_CHUNK_TOKENS: int(16, 8192).default(256),
  PRAG_EMBED_BATCH: int(1, 1024).default(32),
  PRAG_ANN_THRESHOLD: int(1, 1e9).default(DEFAULT_ANN.annThreshold),
  PRAG_ANN_NPROBES: int(1, 1e5).default(DEFAULT_ANN.nprobes),
  PRAG_ANN_REFINE: int(1, 1000).default(DEFAULT_ANN.refineFactor),
  PRAG_MAX_FILE_MB: int(1, 1e6).default(256),
});

export interface Config {
  modelDir?: string;
  model: string;
  chunkTokens: number;
  embedBatch: number;
  ann: AnnSettings;
  maxFileBytes: number;
}

/** The only model folder in `dir` (a folder holding config.json), if there is exactly one. */
function soleModel(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const models = readdirSync(dir, { withFileTypes: true }).filter(
    (d) => d.isDirectory() && existsSync(join(dir, d.name, 'config.json')),
  );
  const [only, ...others] = models;
  return only && !others.length ? only.name : undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = Env.parse(env);
  const modelDir = e.PRAG_MODEL_DIR ? resolve(e.PRAG_MODEL_DIR) : LOCAL_MODEL_DIRS.find((d) => existsSync(d));
  if (modelDir && !existsSync(modelDir)) throw new Error(`PRAG_MODEL_DIR ${modelDir} does not exist`);
  const model = e.PRAG_EMBED_MODEL ?? (modelDir ? soleModel(modelDir) : undefined) ?? HUB_DEFAULT_MODEL;
  return {
    modelDir,
    model,
    chunkTokens: e.PRAG_CHUNK_TOKENS,
    embedBatch: e.PRAG_EMBED_BATCH,
    ann: { annThreshold: e.PRAG_ANN_THRESHOLD, nprobes: e.PRAG_ANN_NPROBES, refineFactor: e.PRAG_ANN_REFINE },
    maxFileBytes: e.PRAG_MAX_FILE_MB * 1024 * 1024,
  };
}
