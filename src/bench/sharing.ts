/**
 * `npm run bench:sharing -- [--owners N] [--messages M] [--queries Q] [--delete-chunks C]`
 * 1. Search latency of a grantee holding N accepted grants (one collection from
 *    each of N owners) against a user with none who owns as much as the grantee can
 *    see, on the same service and corpus: the grantee and each owner upload an
 *    M-message mbox, the ungranted user N + 1 of them. So both search the same
 *    number of chunks; what differs is the sharing machinery (N + 1 scopes,
 *    N + 1 owners' blind keyword tokens, labels). Q queries each, end to end
 *    through the client (sealed request, permit, search, sealed reply).
 * 2. Deleting one document of about C chunks: the time, and that the index is
 *    still right afterwards (the document's words find nothing, the rest still
 *    answers).
 * Prints one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Credentials } from '../client/credentials.js';
import { ROUTES } from '../../schemas/routes.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destination } from 'pino';
import { Wallet } from '../auth/secretjs.js';
import { signPermit } from '../client/credentials.js';
import { PragClient } from '../client/session.js';
import { loadConfig } from '../config.js';
import { loadServiceConfig } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { startServer } from '../server/serve.js';
import { emailText, questions, rng } from './corpus.js';
import { machine, peakRssMb, percentile, round } from './stats.js';
import { Command } from '../cli/commander.js';

const opts = new Command()
  .option('--owners <n>', 'grants the grantee holds (one owner each)', (v) => Number(v), 100)
  .option('--messages <n>', 'messages per owner', (v) => Number(v), 20)
  .option('--queries <n>', 'queries per user', (v) => Number(v), 200)
  .option('--delete-chunks <n>', 'chunks in the document deleted', (v) => Number(v), 10_000)
  .parse()
  .opts();

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const dir = mkdtempSync(join(tmpdir(), 'prag-sharing-bench-'));
const server = await startServer(
  join(dir, 'service'),
  // Hundreds of requests from one loopback client: the per-client limit would measure itself.
  loadServiceConfig({ PRAG_PORT: '0', PRAG_CLIENT_RATE_PER_MIN: '1000000', PRAG_CLIENT_RATE_BURST: '1000000' }),
  loadConfig(),
  createLogger(destination(2), 'warn'),
);
const client = await PragClient.connect(server.url, { allowInsecureDev: true });
const user = async () => {
  const wallet = new Wallet();
  return {
    address: wallet.address,
    permit: await signPermit(wallet, { chainId: 'secret-4', serviceId: client.serviceId, device: 'bench' }),
  };
};
const mbox = (seed: number, messages: number) => {
  const r = rng(seed);
  const text = Array.from(
    { length: messages },
    (_, i) =>
      `From sender@example.org Mon Jan  1 00:00:00 2024\n${emailText(r, seed * 100_000 + i).replaceAll('\r\n', '\n')}\n`,
  ).join('');
  const bytes = new TextEncoder().encode(text);
  return { name: 'archive.mbox', size: bytes.length, bytes };
};

try {
  const grantee = await user();
  const loner = await user();
  let chunks = 0;
  log(
    `corpus: grantee and ${opts.owners} owners × ${opts.messages} messages; the ungranted user ${opts.owners + 1} × ${opts.messages}`,
  );
  chunks += (await client.upload(grantee.permit, { ...mbox(1, opts.messages), collection: 'mail' })).chunks;
  for (let i = 0; i <= opts.owners; i++)
    chunks += (await client.upload(loner.permit, { ...mbox(5000 + i, opts.messages), collection: 'mail' })).chunks;
  for (let i = 0; i < opts.owners; i++) {
    const owner = await user();
    chunks += (await client.upload(owner.permit, { ...mbox(1000 + i, opts.messages), collection: 'shared' })).chunks;
    const { grant_id } = await client.call(ROUTES.shareGrant, owner.permit, {
      with: grantee.address,
      collection: 'shared',
    });
    await client.call(ROUTES.shareAccept, grantee.permit, { grant_id }); // a grant matches nothing until accepted
  }
  await server.service.engine.maintain();
  const qs = questions(opts.queries);
  const latency = async (u: { address: string; permit: Credentials }) => {
    for (const q of qs.slice(0, 10)) await client.call(ROUTES.search, u.permit, { query: q, k: 10 });
    const times: number[] = [];
    let foreign = 0;
    for (const q of qs) {
      const t = performance.now();
      const { hits } = await client.call(ROUTES.search, u.permit, { query: q, k: 10 });
      times.push(performance.now() - t);
      foreign += hits.filter((h) => h.owner !== u.address).length;
    }
    times.sort((a, b) => a - b);
    return {
      p50_ms: round(percentile(times, 50), 1),
      p95_ms: round(percentile(times, 95), 1),
      p99_ms: round(percentile(times, 99), 1),
      shared_hits: foreign,
    };
  };
  log('search latency');
  const none = await latency(loner);
  const hundred = await latency(grantee);

  log(`delete: one document of ~${opts.deleteChunks} chunks`);
  const big = await user();
  const r = rng(77);
  const words = ['ledger', 'reconciliation', 'quarter', 'variance', 'accrual', 'depreciation', 'forecast', 'audit'];
  // About two chunks per paragraph (measured with USE-Lite's 128-token window); the reply gives the exact count.
  const paragraphs = Array.from(
    { length: Math.ceil(opts.deleteChunks / 2) },
    (_, i) =>
      `Entry ${i}: ${Array.from({ length: 60 }, () => words[Math.floor(r() * words.length)]).join(' ')} zyxbigdoc.`,
  );
  const bytes = new TextEncoder().encode(paragraphs.join('\n\n'));
  const up = await client.upload(big.permit, { name: 'ledger.txt', size: bytes.length, bytes });
  const keep = new TextEncoder().encode('The spare key is under the third flowerpot.');
  await client.upload(big.permit, { name: 'keep.txt', size: keep.length, bytes: keep });
  await server.service.engine.maintain();
  const rowsBefore = await server.service.engine.vectors.count();
  const [bigDoc] = up.doc_ids;
  if (!bigDoc) throw new Error('the ledger upload made no document');
  const t = performance.now();
  await client.call(ROUTES.delete, big.permit, { doc_id: bigDoc });
  const deleteSeconds = (performance.now() - t) / 1000;
  const rowsAfter = await server.service.engine.vectors.count();
  const stale = (
    await client.call(ROUTES.search, big.permit, { query: 'zyxbigdoc ledger reconciliation', k: 10 })
  ).hits.filter((h) => h.doc_id === bigDoc);
  const kept =
    (await client.call(ROUTES.search, big.permit, { query: 'where is the spare key', k: 1 })).hits[0]?.text.includes(
      'flowerpot',
    ) ?? false;
  await server.service.engine.maintain();
  const afterMaintain = (
    await client.call(ROUTES.search, big.permit, { query: 'zyxbigdoc ledger reconciliation', k: 10 })
  ).hits.filter((h) => h.doc_id === bigDoc).length;

  process.stdout.write(
    `${JSON.stringify({
      machine: machine(),
      corpus_chunks: chunks,
      owners: opts.owners,
      queries: opts.queries,
      search_no_grants_same_visible_corpus: none,
      search_with_grants: hundred,
      ratio_p50: round(hundred.p50_ms / none.p50_ms, 2),
      delete: {
        chunks: up.chunks,
        seconds: round(deleteSeconds, 2),
        rows_removed: rowsBefore - rowsAfter,
        deleted_chunks_returned: stale.length,
        deleted_chunks_returned_after_maintain: afterMaintain,
        other_document_still_found: kept,
      },
      peak_rss_mb: peakRssMb(),
    })}\n`,
  );
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
