/**
 * `npm run eval:tune -- [--years FROM-TO] [--split tune|all]`
 * Tunes the fused ranking's constants (src/engine/fusion.ts FUSION) on the tuning third of every set
 * (src/eval/sets.ts): each question's candidates are fetched once, searched as the service searches it (filters
 * read from the question, src/eval/harness.ts `searchedRequest`), then every point of a grid is ranked and
 * scored. The objective is the mean MRR@10 over the sets, less twice every shortfall of the fused ranking
 * against the better of BM25 and dense on a set; ties go to the ramp with the fewest tuning questions inside,
 * then the widest. Prints one JSON object: the best points, the unmatched IDF mass of each set's tuning
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
import { mean, score, type Metrics } from './metrics.js';
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

function evaluate(retriever: Retriever, params?: FusionParams): Record<SetName, Metrics> {
  const per = new Map<SetName, Metrics[]>(SET_NAMES.map((s) => [s, []]));
  for (const a of asked) {
    const ranked = rank(a.candidates, (h) => h.chunk_id, retriever, params).map(
      (r) => sourceOf.get(r.item.doc_id) ?? '',
    );
    per.get(a.set)?.push(score(ranked, a.relevant));
  }
  return Object.fromEntries(SET_NAMES.map((s) => [s, mean(per.get(s) ?? [])])) as Record<SetName, Metrics>;
}

const halves = { bm25: evaluate('bm25'), dense: evaluate('dense') };
const objective = (fused: Record<SetName, Metrics>) =>
  SET_NAMES.reduce(
    (sum, s) =>
      sum +
      fused[s].mrr / SET_NAMES.length -
      2 * Math.max(0, Math.max(halves.bm25[s].mrr, halves.dense[s].mrr) - fused[s].mrr),
    0,
  );

const points: Array<{ params: FusionParams; objective: number }> = [];
const steps = (lo: number, hi: number, step: number) =>
  Array.from({ length: Math.round((hi - lo) / step) + 1 }, (_, i) => Number((lo + i * step).toFixed(2)));
for (const minWeight of [0, 0.05, 0.1, 0.2, 0.3])
  for (const maxWeight of steps(0.5, 0.95, 0.05))
    for (const from of steps(0, 40, 2))
      for (const to of steps(from, 60, 2)) {
        const params = { minWeight, maxWeight, from, to };
        points.push({ params, objective: Number(objective(evaluate('fused', params)).toFixed(4)) });
      }
// Ties go to the ramp with the fewest tuning questions inside it (one spanning the gap between the questions
// BM25 explains and those it does not, as a maximum-margin rule would), then the widest, then the lowest start.
const inside = (p: FusionParams) =>
  asked.filter((a) => a.candidates.unmatched > p.from && a.candidates.unmatched < p.to).length;
const width = (p: FusionParams) => p.to - p.from;
points.sort(
  (a, b) =>
    b.objective - a.objective ||
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
          return [s, { min: Number(Math.min(...u).toFixed(1)), max: Number(Math.max(...u).toFixed(1)) }];
        }),
      ),
      at_best: Object.fromEntries(
        SET_NAMES.map((s) => [
          s,
          Object.fromEntries(RETRIEVERS.map((r) => [r, (r === 'fused' ? evaluate(r, best) : evaluate(r))[s]])),
        ]),
      ),
    },
    null,
    2,
  )}\n`,
);
