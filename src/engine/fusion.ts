/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009):
 * score(d) = Σ over lists of 1 / (k + rank(d)), ranks from 1, k = 60.
 */
export const RRF_K = 60;

export function reciprocalRankFusion<T>(
  lists: ReadonlyArray<ReadonlyArray<T>>,
  key: (item: T) => string,
  k = RRF_K,
): Array<{ item: T; score: number }> {
  const fused = new Map<string, { item: T; score: number }>();
  for (const list of lists) {
    list.forEach((item, i) => {
      const id = key(item);
      const entry = fused.get(id) ?? { item, score: 0 };
      entry.score += 1 / (k + i + 1);
      fused.set(id, entry);
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score);
}
