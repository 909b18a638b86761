/** Worker thread that owns the model: onnxruntime-node runs inference synchronously, so it must not share the main thread. */
import { parentPort, workerData } from 'node:worker_threads';
import { TransformersEmbedder, type TransformersEmbedderOptions } from './transformers.js';

export type WorkerRequest = { id: number; texts: string[] };
export type WorkerReply =
  | { type: 'ready'; model: string; dim: number; maxTokens: number }
  | { type: 'vectors'; id: number; data: Float32Array }
  | { type: 'error'; id?: number; message: string };

if (!parentPort) throw new Error('embed-worker runs as a worker thread');
const port = parentPort;
try {
  const embedder = await TransformersEmbedder.load(workerData as TransformersEmbedderOptions);
  port.postMessage({
    type: 'ready',
    model: embedder.model,
    dim: embedder.dim,
    maxTokens: embedder.maxTokens,
  } satisfies WorkerReply);
  const reply = async ({ id, texts }: WorkerRequest) => {
    try {
      const vectors = await embedder.embed(texts);
      const data = new Float32Array(vectors.length * embedder.dim);
      vectors.forEach((v, i) => data.set(v, i * embedder.dim));
      port.postMessage({ type: 'vectors', id, data } satisfies WorkerReply, [data.buffer]);
    } catch (e) {
      port.postMessage({ type: 'error', id, message: (e as Error).message } satisfies WorkerReply);
    }
  };
  port.on('message', (request: WorkerRequest) => void reply(request));
} catch (e) {
  port.postMessage({ type: 'error', message: (e as Error).message } satisfies WorkerReply);
}
