/**
 * Rank metrics at a cutoff over a ranked list of document keys, with binary relevance. A document counts once,
 * at its first rank (a second passage of it is neither a gain nor a miss).
 */
export const CUTOFF = 10;

export interface Metrics {
  mrr: number;
  recall: number;
  ndcg: number;
}

function distinct(ranked: readonly string[]): string[] {
  return [...new Set(ranked)].slice(0, CUTOFF);
}

/** MRR@10, recall@10 and nDCG@10 of one ranking. */
export function score(ranked: readonly string[], relevant: ReadonlySet<string>): Metrics {
  const top = distinct(ranked);
  const first = top.findIndex((d) => relevant.has(d));
  const found = top.filter((d) => relevant.has(d)).length;
  const dcg = top.reduce((sum, d, i) => sum + (relevant.has(d) ? 1 / Math.log2(i + 2) : 0), 0);
  let ideal = 0;
  for (let i = 0; i < Math.min(relevant.size, CUTOFF); i++) ideal += 1 / Math.log2(i + 2);
  return {
    mrr: first < 0 ? 0 : 1 / (first + 1),
    recall: relevant.size ? found / relevant.size : 0,
    ndcg: ideal ? dcg / ideal : 0,
  };
}

/** The mean of each metric over queries (0 for none). */
export function mean(all: readonly Metrics[]): Metrics {
  const n = all.length || 1;
  const sum = (f: (m: Metrics) => number) => Number((all.reduce((s, m) => s + f(m), 0) / n).toFixed(4));
  return { mrr: sum((m) => m.mrr), recall: sum((m) => m.recall), ndcg: sum((m) => m.ndcg) };
}
