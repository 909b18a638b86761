import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { SHARED } from '../helpers/index.js';

describe('config', () => {
  it('has defaults for everything', () => {
    const c = loadConfig({ PRAG_MODEL_DIR: `${SHARED}/models` });
    expect(c).toMatchObject({
      model: 'universal-sentence-encoder-lite',
      chunkTokens: 256,
      embedBatch: 32,
      ann: { annThreshold: 25_000, nprobes: 32, refineFactor: 12 },
    });
  });

  it('an explicit model directory that does not exist is an error, not a silent download', () => {
    expect(() => loadConfig({ PRAG_MODEL_DIR: '/nonexistent/models' })).toThrow(
      'PRAG_MODEL_DIR /nonexistent/models does not exist',
    );
  });

  it('rejects malformed numbers', () => {
    expect(() => loadConfig({ PRAG_CHUNK_TOKENS: 'lots' })).toThrow();
    expect(() => loadConfig({ PRAG_ANN_NPROBES: '0' })).toThrow();
  });
});
