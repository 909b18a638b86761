import { afterEach, describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/embed/embedder.js';
import { Engine } from '../../src/engine/engine.js';
import { bytesSource, fileSource, fixture, openTestEngine, tempDir, testEmbedder } from '../helpers/index.js';
import { must } from '../helpers/must.js';
import { chunkCount, dropSpanColumn, getDocument } from '../helpers/state.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fresh(extra = {}) {
  const dir = tempDir();
  const engine = await openTestEngine(dir.path, extra);
  cleanups.push(dir.cleanup, () => engine.close());
  return { dir: dir.path, engine };
}

describe('engine', () => {
  it('re-ingesting the same bytes is a no-op', async () => {
    const { engine } = await fresh();
    const files = [
      fileSource(fixture('email', 'node-mbox_test-4-message.mbox')),
      fileSource(fixture('finance', 'ofxparse_checking.ofx')),
    ];
    const first = await engine.ingest(files, { owner: 'alice' });
    expect(first).toMatchObject({ documents: 5, skipped: 0, failed: [] });
    const rows = await engine.vectors.count();
    const second = await engine.ingest(files, { owner: 'alice' });
    expect(second).toMatchObject({ documents: 0, chunks: 0, skipped: 5, failed: [] });
    expect(await engine.vectors.count()).toBe(rows);
    expect(chunkCount(engine)).toBe(rows);
    // The same bytes twice in one batch are one document.
    const twice = await engine.ingest([bytesSource('a.txt', 'same words'), bytesSource('b.txt', 'same words')], {
      owner: 'alice',
    });
    expect(twice).toMatchObject({ documents: 1, skipped: 1 });
  });

  it('chunk ids are deterministic for owner and bytes', async () => {
    const a = await fresh();
    const b = await fresh();
    const file = () => [fileSource(fixture('medical', 'ccda_Discharge_Summary_HL7_example.xml'))];
    await a.engine.ingest(file(), { owner: 'alice' });
    await b.engine.ingest(file(), { owner: 'alice' });
    const id = must(a.engine.listDocuments('alice')[0], 'the ingested document').id;
    expect((await a.engine.vectors.chunkIds('alice', id)).sort()).toEqual(
      (await b.engine.vectors.chunkIds('alice', id)).sort(),
    );
  });

  it('delete removes a document and its attachments from both stores and from search', async () => {
    const { engine } = await fresh();
    await engine.ingest(
      [
        fileSource(fixture('email', 'mailparser_nodemailer_attachments.eml')),
        bytesSource('keep.txt', 'Quarterly tax estimate paid to the IRS.'),
      ],
      { owner: 'alice' },
    );
    const mail = must(
      engine.listDocuments('alice').find((d) => d.format === 'eml'),
      'the email',
    );
    const child = must(
      engine.listDocuments('alice').find((d) => d.parentId === mail.id),
      "the email's attachment",
    );
    expect(child.source).toMatch(/notes\.txt$/);
    const before = await engine.search('alice', { query: 'notes about this e-mail', k: 10 });
    expect(before.some((h) => h.doc_id === child.id)).toBe(true);

    expect(await engine.deleteDocument('alice', mail.id)).toBe(2);
    for (const id of [mail.id, child.id]) {
      expect(await engine.vectors.chunkIds('alice', id)).toEqual([]);
      expect(getDocument(engine, 'alice', id)).toBeUndefined();
    }
    const after = await engine.search('alice', { query: 'notes about this e-mail', k: 10 });
    expect(after.map((h) => h.doc_id)).toEqual(expect.not.arrayContaining([mail.id, child.id]));
    expect(engine.listDocuments('alice').map((d) => d.source)).toEqual(['keep.txt']);
    expect(await engine.deleteDocument('alice', mail.id)).toBe(0);
  });

  it('owners are isolated: search and listing never cross owners', async () => {
    const { engine } = await fresh();
    await engine.ingest([bytesSource('a.txt', 'My passport number is in the blue folder.')], { owner: 'alice' });
    await engine.ingest([bytesSource('b.txt', 'Bob keeps the car keys in the kitchen drawer.')], { owner: 'bob' });
    const bobHits = await engine.search('bob', { query: 'passport blue folder', k: 10 });
    expect(bobHits.map((h) => h.source)).toEqual(['b.txt']);
    expect(engine.listDocuments('bob').map((d) => d.source)).toEqual(['b.txt']);
    // Deleting by another owner's id does nothing.
    const aliceDoc = must(engine.listDocuments('alice')[0], "alice's document");
    expect(await engine.deleteDocument('bob', aliceDoc.id)).toBe(0);
    expect(engine.listDocuments('alice')).toHaveLength(1);
  });

  it('opening an index with another embedding model is a clear error', async () => {
    const { dir, engine } = await fresh();
    await engine.ingest([bytesSource('a.txt', 'hello there')], { owner: 'alice' });
    await engine.close();
    cleanups.pop();
    const real = await testEmbedder();
    const other: Embedder = {
      model: 'another-model',
      dim: real.dim,
      maxTokens: real.maxTokens,
      count: (t) => real.count(t),
      embed: (t) => real.embed(t),
    };
    await expect(Engine.open({ dataDir: dir, embedder: other })).rejects.toThrow(
      /built with embedding model "universal-sentence-encoder-lite", but "another-model" is configured/,
    );
    const wider: Embedder = { ...other, model: real.model, dim: 768 };
    await expect(Engine.open({ dataDir: dir, embedder: wider })).rejects.toThrow(
      /embedding dimension "512", but "768"/,
    );
    // The failed opens released the lock and left the index intact.
    const again = await openTestEngine(dir);
    expect(again.listDocuments('alice')).toHaveLength(1);
    await again.close();
  });

  it('an index built before documents had spans opens with each span its one date, and new spans filter', async () => {
    const { dir, engine } = await fresh();
    const csv = (name: string, first: string, last: string) =>
      bytesSource(name, `Date,Description,Amount\n${first},RENT,-900\n${last},RENT,-900\n`);
    await engine.ingest([csv('old.csv', '2024-01-05', '2024-03-05')], { owner: 'alice' });
    await engine.close();
    cleanups.pop();
    await dropSpanColumn(dir);
    const again = await openTestEngine(dir);
    cleanups.push(() => again.close());
    const inFebruary = async () =>
      (await again.search('alice', { query: 'rent', k: 5, filters: { dateFrom: '2024-02-01', dateTo: '2024-02-29' } }))
        .map((h) => h.source)
        .sort();
    expect(await inFebruary()).toEqual([]); // stored before spans: only its last date is known
    await again.ingest([csv('new.csv', '2024-01-06', '2024-03-06')], { owner: 'alice' });
    expect(await inFebruary()).toEqual(['new.csv']);
  });

  it("a date filter meets a statement's own date or its transactions' span, and nothing in between", async () => {
    const { engine } = await fresh();
    // Transactions from 31 March to 7 April 2011, in a download dated 25 May 2013.
    await engine.ingest([fileSource(fixture('finance', 'ofxparse_checking.ofx'))], { owner: 'alice' });
    const found = async (dateFrom: string, dateTo: string) =>
      (await engine.search('alice', { query: 'withdrawal', k: 5, filters: { dateFrom, dateTo } })).length > 0;
    expect(await found('2011-04-01', '2011-04-30')).toBe(true);
    expect(await found('2013-05-01', '2013-05-31')).toBe(true);
    expect(await found('2012-01-01', '2012-12-31')).toBe(false);
    expect(await found('2011-05-01', '2013-04-30')).toBe(false);
  });

  it('a data directory is used by one engine at a time', async () => {
    const { dir } = await fresh();
    await expect(openTestEngine(dir)).rejects.toThrow(/in use by process/);
  });

  it('rejects invalid collection names and search requests', async () => {
    const { engine } = await fresh();
    await expect(engine.ingest([], { owner: 'alice', collection: "x' OR 1=1 --" })).rejects.toThrow(/collection names/);
    await expect(engine.search('alice', { query: '   ' })).rejects.toThrow(/query is empty/);
    await expect(engine.search('alice', { query: 'x', filters: { from: "a' OR '1'='1" } })).rejects.toThrow(
      /not an email address/,
    );
    await expect(engine.search('alice', { query: 'x', k: 0 })).rejects.toThrow();
    const range = (dateFrom: string, dateTo: string) =>
      engine.search('alice', { query: 'x', filters: { dateFrom, dateTo } });
    await expect(range('2024-03-02', '2024-03-01')).rejects.toThrow(/dateFrom is after dateTo/);
    await expect(range('2024-03-01T12:00:00Z', '2024-03-01T11:59:59Z')).rejects.toThrow(/dateFrom is after dateTo/);
    await expect(range('2024-03-01', '2024-03-01')).resolves.toEqual([]);
    await expect(range('2024-03-01T18:00:00Z', '2024-03-01')).resolves.toEqual([]); // a bare end date is its whole day
  });

  it('above the ANN threshold an IVF-PQ index is built and search still finds the right chunk', async () => {
    const { engine } = await fresh({ ann: { annThreshold: 300 } });
    const notes = Array.from({ length: 320 }, (_, i) =>
      bytesSource(
        `n${i}.txt`,
        `Note ${i}: meeting with supplier ${i} about order ${i * 7} of office chairs and desks.`,
      ),
    );
    notes.push(bytesSource('needle.txt', 'The veterinarian vaccinated our dog against rabies on Friday.'));
    await engine.ingest(notes, { owner: 'alice' });
    expect(await engine.vectors.indexState()).toEqual({ rows: 321, ann: true, keyword: true });
    const [hit] = await engine.search('alice', { query: 'when was the dog vaccinated', k: 3 });
    expect(hit?.source).toBe('needle.txt');
  });
});
