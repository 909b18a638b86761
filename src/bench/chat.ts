/**
 * `npm run bench:chat -- [--chunks N] [--queries Q] [--llm-delay-ms D] [--dir DIR]`
 * PRAG's own time to first token over the LLM's: a user holding N chunks asks
 * Q questions end to end through the client (attested session, sealed
 * request, permit, retrieval of k = 8 over all N chunks, prompt, upstream
 * request, streamed sealed frames). A fake OpenAI-compatible worker on
 * loopback answers each request with its first token after D ms and records
 * when the request arrived and when it wrote that token. PRAG's added time is
 * the client's time to first token minus the worker's. `--dir` keeps the
 * index (and the bench identity) between runs; building 100k chunks embeds
 * them all once. Prints one JSON object.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { destination } from 'pino';
import { createIdentity, loadIdentity } from '../client/identity.js';
import { signPermit } from '../client/credentials.js';
import { PragClient } from '../client/session.js';
import { loadConfig } from '../config.js';
import { loadServiceConfig } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { startServer } from '../server/serve.js';
import { startFakeLlm } from '../../test/helpers/fake-llm.js';
import { asSource, generateCorpus, questions } from './corpus.js';
import { machine, peakRssMb, percentile, round } from './stats.js';
import { Command } from '../cli/commander.js';

const opts = new Command()
  .option('--chunks <n>', 'chunks the asking user holds', (v) => Number(v), 100_000)
  .option('--queries <n>', 'questions asked', (v) => Number(v), 100)
  .option('--llm-delay-ms <n>', "the fake LLM's time to first token", (v) => Number(v), 300)
  .option('--dir <dir>', 'data directory kept between runs', '.prag/bench-chat')
  .parse()
  .opts();

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const dir = resolve(opts.dir);
mkdirSync(dir, { recursive: true });
const identityFile = join(dir, 'bench-identity.json');
if (!existsSync(identityFile)) await createIdentity(identityFile);
const wallet = await loadIdentity(identityFile);

const fake = await startFakeLlm({
  tokens: ['The ', 'answer ', 'is ', 'in ', 'your ', 'documents ', '[1].'],
  firstDelayMs: opts.llmDelayMs,
});
const server = await startServer(
  join(dir, 'service'),
  loadServiceConfig({
    PRAG_PORT: '0',
    PRAG_LLM: 'openai',
    PRAG_LLM_URL: fake.url,
    PRAG_LLM_MODEL: 'bench-model',
  }),
  loadConfig(),
  createLogger(destination(2), 'warn'),
);

try {
  const { service } = server;
  const owner = service.ownerId(wallet.address);
  const collection = service.collections.find(owner, 'archive')?.id ?? service.collections.create(owner, 'archive');
  const have = () => service.stores.documents.chunkCount();
  if (have() < opts.chunks * 0.95) {
    log(`building the index: ${have()} chunks, want ~${opts.chunks} (embedding them all; this takes a while)`);
    const started = performance.now();
    const files = generateCorpus(opts.chunks * 2, 42 + have()); // documents run to several chunks each: stop at the target
    while (have() < opts.chunks) {
      const batch = Array.from({ length: 200 }, () => files.next())
        .filter((f) => !f.done)
        .map((f) => asSource(f.value));
      if (!batch.length) break;
      await service.engine.ingest(batch, { owner, collection, maintain: false });
      log(`  ${have()} chunks after ${Math.round((performance.now() - started) / 1000)} s`);
    }
    await service.engine.maintain();
  }
  const chunks = have();
  const client = await PragClient.connect(server.url, { allowInsecureDev: true });
  const permit = await signPermit(wallet, { chainId: 'secret-4', serviceId: client.serviceId, device: 'bench' });

  const ask = async (question: string) => {
    const t0 = performance.now();
    const { frames } = await client.chat(permit, { messages: [{ role: 'user', content: question }], k: 8 });
    let first = 0;
    let answer = '';
    for await (const f of frames) {
      if (f.type === 'delta' && !first) first = performance.now();
      if (f.type === 'final') answer = f.answer;
      if (f.type === 'error') throw new Error(f.error.code);
    }
    const worker = fake.timings.at(-1);
    if (!worker) throw new Error('the fake LLM recorded no request');
    return {
      ttft: first - t0,
      llm: worker.firstChunkAt - worker.arrivedAt,
      before: worker.arrivedAt - t0,
      after: first - worker.firstChunkAt,
      answer,
    };
  };
  for (const q of questions(5, 99)) await ask(q); // warm-up: model, index caches, connections
  const runs = [];
  for (const q of questions(opts.queries)) runs.push(await ask(q));
  const stat = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return {
      p50: round(percentile(sorted, 50), 1),
      p95: round(percentile(sorted, 95), 1),
      max: round(sorted.at(-1) ?? NaN, 1),
    };
  };
  process.stdout.write(
    `${JSON.stringify(
      {
        bench: 'chat-ttft',
        machine: machine(),
        chunks,
        queries: runs.length,
        k: 8,
        llm_first_token_ms: stat(runs.map((r) => r.llm)),
        client_first_token_ms: stat(runs.map((r) => r.ttft)),
        prag_added_ms: stat(runs.map((r) => r.ttft - r.llm)),
        before_llm_ms: stat(runs.map((r) => r.before)),
        after_llm_ms: stat(runs.map((r) => r.after)),
        answers_with_citation: runs.filter((r) => r.answer.includes('[1]')).length,
        peak_rss_mb: peakRssMb(),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await server.close();
  await fake.close();
}
