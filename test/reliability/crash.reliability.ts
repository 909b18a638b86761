/**
 * Crash: 30 trials of SIGKILL at a random moment while uploads (single files
 * and mbox archives) are being received and ingested, then a restart. After
 * every restart the store opens, every upload the service acknowledged is
 * listed and found by search, and every listed document is whole (found by
 * its own unique token). At the end the stores are inspected directly: no
 * pending rows, and each document has exactly its chunks in the vector store.
 */
import { randomBytes } from 'node:crypto';
import { ROUTES } from '../../schemas/routes.js';
import { connect as lancedb } from '@lancedb/lancedb';
import Database from 'better-sqlite3';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { CHUNKS_TABLE } from '../../schemas/vector-table.js';
import { Wallet } from '../../src/auth/secretjs.js';
import { signPermit } from '../../src/client/credentials.js';
import { PragClient } from '../../src/client/session.js';
import { tempDir } from '../helpers/index.js';
import { must } from '../helpers/must.js';
import { report, sleep, startChildService, type ChildService } from './helpers.js';

const TRIALS = 30;
/** The checks search every listed document: no rate limit in the way (per address or per client). */
const ENV = {
  PRAG_RATE_PER_MIN: '1000000',
  PRAG_RATE_BURST: '1000000',
  PRAG_CLIENT_RATE_PER_MIN: '1000000',
  PRAG_CLIENT_RATE_BURST: '1000000',
};
const dir = tempDir();
const children = new Set<ChildService>();
afterAll(async () => {
  for (const c of children) await c.kill(); // a failed trial must not leave a service running
  dir.cleanup();
});

const token = () => `tok${randomBytes(5).toString('hex')}`;
/** Each message carries its own token (the archive's token + its number), so each is found on its own. */
const MESSAGE = (t: string, i: number) =>
  `From a@example.org Mon Jan  1 00:00:00 2024\nFrom: a@example.org\nSubject: Visit ${t}x${i}\n\nNotes ${t}x${i}: the physiotherapy plan continues twice a week.\n\n`;

