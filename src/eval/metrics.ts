/**
 * Rank metrics at a cutoff over a ranked list of document keys, with binary relevance. A document counts once,
 * at its first rank (a second passage of it is neither a gain nor a miss). Reported at 10; the fusion tuning
 * scores whole rankings, so that a move from 14th to 15th, invisible at 10, still counts against a setting.
 */
export const CUTOFF = 10;

export interface Metrics {
  mrr: number;
  recall: number;
  ndcg: number;
}

/** MRR, recall and nDCG of one ranking at `cutoff` (10 unless given). */
export function score(ranked: readonly string[], relevant: ReadonlySet<string>, cutoff = CUTOFF): Metrics {
  const top = [...new Set(ranked)].slice(0, cutoff);
  const first = top.findIndex((d) => relevant.has(d));
  const found = top.filter((d) => relevant.has(d)).length;
  const dcg = top.reduce((sum, d, i) => sum + (relevant.has(d) ? 1 / Math.log2(i + 2) : 0), 0);
  let ideal = 0;
  for (let i = 0; i < Math.min(relevant.size, cutoff); i++) ideal += 1 / Math.log2(i + 2);
  return {
    mrr: first < 0 ? 0 : 1 / (first + 1),
    recall: relevant.size ? found / relevant.size : 0,
    ndcg: ideal ? dcg / ideal : 0,
  };
}

/** The mean of each metric over queries (0 for none). */
export function mean(all: readonly Metrics[]): Metrics {
  const n = all.length || 1;
  const sum = (f: (m: Metrics) => number) => all.reduce((s, m) => s + f(m), 0) / n;
  return { mrr: sum((m) => m.mrr), recall: sum((m) => m.recall), ndcg: sum((m) => m.ndcg) };
}

/** Metrics to four decimals, as reports print them. */
export function rounded(m: Metrics): Metrics {
  const r = (x: number) => Number(x.toFixed(4));
  return { mrr: r(m.mrr), recall: r(m.recall), ndcg: r(m.ndcg) };
}
