/**
 * `npm run bench -- [--chunks N] [--queries Q] [--embed-sample N] [--mbox-mb MB | --no-mbox] [--data-dir DIR [--reuse]]`
 * Prints one JSON object: embed-only vs end-to-end ingest throughput on the
 * same chunks, retrieval latency and ANN recall@10 at N chunks, peak RSS, and
 * (in a child process, so its RSS is its own) the streaming mbox check.
 * With `--reuse`, the index already in `--data-dir` is searched and nothing is ingested.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSource } from '../../ingest/index.js';
import { loadConfig } from '../config.js';
import { WorkerEmbedder } from '../embed/worker-embedder.js';
import { Engine } from '../engine/engine.js';
import { prepareChunks } from '../engine/prepare.js';
import { chunkPredicate } from '../store/filter.js';
import { asSource, generateCorpus, questions } from './corpus.js';
import { machine, peakRssMb, percentile, round } from './stats.js';
import { Command } from '../cli/commander.js';

const opts = new Command()
  .option('--chunks <n>', 'corpus size in chunks (up to 1M)', (v) => Number(v), 20_000)
  .option('--queries <n>', 'retrieval queries', (v) => Number(v), 200)
  .option('--embed-sample <n>', 'chunks embedded for the embed-only baseline', (v) => Number(v), 5_000)
  .option('--mbox-mb <mb>', 'size of the generated mbox for the streaming check', (v) => Number(v), 1024)
  .option('--no-mbox', 'skip the streaming mbox check')
  .option('--data-dir <dir>', 'where to build the index (default: a temp dir, removed afterwards)')
  .option('--reuse', 'search the index already in --data-dir instead of building one')
  .parse()
  .opts();

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const config = loadConfig();
const embedder = await WorkerEmbedder.load({
  model: config.model,
  modelDir: config.modelDir,
  maxTokens: config.chunkTokens,
});
const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'prag-bench-'));
const OWNER = 'bench';

if (opts.reuse && !opts.dataDir) throw new Error('--reuse needs --data-dir');
const engine = await Engine.open({ dataDir, embedder, ann: config.ann, batchSize: config.embedBatch });
const ingest = opts.reuse ? undefined : await buildIndex();
const state = await engine.vectors.indexState();

/** Embed-only baseline, then the same documents end to end, then the rest of the corpus and the index build. */
async function buildIndex() {
  // 1. Embed-only baseline on exactly the texts the engine will embed for the first documents.
  const sampleTexts: string[] = [];
  let sampleDocs = 0;
  for (const file of generateCorpus(Number.MAX_SAFE_INTEGER)) {
    for await (const o of parseSource(asSource(file)))
      if (o.ok) sampleTexts.push(...prepareChunks(o.doc, embedder).texts);
    sampleDocs++;
    if (sampleTexts.length >= Math.min(opts.embedSample, opts.chunks)) break;
  }
  const chunksPerDoc = sampleTexts.length / sampleDocs;
  log(`embed-only: ${sampleTexts.length} chunks (${chunksPerDoc.toFixed(1)} per document)`);
  let t = performance.now();
  for (let i = 0; i < sampleTexts.length; i += config.embedBatch)
    await embedder.embed(sampleTexts.slice(i, i + config.embedBatch));
  const embedOnly = sampleTexts.length / ((performance.now() - t) / 1000);

  // 2. End to end on the same documents first (parse → chunk → embed → LanceDB + SQLite), then the rest of the corpus.
  const files = [...generateCorpus(opts.chunks, 42, chunksPerDoc)];
  log(`end-to-end: ${sampleDocs} documents`);
  const sampleReport = await engine.ingest(files.slice(0, sampleDocs).map(asSource), { owner: OWNER, maintain: false });
  const endToEnd = sampleReport.chunks / sampleReport.seconds;
  log(`ingesting the rest: ${files.length - sampleDocs} documents`);
  const restReport = await engine.ingest(files.slice(sampleDocs).map(asSource), { owner: OWNER, maintain: false });
  t = performance.now();
  await engine.maintain();
  const maintainSeconds = (performance.now() - t) / 1000;
  return {
    documents: sampleReport.documents + restReport.documents,
    chunks: sampleReport.chunks + restReport.chunks,
    embed_only_chunks_per_s: round(embedOnly, 1),
    end_to_end_chunks_per_s: round(endToEnd, 1),
    ratio: round(endToEnd / embedOnly, 3),
    sample_chunks: sampleReport.chunks,
    rest_end_to_end_chunks_per_s: round(restReport.chunks / restReport.seconds, 1),
    index_maintenance_s: round(maintainSeconds, 1),
  };
}

// 3. Retrieval: full hybrid search with query embedding, then vector-only ANN vs exact for recall@10.
const qs = questions(opts.queries);
for (const q of qs.slice(0, 10)) await engine.search(OWNER, { query: q, k: 10 }); // warm caches
let t: number;
const latencies: number[] = [];
const coldLatencies: number[] = [];
for (const q of qs) {
  // Cold: no term counted before (a query whose every word is new to the index's count cache); then as it runs.
  engine.vectors.forgetCounts();
  t = performance.now();
  await engine.search(OWNER, { query: q, k: 10 });
  coldLatencies.push(performance.now() - t);
}
for (const q of qs) {
  t = performance.now();
  await engine.search(OWNER, { query: q, k: 10 });
  latencies.push(performance.now() - t);
}
latencies.sort((a, b) => a - b);
coldLatencies.sort((a, b) => a - b);
const predicate = chunkPredicate(OWNER);
const annMs: number[] = [];
const exactMs: number[] = [];
let overlap = 0;
for (const q of qs) {
  const [v] = await embedder.embed([q]);
  if (!v) throw new Error('the embedder returned no vector');
  t = performance.now();
  const ann = await engine.vectors.vectorSearch(v, predicate, 10);
  annMs.push(performance.now() - t);
  t = performance.now();
  const exact = await engine.vectors.vectorSearch(v, predicate, 10, { exact: true });
  exactMs.push(performance.now() - t);
  const truth = new Set(exact.map((h) => h.chunk_id));
  overlap += ann.filter((h) => truth.has(h.chunk_id)).length / Math.max(1, truth.size);
}
annMs.sort((a, b) => a - b);
exactMs.sort((a, b) => a - b);
await engine.close();
await embedder.close();
if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });

const result: Record<string, unknown> = {
  machine: machine(),
  model: { name: embedder.model, dim: embedder.dim, max_tokens: embedder.maxTokens, batch: config.embedBatch },
  ingest,
  retrieval: {
    chunks: state.rows,
    ann_index: state.ann,
    ann: config.ann,
    queries: qs.length,
    k: 10,
    hybrid_p50_ms: round(percentile(latencies, 50)),
    hybrid_p99_ms: round(percentile(latencies, 99)),
    hybrid_cold_counts_p50_ms: round(percentile(coldLatencies, 50)),
    hybrid_cold_counts_p99_ms: round(percentile(coldLatencies, 99)),
    vector_only_ann_p50_ms: round(percentile(annMs, 50)),
    vector_only_exact_p50_ms: round(percentile(exactMs, 50)),
    recall_at_10_vs_exact: round(overlap / qs.length, 4),
  },
  peak_rss_mb: peakRssMb(),
};

if (opts.mbox) {
  log(`streaming check: ${opts.mboxMb} MB mbox in a child process`);
  const child = fileURLToPath(new URL('./mbox.ts', import.meta.url));
  const out = execFileSync(process.execPath, ['--import', 'tsx', child, '--mb', String(opts.mboxMb)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  result.mbox = JSON.parse(out);
}
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
