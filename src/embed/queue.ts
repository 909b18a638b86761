/**
 * A bounded batching queue in front of an Embedder. Producers (parsers and the
 * chunker) enqueue texts and wait only when `maxQueued` texts are already
 * waiting; a single consumer runs the model on batches of `batchSize`, so the
 * model is kept busy while the next documents are parsed.
 */
import type { Embedder } from './embedder.js';

interface Pending {
  text: string;
  resolve(v: Float32Array): void;
  reject(e: unknown): void;
}

export class EmbedQueue {
  private readonly queue: Pending[] = [];
  private readonly spaceWaiters: Array<() => void> = [];
  private running = false;

  constructor(
    private readonly embedder: Embedder,
    private readonly batchSize = 32,
    private readonly maxQueued = 512,
  ) {}

  /** Resolves once the texts are accepted (back-pressure); the inner promise, once they are embedded. */
  async enqueue(texts: readonly string[]): Promise<{ vectors: Promise<Float32Array[]> }> {
    while (this.queue.length >= this.maxQueued) await new Promise<void>((r) => this.spaceWaiters.push(r));
    const vectors = Promise.all(
      texts.map((text) => new Promise<Float32Array>((resolve, reject) => this.queue.push({ text, resolve, reject }))),
    );
    vectors.catch(() => {}); // the caller awaits it later; do not let a failure count as unhandled meanwhile
    this.kick();
    return { vectors };
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.batchSize);
        while (this.spaceWaiters.length && this.queue.length < this.maxQueued) this.spaceWaiters.shift()?.();
        try {
          const vectors = await this.embedder.embed(batch.map((p) => p.text));
          batch.forEach((p, i) => {
            const vector = vectors[i];
            if (vector) p.resolve(vector);
            else p.reject(new Error(`the embedder returned ${vectors.length} vectors for ${batch.length} texts`));
          });
        } catch (e) {
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
