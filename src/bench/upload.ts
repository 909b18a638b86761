/**
 * `npm run bench:upload -- [--messages N]`: the same N-message mbox (default
 * 10,000) indexed twice, each into a fresh data directory:
 *   index:  `prag index`'s path (file → engine, plain storage, no service);
 *   upload: `prag upload`'s path (file → seal → HTTP on loopback → open →
 *           engine with sealed storage), client and service in this process.
 * Prints one JSON object with both times and the ratio (upload / index).
 */
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destination } from 'pino';
import { Wallet } from '../auth/secretjs.js';
import { signPermit } from '../client/credentials.js';
import { PragClient } from '../client/session.js';
import { findFiles, sourceFile } from '../cli/files.js';
import { loadConfig } from '../config.js';
import { openEngine } from '../engine/open.js';
import { loadServiceConfig } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { startServer } from '../server/serve.js';
import { emailText, rng } from './corpus.js';
import { machine, peakRssMb, round } from './stats.js';
import { Command } from '../cli/commander.js';

const { messages } = new Command()
  .option('--messages <n>', 'messages in the mbox', (v) => Number(v), 10_000)
  .parse()
  .opts();
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const dir = mkdtempSync(join(tmpdir(), 'prag-upload-bench-'));
const mbox = join(dir, 'archive.mbox');
const r = rng(5);
writeFileSync(
  mbox,
  Array.from(
    { length: messages },
    (_, i) => `From sender@example.org Mon Jan  1 00:00:00 2024\n${emailText(r, i).replaceAll('\r\n', '\n')}\n`,
  ).join(''),
);
const bytes = statSync(mbox).size;
const config = loadConfig();

try {
  log(`index: ${messages} messages, ${round(bytes / 2 ** 20, 1)} MiB`);
  const engine = await openEngine(join(dir, 'index'), config);
  const indexed = await engine.ingest(
    (await findFiles([mbox])).files.map((f) => sourceFile(f)),
    { owner: 'bench' },
  );
  await engine.close();

  log('upload: sealed, over loopback HTTP, into sealed storage');
  const server = await startServer(
    join(dir, 'service'),
    loadServiceConfig({ PRAG_PORT: '0' }),
    config,
    createLogger(destination(2), 'warn'),
  );
  const client = await PragClient.connect(server.url, { allowInsecureDev: true });
  const wallet = new Wallet();
  const permit = await signPermit(wallet, { chainId: 'secret-4', serviceId: client.serviceId, device: 'bench' });
  const started = performance.now();
  const reply = await client.upload(permit, {
    name: 'archive.mbox',
    size: bytes,
    bytes: createReadStream(mbox, { highWaterMark: 256 * 1024 }),
  });
  const uploadSeconds = (performance.now() - started) / 1000;
  await server.close();

  process.stdout.write(
    `${JSON.stringify({
      machine: machine(),
      messages,
      mib: round(bytes / 2 ** 20, 1),
      index: {
        documents: indexed.documents,
        chunks: indexed.chunks,
        seconds: round(indexed.seconds, 1),
        chunks_per_s: round(indexed.chunks / indexed.seconds, 1),
      },
      upload: {
        documents: reply.doc_ids.length,
        chunks: reply.chunks,
        seconds: round(uploadSeconds, 1),
        chunks_per_s: round(reply.chunks / uploadSeconds, 1),
      },
      ratio_upload_over_index: round(uploadSeconds / indexed.seconds, 3),
      peak_rss_mb: peakRssMb(),
    })}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
