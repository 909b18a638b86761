import { describe, expect, it } from 'vitest';
import { RETRIEVERS } from '../../src/engine/fusion.js';
import { runEval } from '../../src/eval/harness.js';

describe('retrieval evaluation (npm run eval) on a slice', () => {
  it('indexes the slice with the real engine and scores every retriever on every set it has questions for', async () => {
    const report = await runEval({
      years: [2012, 2012],
      contextual: [true],
      split: 'all',
      knownItems: 8,
      fixtures: false,
    });
    expect(report.corpus.messages).toBeGreaterThan(20);
    expect(report.model).toBe(process.env.PRAG_EMBED_MODEL);
    const [run] = report.runs;
    expect(run?.contextual).toBe(true);
    expect(run?.index.chunks).toBeGreaterThanOrEqual(report.corpus.messages);
    const knownItem = run?.sets['known-item'];
    const paraphrase = run?.sets.paraphrase;
    expect(run?.sets.structured).toBeUndefined(); // its documents are the fixtures, not indexed here
    expect(paraphrase?.questions).toBeGreaterThan(0);
    for (const set of [knownItem, paraphrase]) {
      expect(Object.keys(set?.retrievers ?? {}).sort()).toEqual([...RETRIEVERS].sort());
      for (const m of [...Object.values(set?.retrievers ?? {}), set?.fused_chunks, set?.fused_literal])
        for (const v of [m?.mrr, m?.recall, m?.ndcg]) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
    }
    // A sentence copied from a message is found by its words, and the fused ranking keeps that.
    expect(knownItem?.retrievers.bm25.mrr).toBeGreaterThan(0.5);
    expect(knownItem?.retrievers.fused.mrr).toBeGreaterThan(0.5);
    // On a slice a tenth of the tuned corpus's size the fusion still loses to neither half: the unmatched
    // terms are counted in a unit that does not grow with the index.
    for (const set of [knownItem, paraphrase]) {
      const r = set?.retrievers;
      expect(r?.fused.mrr).toBeGreaterThanOrEqual(Math.max(r?.bm25.mrr ?? 1, r?.dense.mrr ?? 1) - 0.01);
    }
  });
});
