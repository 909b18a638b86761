import { describe, expect, it } from 'vitest';
import { keywordWeight, rank, unmatchedTerms, type Candidates, type FusionParams } from '../../src/engine/fusion.js';

const key = (s: string) => s;
const ids = (list: Array<{ item: string }>) => list.map((x) => x.item);
/** Dense prefers a, b, c; BM25 prefers d, c, a. */
const candidates = (unmatched: number): Candidates<string> => ({
  dense: [
    { item: 'a', score: 0.9 },
    { item: 'b', score: 0.8 },
    { item: 'c', score: 0.5 },
  ],
  keyword: [
    { item: 'd', score: 12 },
    { item: 'c', score: 9 },
    { item: 'a', score: 1 },
  ],
  unmatched,
});
const linear: FusionParams = { minWeight: 0, maxWeight: 1, from: 0, to: 1 };

describe('fusion', () => {
  it('returns either half as it ranked', () => {
    expect(ids(rank(candidates(0.5), key, 'dense'))).toEqual(['a', 'b', 'c']);
    expect(ids(rank(candidates(0.5), key, 'bm25'))).toEqual(['d', 'c', 'a']);
  });

  it('reciprocal rank fusion puts what both halves found first', () => {
    const fused = ids(rank(candidates(0.5), key, 'rrf'));
    expect(fused.slice(0, 2).sort()).toEqual(['a', 'c']);
    expect(fused).toHaveLength(4);
  });

  it('follows BM25 when its best hit holds every query term and the vectors when it leaves much unmatched', () => {
    expect(ids(rank(candidates(0), key, 'fused', linear)).slice(0, 3)).toEqual(['d', 'c', 'a']);
    expect(ids(rank(candidates(1), key, 'fused', linear)).slice(0, 3)).toEqual(['a', 'b', 'c']);
  });

  it('breaks a tie between the top items of the halves in favour of the one the other half also found', () => {
    const fused = rank(candidates(0.5), key, 'fused', linear);
    expect(ids(fused).slice(0, 2)).toEqual(['a', 'd']);
    expect(new Set(ids(fused)).size).toBe(fused.length);
  });

  it('weighs BM25 between the bounds, falling as the unmatched mass grows', () => {
    const params = { minWeight: 0.1, maxWeight: 0.7, from: 10, to: 20 };
    const weights = [-1, 0, 10, 12, 18, 20, 30, 100].map((u) => keywordWeight(u, params));
    expect(weights.slice(0, 3)).toEqual([0.7, 0.7, 0.7]);
    expect(weights.slice(5)).toEqual([0.1, 0.1, 0.1]);
    expect(weights[3]).toBeLessThan(0.7);
    expect(weights[4]).toBeGreaterThan(0.1);
    for (let i = 1; i < weights.length; i++) expect(weights[i]).toBeLessThanOrEqual(weights[i - 1] ?? 1);
  });

  it('counts what the best keyword hit misses in unseen terms: a rare term missed counts more than a common one', () => {
    const n = 1000;
    const unseen = Math.log(1 + 1000.5 / 0.5);
    expect(unmatchedTerms([2], n)).toBeCloseTo(Math.log(1 + 998.5 / 2.5) / unseen);
    expect(unmatchedTerms([600], n)).toBeCloseTo(Math.log(1 + 400.5 / 600.5) / unseen);
    expect(unmatchedTerms([0, 0], n)).toBeCloseTo(2);
    expect(unmatchedTerms([], n)).toBe(0);
    // More unexplained terms, more mass: a long paraphrase is not mistaken for a keyword question.
    expect(
      unmatchedTerms(
        Array.from({ length: 8 }, () => 20),
        n,
      ),
    ).toBeGreaterThan(4 * unmatchedTerms([2], n));
  });

  it('keeps its unit as the index grows: a term no chunk holds is one term at any size', () => {
    for (const n of [100, 3_000, 100_000, 1_000_000]) expect(unmatchedTerms([0], n)).toBeCloseTo(1);
    // A term in 1% of the chunks weighs about the same share of an unseen one at 10k and at 1M chunks.
    const small = unmatchedTerms([100], 10_000);
    const large = unmatchedTerms([10_000], 1_000_000);
    expect(Math.abs(small - large)).toBeLessThan(0.25);
  });
});
