/** Opens an Engine the way every entry point (CLI, benchmark, later the service) does: config → embedder → stores. */
import type { Config } from '../config.js';
import { WorkerEmbedder } from '../embed/worker-embedder.js';
import { Engine, type EngineOptions } from './engine.js';

export async function openEngine(
  dataDir: string,
  config: Config,
  options: Pick<EngineOptions, 'sealer' | 'parser'> = {},
): Promise<Engine> {
  const embedder = await WorkerEmbedder.load({
    model: config.model,
    modelDir: config.modelDir,
    maxTokens: config.chunkTokens,
  });
  return Engine.open({
    dataDir,
    embedder,
    ann: config.ann,
    batchSize: config.embedBatch,
    parse: { maxFileBytes: config.maxFileBytes },
    closeEmbedder: true,
    ...options,
  });
}
