/**
 * `npm run eval:tune -- [--years FROM-TO] [--split tune|all]`
 * Tunes the fused ranking's constants (src/engine/fusion.ts FUSION) on the tuning third of every set
 * (src/eval/sets.ts): each question's candidates are fetched once, searched as the service searches it (filters
 * read from the question, src/eval/harness.ts `searchedRequest`), then every point of a grid is ranked and
 * scored. The targets come first: the best point has the least shortfall of the fused ranking against the better
 * of BM25 and dense, summed over the sets; among those, the highest mean MRR; then the ramp with the fewest tuning
 * questions inside, then the widest. MRR is taken over whole rankings rather than at 10: a loss from 14th to 15th
 * is what a question just inside the top 10 would lose. Prints one JSON object: the best points, the unmatched IDF mass of each set's tuning
 * questions, and for the best point each set's metrics per retriever.
 */
import { Command } from '../cli/commander.js';
import { loadConfig } from '../config.js';
import { WorkerEmbedder } from '../embed/worker-embedder.js';
import { RETRIEVERS, rank, type Candidates, type FusionParams, type Retriever } from '../engine/fusion.js';
import { CorrespondentIndex } from '../rag/correspondents.js';
import type { ChunkHit } from '../store/vectors.js';
import { messages } from './corpus.js';
import { OWNER, buildIndex, questionsFor, searchedRequest } from './harness.js';
import { CUTOFF, mean, rounded, score, type Metrics } from './metrics.js';
import { SET_NAMES, type SetName } from './sets.js';

const opts = new Command()
  .option('--years <from-to>', 'addresses of these years only', '2001-2021')
  .option('--split <split>', 'tune (default) or all', 'tune')
  .parse()
  .opts();
const [from = 2001, to = 2021] = opts.years.split('-').map(Number);
const split = opts.split === 'all' ? 'all' : 'tune';
const log = (m: string) => process.stderr.write(`[tune] ${m}\n`);

const config = loadConfig();
const embedder = await WorkerEmbedder.load({
  model: config.model,
  modelDir: config.modelDir,
  maxTokens: config.chunkTokens,
});
const corpus = messages([from, to]);
log(`indexing ${corpus.length} messages and the fixtures`);
const index = await buildIndex(embedder, corpus, true);
const sourceOf = new Map(index.engine.listDocuments(OWNER).map((d) => [d.id, d.source]));
const sets = questionsFor(index.engine, corpus, 60, split);
const correspondents = new CorrespondentIndex(index.engine);
const asked: Array<{ set: SetName; relevant: Set<string>; candidates: Candidates<ChunkHit> }> = [];
for (const name of SET_NAMES) {
  log(`${name}: ${sets[name].length} questions`);
  for (const q of sets[name])
    asked.push({
      set: name,
      relevant: new Set(q.relevant),
      candidates: await index.engine.searchCandidates(
        [{ owner: OWNER }],
        await searchedRequest(index.engine, correspondents, q.query),
      ),
    });
}
await index.close();
await embedder.close();

/** Each set's mean metrics for one retriever at `cutoff` (the tuning scores whole rankings: src/eval/metrics.ts). */
function evaluate(retriever: Retriever, params?: FusionParams, cutoff = Infinity): Record<SetName, Metrics> {
  const per = new Map<SetName, Metrics[]>(SET_NAMES.map((s) => [s, []]));
  for (const a of asked) {
    const ranked = rank(a.candidates, (h) => h.chunk_id, retriever, params).map(
      (r) => sourceOf.get(r.item.doc_id) ?? '',
    );
    per.get(a.set)?.push(score(ranked, a.relevant, cutoff));
  }
  return Object.fromEntries(SET_NAMES.map((s) => [s, mean(per.get(s) ?? [])])) as Record<SetName, Metrics>;
}

const halves = { bm25: evaluate('bm25'), dense: evaluate('dense') };
const fixed = (x: number) => Number(x.toFixed(6));
/** How far the fused ranking falls behind the better half, summed over the sets: what the targets forbid. */
const shortfall = (fused: Record<SetName, Metrics>) =>
  fixed(
    SET_NAMES.reduce(
      (sum, s) => sum + Math.max(0, Math.max(halves.bm25[s].mrr, halves.dense[s].mrr) - fused[s].mrr),
      0,
    ),
  );
const meanMrr = (fused: Record<SetName, Metrics>) =>
  fixed(SET_NAMES.reduce((sum, s) => sum + fused[s].mrr, 0) / SET_NAMES.length);

const points: Array<{ params: FusionParams; shortfall: number; mrr: number }> = [];
const steps = (lo: number, hi: number, step: number) =>
  Array.from({ length: Math.round((hi - lo) / step) + 1 }, (_, i) => Number((lo + i * step).toFixed(2)));
for (const minWeight of [0, 0.05, 0.1, 0.2, 0.3])
  for (const maxWeight of steps(0.5, 0.95, 0.05))
    for (const from of steps(0, 5, 0.25))
      for (const to of steps(from, 7, 0.25)) {
        const params = { minWeight, maxWeight, from, to };
        const fused = evaluate('fused', params);
        points.push({ params, shortfall: shortfall(fused), mrr: meanMrr(fused) });
      }
// Ties go to the ramp with the fewest tuning questions inside it (one spanning the gap between the questions
// BM25 explains and those it does not, as a maximum-margin rule would), then the widest, then the lowest start.
const inside = (p: FusionParams) =>
  asked.filter((a) => a.candidates.unmatched > p.from && a.candidates.unmatched < p.to).length;
const width = (p: FusionParams) => p.to - p.from;
points.sort(
  (a, b) =>
    a.shortfall - b.shortfall ||
    b.mrr - a.mrr ||
    inside(a.params) - inside(b.params) ||
    width(b.params) - width(a.params) ||
    a.params.from - b.params.from,
);
const best = points[0]?.params;
if (!best) throw new Error('no grid point');
process.stdout.write(
  `${JSON.stringify(
    {
      split,
      questions: Object.fromEntries(SET_NAMES.map((s) => [s, sets[s].length])),
      best: points.slice(0, 5),
      grid_points: points.length,
      unmatched: Object.fromEntries(
        SET_NAMES.map((s) => {
          const u = asked.filter((a) => a.set === s).map((a) => a.candidates.unmatched);
          return [s, { min: Number(Math.min(...u).toFixed(2)), max: Number(Math.max(...u).toFixed(2)) }];
        }),
      ),
      at_best: Object.fromEntries(
        SET_NAMES.map((s) => [
          s,
          Object.fromEntries(RETRIEVERS.map((r) => [r, rounded(evaluate(r, best, CUTOFF)[s])])),
        ]),
      ),
    },
    null,
    2,
  )}\n`,
);
