/**
 * The Embedder on @huggingface/transformers: feature extraction, mean pooling,
 * L2-normalized. Models load from a local directory (`PRAG_MODEL_DIR`; no
 * network) or, with no directory configured, from the Hugging Face hub.
 */
import { env, pipeline, type FeatureExtractionPipeline } from '@huggingface/transformers';
import { EmbedError, type Embedder } from './embedder.js';

export interface TransformersEmbedderOptions {
  /** Model id: a folder name under `modelDir`, or a hub id. */
  model: string;
  /** Directory holding `<model>/`; when set, nothing is fetched. */
  modelDir?: string;
  /** Upper bound on chunk size in tokens; the model's own window may be smaller. */
  maxTokens: number;
}

/** Local directory only (no network) when one is configured; the hub otherwise. */
export function configureHub(opts: Pick<TransformersEmbedderOptions, 'modelDir'>): void {
  if (opts.modelDir) {
    env.localModelPath = opts.modelDir;
    env.allowRemoteModels = false;
  }
  env.allowLocalModels = true;
}

export class TransformersEmbedder implements Embedder {
  private constructor(
    private readonly extractor: FeatureExtractionPipeline,
    readonly model: string,
    readonly dim: number,
    readonly maxTokens: number,
  ) {}

  static async load(opts: TransformersEmbedderOptions): Promise<TransformersEmbedder> {
    configureHub(opts);
    let extractor: FeatureExtractionPipeline;
    try {
      extractor = await pipeline('feature-extraction', opts.model, {
        dtype: 'fp32',
        local_files_only: !!opts.modelDir,
      });
    } catch (e) {
      const where = opts.modelDir ? `in ${opts.modelDir}` : 'from the hub';
      throw new EmbedError(`cannot load embedding model "${opts.model}" ${where}: ${(e as Error).message}`);
    }
    const tokenizer = extractor.tokenizer;
    const specials = tokenizer.encode('', { add_special_tokens: true }).length;
    const window = Number(tokenizer.model_max_length);
    const modelWindow = Number.isFinite(window) && window > 0 && window < 1e6 ? window : 512;
    const probe = await extractor('dimension probe', { pooling: 'mean', normalize: true });
    const dim = probe.dims.at(-1);
    if (!dim) throw new EmbedError(`model "${opts.model}" returned no embedding`);
    return new TransformersEmbedder(extractor, opts.model, dim, Math.min(opts.maxTokens, modelWindow - specials));
  }

  count(text: string): number {
    return this.extractor.tokenizer.encode(text, { add_special_tokens: false }).length;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    // Mean pooling over zero tokens is 0/0: an empty input would come back as NaN.
    if (texts.some((t) => t.trim() === '')) throw new EmbedError('refusing to embed empty text');
    const out = await this.extractor([...texts], { pooling: 'mean', normalize: true });
    const data = out.data as Float32Array;
    const vectors: Float32Array[] = [];
    for (let i = 0; i < texts.length; i++) {
      const v = data.slice(i * this.dim, (i + 1) * this.dim);
      if (v.some((x) => !Number.isFinite(x))) throw new EmbedError(`model produced a non-finite vector for input ${i}`);
      vectors.push(v);
    }
    return vectors;
  }
}
