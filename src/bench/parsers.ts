/**
 * `npm run bench:parsers -- [--mb N] [--runs R]`: every adversarial case of
 * ./adversarial.ts, at N MiB (default 1) and at half that, parsed in-process
 * (what a parse worker does) and chunked with the model's own token counter
 * (what the engine does next). Prints one JSON object: per case the parse and
 * chunk times (best of R runs, default 2) and their growth from half to full
 * size (about 2 when linear, 4 when quadratic); per format the slowest parse.
 */
import { Command } from '../cli/commander.js';
import { loadConfig } from '../config.js';
import { TransformersEmbedder } from '../embed/transformers.js';
import { adversarialCases, MIB, runCase, type AdversarialCase, type CaseResult } from './adversarial.js';
import { machine, round } from './stats.js';

const opts = new Command()
  .option('--mb <n>', 'size of each input in MiB', (v) => Number(v), 1)
  .option('--runs <n>', 'runs per case and size (the fastest is kept)', (v) => Number(v), 2)
  .parse()
  .opts();

const config = loadConfig();
const counter = await TransformersEmbedder.load({
  model: config.model,
  modelDir: config.modelDir,
  maxTokens: config.chunkTokens,
});

async function fastest(c: AdversarialCase): Promise<CaseResult> {
  let best: CaseResult | undefined;
  for (let run = 0; run < opts.runs; run++) {
    const r = await runCase(c, counter);
    best = best && best.parseMs + best.chunkMs <= r.parseMs + r.chunkMs ? best : r;
  }
  if (!best) throw new Error('--runs must be at least 1');
  return best;
}

const growth = (full: number, half: number) => round(full / Math.max(half, 1), 2);
const size = Math.round(opts.mb * MIB);
const halves = adversarialCases(size / 2);
const cases = [];
for (const [i, c] of adversarialCases(size).entries()) {
  const twin = halves[i];
  if (!twin) throw new Error(`case ${i} has no half-size twin`);
  const full = await fastest(c);
  const half = await fastest(twin);
  process.stderr.write(`[bench] ${c.target}: ${c.what}: parse ${Math.round(full.parseMs)} ms\n`);
  cases.push({
    target: c.target,
    what: c.what,
    parse_ms: round(full.parseMs, 1),
    parse_growth: growth(full.parseMs, half.parseMs),
    chunk_ms: round(full.chunkMs, 1),
    chunk_growth: growth(full.chunkMs, half.chunkMs),
    documents: full.documents,
    chunks: full.chunks,
    failed: [...new Set(full.failed)],
  });
}

const slowest: Record<string, { parse_ms: number; parse_growth: number; what: string }> = {};
for (const c of cases)
  if (c.parse_ms > (slowest[c.target]?.parse_ms ?? -1))
    slowest[c.target] = { parse_ms: c.parse_ms, parse_growth: c.parse_growth, what: c.what };

process.stdout.write(
  `${JSON.stringify({ machine: machine(), input_bytes: size, model: config.model, runs: opts.runs, slowest, cases })}\n`,
);
