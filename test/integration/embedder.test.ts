import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { WorkerEmbedder } from '../../src/embed/worker-embedder.js';
import { testEmbedder } from '../helpers/index.js';
import { must } from '../helpers/must.js';

let worker: WorkerEmbedder;
beforeAll(async () => {
  const c = loadConfig();
  worker = await WorkerEmbedder.load({ model: c.model, modelDir: c.modelDir, maxTokens: c.chunkTokens });
});
afterAll(() => worker.close());

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * must(b[i], `component ${i}`), 0);

describe('embedder', () => {
  it('records the model name, its dimension and its token window', async () => {
    expect(worker).toMatchObject({ model: 'universal-sentence-encoder-lite', dim: 512, maxTokens: 128 });
  });

  it('embeds in a worker thread exactly as in-process, unit-length, semantically ordered', async () => {
    const texts = [
      'The patient was prescribed metformin for type 2 diabetes',
      'Diabetes medication: metformin was given',
      'The quarterly tax return was filed late',
    ];
    const vectors = await worker.embed(texts);
    const a = must(vectors[0], "the worker's embedding 0");
    const b = must(vectors[1], "the worker's embedding 1");
    const c = must(vectors[2], "the worker's embedding 2");
    const local = await (await testEmbedder()).embed(texts);
    expect(Array.from(a)).toEqual(Array.from(must(local[0], 'the in-process embedding 0')));
    expect(cosine(a, a)).toBeCloseTo(1, 5);
    expect(cosine(a, b)).toBeCloseTo(0.8181, 3); // the figure in the model's PROVENANCE.md
    expect(cosine(a, b)).toBeGreaterThan(cosine(a, c) + 0.4);
  });

  it('counts tokens with the model tokenizer, and refuses empty input instead of returning NaN vectors', async () => {
    expect(worker.count('Hello world, this is a test.')).toBe(9);
    await expect(worker.embed(['fine', '   '])).rejects.toThrow('refusing to embed empty text');
    await expect((await testEmbedder()).embed([''])).rejects.toThrow('refusing to embed empty text');
  });

  it('a model that is not there is a clear error', async () => {
    const c = loadConfig();
    await expect(WorkerEmbedder.load({ model: 'no-such-model', modelDir: c.modelDir, maxTokens: 256 })).rejects.toThrow(
      /cannot load embedding model "no-such-model"/,
    );
  });
});