test(`${TRIALS} SIGKILLs during ingest: acknowledged uploads survive, nothing is half-visible`, async () => {
  const data = join(dir.path, 'data');
  const wallet = new Wallet();
  const acknowledged = new Map<string, string[]>(); // token → doc ids
  const stats = {
    trials: 0,
    acknowledged: 0,
    in_flight_at_kill: 0,
    listed_checked: 0,
    restarts_ms: [] as number[],
    resumed_ok: 0,
  };
  const started = performance.now();

  const verified = new Set<string>();
  /**
   * Every acknowledged upload is listed; every document listed for the first
   * time (those the last crash could have left half-written) and a sample of
   * the others are found by their own token.
   */
  const check = async (url: string) => {
    const client = await PragClient.connect(url, { allowInsecureDev: true });
    const permit = await signPermit(wallet, { chainId: 'secret-4', serviceId: client.serviceId, device: 'crash' });
    const listed = (await client.call(ROUTES.list, permit, {})).documents;
    const ids = new Set(listed.map((d) => d.doc_id));
    for (const [t, docIds] of acknowledged)
      for (const id of docIds) expect(ids.has(id), `acknowledged ${t} is listed`).toBe(true);
    const fresh = listed.filter((d) => !verified.has(d.doc_id));
    const sample = listed
      .filter((d) => verified.has(d.doc_id))
      .sort(() => Math.random() - 0.5)
      .slice(0, 25);
    for (const d of [...fresh, ...sample]) {
      const t = /tok[0-9a-f]{10}(?:x\d+)?/.exec(d.title)?.[0];
      expect(t, `every document carries its token (${d.title})`).toBeDefined();
      const hits = await client.call(ROUTES.search, permit, { query: must(t, 'its token'), k: 10 });
      expect(
        hits.hits.some((h) => h.doc_id === d.doc_id),
        `listed document ${d.title} is searchable`,
      ).toBe(true);
      verified.add(d.doc_id);
      stats.listed_checked++;
    }
    return { client, permit };
  };

  for (let trial = 0; trial < TRIALS; trial++) {
    const t0 = performance.now();
    const svc = await startChildService(data, ENV);
    children.add(svc);
    stats.restarts_ms.push(performance.now() - t0);
    const { client, permit } = await check(svc.url);
    let stop = false;
    let inFlight = 0;
    const loop = async (kind: 'file' | 'mbox') => {
      while (!stop) {
        const t = token();
        const text =
          kind === 'file'
            ? `Lab note ${t}: ferritin ${Math.floor(Math.random() * 100)} ng/mL.`
            : Array.from({ length: 40 }, (_, i) => MESSAGE(t, i)).join('');
        const bytes = new TextEncoder().encode(text);
        inFlight++;
        try {
          const r = await client.upload(permit, {
            name: kind === 'file' ? `note-${t}.txt` : `mail-${t}.mbox`,
            size: bytes.length,
            bytes,
          });
          acknowledged.set(t, r.doc_ids);
          stats.acknowledged++;
        } catch {
          return; // the service died under us
        } finally {
          inFlight--;
        }
      }
    };
    const loops = [loop('file'), loop('file'), loop('mbox')];
    await sleep(200 + Math.random() * 2800);
    stats.in_flight_at_kill += inFlight;
    stop = true;
    await svc.kill();
    children.delete(svc);
    await Promise.all(loops);
    stats.trials++;
  }

  // Restart once more, let resumed uploads finish, check, and stop cleanly.
  const svc = await startChildService(data, ENV);
  children.add(svc);
  const { client, permit } = await check(svc.url);
  for (let i = 0; i < 600; i++) {
    const uploads = (await client.call(ROUTES.uploads, permit, { limit: 1000 })).uploads;
    if (!uploads.some((u) => u.state === 'queued')) {
      stats.resumed_ok = uploads.filter((u) => u.state === 'done').length;
      expect(uploads.filter((u) => u.state === 'failed')).toEqual([]);
      break;
    }
    await sleep(500);
  }
  await check(svc.url);
  await svc.stop();
  children.delete(svc);

  // The stores themselves: nothing pending, and every document's chunks are all in LanceDB.
  const sqlite = new Database(join(data, 'meta.sqlite'), { readonly: true });
  const docs = sqlite.prepare('select id, owner, chunk_count as n, state from documents').all() as Array<{
    id: string;
    owner: string;
    n: number;
    state: string;
  }>;
  const chunkRows = sqlite.prepare('select count(*) as n from chunks').get() as { n: number };
  sqlite.close();
  expect(docs.filter((d) => d.state !== 'ready')).toEqual([]);
  const table = await (await lancedb(join(data, 'vectors'))).openTable(CHUNKS_TABLE);
  const vectors = await table.countRows();
  expect(vectors).toBe(docs.reduce((n, d) => n + d.n, 0));
  expect(chunkRows.n).toBe(vectors);
  expect(readdirSync(join(data, 'spool'))).toEqual([]);

  report('crash', {
    trials: stats.trials,
    acknowledged_uploads: stats.acknowledged,
    uploads_in_flight_at_kills: stats.in_flight_at_kill,
    resumed_and_completed_uploads: stats.resumed_ok,
    documents: docs.length,
    chunks: vectors,
    listed_documents_checked: stats.listed_checked,
    restart_to_listening_ms: {
      p50: Math.round(stats.restarts_ms.sort((a, b) => a - b)[Math.floor(stats.restarts_ms.length / 2)] ?? NaN),
      max: Math.round(Math.max(...stats.restarts_ms)),
    },
    half_visible_documents: 0,
    lost_acknowledged_uploads: 0,
    seconds: Math.round((performance.now() - started) / 1000),
  });
});
