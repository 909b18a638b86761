/**
 * The Embedder used by the engine: the model runs in a worker thread (see
 * embed-worker.ts) so parsing, chunking and storage on the main thread overlap
 * with inference. Token counting for the chunker uses the same tokenizer,
 * loaded here.
 */
import { AutoTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import { Worker } from 'node:worker_threads';
import { EmbedError, type Embedder } from './embedder.js';
import type { WorkerReply, WorkerRequest } from './embed-worker.js';
import { configureHub, type TransformersEmbedderOptions } from './transformers.js';

/** Under tsx (tests, `npm run`) the worker is TypeScript too: a small boot file installs the loader in its thread. */
function workerUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './embed-worker-boot.mjs' : './embed-worker.js', import.meta.url);
}

export class WorkerEmbedder implements Embedder {
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve(v: Float32Array[]): void; reject(e: Error): void; count: number }
  >();
  private failure: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly tokenizer: PreTrainedTokenizer,
    readonly model: string,
    readonly dim: number,
    readonly maxTokens: number,
  ) {
    worker.on('message', (m: WorkerReply) => this.onReply(m));
    worker.on('error', (e) => this.fail(new EmbedError(`embedding worker failed: ${e.message}`)));
    worker.on('exit', (code) => this.fail(new EmbedError(`embedding worker exited (${code})`)));
    worker.unref();
  }

  static async load(opts: TransformersEmbedderOptions): Promise<WorkerEmbedder> {
    configureHub(opts);
    const worker = new Worker(workerUrl(), { workerData: opts });
    const ready = await new Promise<Extract<WorkerReply, { type: 'ready' }>>((resolve, reject) => {
      worker.once('message', (m: WorkerReply) =>
        m.type === 'ready' ? resolve(m) : reject(new EmbedError(m.type === 'error' ? m.message : 'unexpected reply')),
      );
      worker.once('error', reject);
    }).catch(async (e: unknown) => {
      await worker.terminate();
      throw e;
    });
    const tokenizer = await AutoTokenizer.from_pretrained(opts.model, { local_files_only: !!opts.modelDir });
    return new WorkerEmbedder(worker, tokenizer, ready.model, ready.dim, ready.maxTokens);
  }

  count(text: string): number {
    return this.tokenizer.encode(text, { add_special_tokens: false }).length;
  }

  embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (texts.length === 0) return Promise.resolve([]);
    if (texts.some((t) => t.trim() === '')) return Promise.reject(new EmbedError('refusing to embed empty text'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, count: texts.length });
      this.worker.ref(); // keep the process alive while a reply is due
      this.worker.postMessage({ id, texts: [...texts] } satisfies WorkerRequest);
    });
  }

  private onReply(m: WorkerReply): void {
    if (m.type === 'ready' || m.id === undefined) return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (!this.pending.size) this.worker.unref();
    if (m.type === 'error') return p.reject(new EmbedError(m.message));
    p.resolve(Array.from({ length: p.count }, (_, i) => m.data.subarray(i * this.dim, (i + 1) * this.dim)));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.failure ??= new EmbedError('embedder closed');
    await this.worker.terminate();
  }
}
