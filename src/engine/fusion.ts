/**
 * Fusing the vector and keyword candidate lists of a hybrid search.
 *
 * `fused` is a convex combination of normalized scores (Bruch, Gai & Ingber, "An Analysis of Fusion Functions
 * for Hybrid Retrieval", ACM TOIS 2023): s = (1 − w)·dense + w·bm25, cosine similarity min–max normalized over
 * the vector candidates and BM25 divided by its top score (BM25's theoretical minimum is 0). The keyword weight w
 * is chosen per query from the IDF mass of the query's terms that the best keyword hit lacks (`unmatchedTerms`):
 * a question whose terms the best keyword hit holds (a copied sentence, a subject, a name and a date) is a keyword
 * question; one that leaves several discriminative terms unexplained (a paraphrase) is left to the vectors. A mass,
 * not a share of the query: a paraphrase matching a few common words of a message still leaves most of its rare
 * words unmatched, while a short keyword question missing one word leaves little.
 *
 * `rrf` is reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009), kept as the evaluation's baseline.
 */
export type Retriever = 'fused' | 'rrf' | 'bm25' | 'dense';
export const RETRIEVERS: readonly Retriever[] = ['bm25', 'dense', 'rrf', 'fused'];

export interface Scored<T> {
  item: T;
  score: number;
}

/** The keyword weight: `maxWeight` up to `from` unmatched terms (`unmatchedTerms`), `minWeight` from `to`, linear between. */
export interface FusionParams {
  minWeight: number;
  maxWeight: number;
  from: number;
  to: number;
}

/**
 * Chosen by `npm run eval:tune` on the tuning split (a third of every set by id hash plus questions written for
 * tuning; src/eval/sets.ts, docs/benchmarks.md "Retrieval quality"): no shortfall against the better half on any
 * set, then the best mean MRR. There known-item questions leave 0 terms unmatched, paraphrases 3.0–9.0 and
 * structured ones 0–4.0 (a German spam question at 3.7 that the vectors answer better), so BM25's weight falls
 * from 0.9 to 0 between 2.5 and 3 unmatched terms.
 */
export const FUSION: FusionParams = { minWeight: 0, maxWeight: 0.9, from: 2.5, to: 3 };

/** One search's candidates: vector hits (cosine similarity), keyword hits (BM25), the query's unmatched mass. */
export interface Candidates<T> {
  dense: ReadonlyArray<Scored<T>>;
  keyword: ReadonlyArray<Scored<T>>;
  /** IDF mass of the query's terms the best keyword hit lacks, in unseen terms (`unmatchedTerms`). */
  unmatched: number;
}

export const RRF_K = 60;

function reciprocalRankFusion<T>(lists: ReadonlyArray<ReadonlyArray<T>>, key: (item: T) => string): Array<Scored<T>> {
  const fused = new Map<string, Scored<T>>();
  for (const list of lists) {
    list.forEach((item, i) => {
      const id = key(item);
      const entry = fused.get(id) ?? { item, score: 0 };
      entry.score += 1 / (RRF_K + i + 1);
      fused.set(id, entry);
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score);
}

/** The keyword weight for a query's unmatched IDF mass. */
export function keywordWeight(unmatched: number, params: FusionParams = FUSION): number {
  const ramp =
    params.to > params.from ? (params.to - unmatched) / (params.to - params.from) : unmatched <= params.from ? 1 : 0;
  return params.minWeight + (params.maxWeight - params.minWeight) * Math.min(1, Math.max(0, ramp));
}

/** BM25's inverse document frequency of a term in `df` of `n` chunks (Robertson & Zaragoza 2009, eq. 3.3). */
const idf = (df: number, n: number) => Math.log(1 + (n - df + 0.5) / (df + 0.5));

/**
 * The IDF mass of the query terms the best keyword hit lacks (their document frequencies `dfs`), counted in
 * terms no chunk holds: Σ idf(df) / idf(0). IDF grows as ln n, so the unit keeps one threshold meaning the same
 * at a thousand chunks and at a million.
 */
export function unmatchedTerms(dfs: readonly number[], n: number): number {
  let mass = 0;
  for (const df of dfs) mass += idf(df, n);
  return mass / idf(0, Math.max(1, n));
}

function convexCombination<T>(c: Candidates<T>, key: (item: T) => string, weight: number): Array<Scored<T>> {
  const fused = new Map<string, Scored<T>>();
  const add = (list: ReadonlyArray<Scored<T>>, normalize: (s: number) => number, w: number) => {
    for (const { item, score } of list) {
      const id = key(item);
      const entry = fused.get(id) ?? { item, score: 0 };
      entry.score += w * normalize(score);
      fused.set(id, entry);
    }
  };
  const sims = c.dense.map((d) => d.score);
  const lo = Math.min(...sims);
  const hi = Math.max(...sims);
  add(c.dense, (s) => (hi > lo ? (s - lo) / (hi - lo) : 1), 1 - weight);
  const top = Math.max(0, ...c.keyword.map((k) => k.score));
  add(c.keyword, (s) => (top > 0 ? s / top : 0), weight);
  return [...fused.values()].sort((a, b) => b.score - a.score);
}

/** One ranked list from a search's candidates, best first. */
export function rank<T>(
  c: Candidates<T>,
  key: (item: T) => string,
  retriever: Retriever = 'fused',
  params: FusionParams = FUSION,
): Array<Scored<T>> {
  switch (retriever) {
    case 'dense':
      return [...c.dense];
    case 'bm25':
      return [...c.keyword];
    case 'rrf':
      return reciprocalRankFusion([c.dense.map((d) => d.item), c.keyword.map((k) => k.item)], key);
    case 'fused':
      return convexCombination(c, key, keywordWeight(c.unmatched, params));
  }
}
