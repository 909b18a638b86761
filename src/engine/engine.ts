/**
 * The RAG engine: one ingest entry point and hybrid retrieval over two stores.
 *
 * Visibility protocol (crash safety across LanceDB and SQLite):
 *   1. SQLite: the group's documents are inserted as `pending`;
 *   2. LanceDB: their chunk rows are added;
 *   3. SQLite, one transaction: chunk mapping rows + state `ready`.
 * Search returns only chunks of `ready` documents. At start-up, `pending`
 * documents (a crash between 1 and 3) are rolled back from both stores and
 * `deleting` ones (a crash mid-delete) are deleted to completion.
 */
import { randomUUID, createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DocumentMeta, type ParsedDocument } from '../../schemas/document.js';
import { CollectionName, SearchRequest, type SearchHit } from '../../schemas/search.js';
import type { ChunkRow } from '../../schemas/vector-table.js';
import { parseSource, type BytesParser, type Chunk, type ParseOptions, type SourceFile } from '../../ingest/index.js';
import type { Embedder } from '../embed/embedder.js';
import { EmbedQueue } from '../embed/queue.js';
import * as contexts from '../store/contexts.js';
import { inScope, scopePredicate, type SearchScope } from '../store/filter.js';
import { keywordColumn, plainTokens } from '../store/keywords.js';
import { plainSealer, type OwnerSealer, type Sealer } from '../store/sealer.js';
import {
  Stores,
  type DocumentRepository,
  type DocumentRow,
  type NewChunk,
  type FactRepository,
  type JobRepository,
} from '../store/index.js';
import { DEFAULT_ANN, VectorStore, type AnnSettings, type ChunkHit } from '../store/vectors.js';
import { rank, unmatchedTerms, type Candidates, type Retriever } from './fusion.js';
import { lockDataDir } from './lock.js';
import { messageKey } from './message-key.js';
import { keepOriginal, openBody, sealBody, type OpenedDocument } from './document-body.js';
import { prepareChunks } from './prepare.js';

export class EngineError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export interface EngineOptions {
  dataDir: string;
  embedder: Embedder;
  /** What user content becomes before it is stored (default: plain, for embedded mode). */
  sealer?: (stores: Stores) => Sealer;
  ann?: Partial<AnnSettings>;
  parse?: ParseOptions;
  /** Where a file's bytes are parsed (default: in-process; the service passes its worker sandbox). */
  parser?: BytesParser;
  /** Chunks written to the stores per group commit. */
  groupChunks?: number;
  /** Texts per model call. */
  batchSize?: number;
  /** Embed and keyword-index each chunk behind its document's context (src/engine/prepare.ts); default true. */
  contextualChunks?: boolean;
  /** Close the embedder with the engine (when the engine's opener created it). */
  closeEmbedder?: boolean;
}

export interface IngestProgress {
  /**
   * Parse → embed → store: `parsing` while the input is being read, `embedding` once it is all read and
   * chunks still wait for vectors, `storing` for the last writes (and the commit of an atomic ingest).
   */
  stage: 'parsing' | 'embedding' | 'storing';
  /** Documents parsed (and not skipped), chunks queued for embedding, chunks embedded. */
  parsed: number;
  queuedChunks: number;
  embeddedChunks: number;
  /** Documents and chunks written. */
  documents: number;
  chunks: number;
  skipped: number;
  failed: number;
}

export interface IngestOptions {
  owner: string;
  collection?: string;
  onProgress?: (p: IngestProgress) => void;
  /** Fold new rows into the indexes when done (default true). */
  maintain?: boolean;
  /**
   * All or nothing: documents stay invisible until the whole input has been
   * read, and are rolled back if reading it fails (e.g. an envelope segment
   * fails authentication). Default: visible group by group.
   */
  atomic?: boolean;
  /** Aborting stops the ingest between documents (an atomic one is rolled back). */
  signal?: AbortSignal;
  /**
   * Taken for each document, given back with the promise of that document's vectors: what this ingest does
   * between the two is its turn (the upload queue's FairTurns, fair between owners). A turn covers handling
   * one document (chunks queued for embedding) and parsing the next, so a file's end costs no turn.
   */
  turn?: () => Promise<(embedded: Promise<unknown>) => void>;
}

export interface IngestReport {
  job: string;
  documents: number;
  /** Ids of the documents this ingest stored. */
  docIds: string[];
  chunks: number;
  skipped: number;
  failed: Array<{ path: string; error: string }>;
  seconds: number;
}

interface Prepared {
  doc: ParsedDocument;
  /** The uploaded bytes, kept for a single file up to the kept-original limit. */
  original?: Uint8Array;
  chunks: Chunk[];
  /** What the model read for each chunk (its context and text): the keyword index holds the same. */
  texts: string[];
  vectors: Promise<Float32Array[]>;
}

export const DEFAULT_COLLECTION = 'default';

/** An ISO 8601 date (validated by ParsedDocument) as the chunk table's ms since the epoch. */
const ms = (iso: string | undefined) => (iso ? BigInt(Date.parse(iso)) : null);

/** Term document frequencies are counted up to this many chunks: past it a term is common whatever its count. */
const DF_CAP = 1000;

export interface SearchOptions {
  /** Which ranking the hits come from: the fused one, or (for the evaluation's comparison) one half or RRF. */
  retriever?: Retriever;
}

/** A hit with the (stored) owner it belongs to, labelled with its stored collection (always known here). */
export type EngineHit = SearchHit & { owner: string; collection: string };

export class Engine {
  private readonly queue: EmbedQueue;
  private readonly ann: AnnSettings;
  private readonly documents: DocumentRepository;
  private readonly jobs: JobRepository;

  private constructor(
    private readonly opts: EngineOptions,
    /**
     * The data directory's SQLite repositories, opened with the engine (under
     * its lock) and closed with it: for the composition root to hand each
     * consumer the ones it needs.
     */
    readonly stores: Stores,
    readonly vectors: VectorStore,
    private readonly sealer: Sealer,
    private readonly unlock: () => void,
  ) {
    this.documents = stores.documents;
    this.jobs = stores.jobs;
    this.ann = { ...DEFAULT_ANN, ...opts.ann };
    this.queue = new EmbedQueue(opts.embedder, opts.batchSize ?? 32, Math.max(256, (opts.groupChunks ?? 256) * 2));
  }

  static async open(opts: EngineOptions): Promise<Engine> {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    const unlock = lockDataDir(opts.dataDir);
    let stores: Stores | undefined;
    try {
      stores = Stores.open(opts.dataDir);
      const { embedder } = opts;
      const sealer = opts.sealer?.(stores) ?? plainSealer;
      checkRecorded(stores.facts, 'sealer', sealer.id, 'storage sealer');
      checkRecorded(stores.facts, 'embed_model', embedder.model, 'embedding model');
      checkRecorded(stores.facts, 'embed_dim', String(embedder.dim), 'embedding dimension');
      const vectors = await VectorStore.open(join(opts.dataDir, 'vectors'), embedder.dim, {
        ...DEFAULT_ANN,
        ...opts.ann,
      });
      const engine = new Engine(opts, stores, vectors, sealer, unlock);
      await engine.recover();
      return engine;
    } catch (e) {
      stores?.close();
      unlock();
      if (opts.closeEmbedder) await opts.embedder.close?.();
      throw e;
    }
  }

  async close(): Promise<void> {
    this.vectors.close();
    this.stores.close();
    this.unlock();
    if (this.opts.closeEmbedder) await this.opts.embedder.close?.();
  }

  get dataDir(): string {
    return this.opts.dataDir;
  }

  /** Unit vectors of texts under the index's model: what extractive answers compare sentences with the question by. */
  embed(texts: readonly string[]): Promise<Float32Array[]> {
    return this.opts.embedder.embed(texts);
  }

  /** Rolls back half-written documents and finishes half-done deletes. */
  private async recover(): Promise<void> {
    this.jobs.interruptRunning();
    const unfinished = this.documents.unfinished();
    const byOwner = new Map<string, string[]>();
    for (const d of unfinished) byOwner.set(d.owner, [...(byOwner.get(d.owner) ?? []), d.id]);
    for (const [owner, ids] of byOwner) await this.removeDocuments(owner, ids);
  }

  async ingest(files: AsyncIterable<SourceFile> | Iterable<SourceFile>, options: IngestOptions): Promise<IngestReport> {
    const started = performance.now();
    const owner = options.owner;
    if (!owner) throw new EngineError('invalid_owner', 'owner is required');
    const collection = CollectionName.parse(options.collection ?? DEFAULT_COLLECTION);
    const sealer = this.sealer.forOwner(owner);
    const job = randomUUID();
    this.jobs.start({ id: job, owner, collection });
    const atomic = options.atomic ?? false;
    const report: IngestReport = { job, documents: 0, docIds: [], chunks: 0, skipped: 0, failed: [], seconds: 0 };
    const counts = { stage: 'parsing' as IngestProgress['stage'], parsed: 0, queuedChunks: 0, embeddedChunks: 0 };
    const progress = () =>
      options.onProgress?.({
        ...counts,
        documents: report.documents,
        chunks: report.chunks,
        skipped: report.skipped,
        failed: report.failed.length,
      });
    const seen = new Set<string>();
    const groupChunks = this.opts.groupChunks ?? 256;
    let group: Prepared[] = [];
    let size = 0;
    let flushing: Promise<void> = Promise.resolve();
    let embedded: Promise<unknown> = Promise.resolve(); // the vectors of the latest document queued for embedding
    const flush = async () => {
      await flushing; // one group commit in flight; surfaces its failure
      const g = group;
      group = [];
      size = 0;
      flushing = this.writeGroup(owner, sealer, collection, job, g, !atomic).then(() => {
        report.documents += g.length;
        report.docIds.push(...g.map((p) => p.doc.id));
        report.chunks += g.reduce((n, p) => n + p.chunks.length, 0);
        progress();
      });
      flushing.catch(() => undefined);
    };
    try {
      for await (const file of files) {
        options.signal?.throwIfAborted();
        const kept = keepOriginal(file);
        const outcomes = parseSource(kept.file, this.opts.parse, this.opts.parser);
        for await (const outcome of options.turn ? inTurns(outcomes, options.turn, () => embedded) : outcomes) {
          options.signal?.throwIfAborted();
          if (!outcome.ok) {
            report.failed.push({ path: outcome.source, error: `${outcome.code}: ${outcome.message}` });
            progress();
            continue;
          }
          const doc = {
            ...outcome.doc,
            id: sealer.documentId(outcome.doc.id),
            parentId: outcome.doc.parentId && sealer.documentId(outcome.doc.parentId),
          };
          const copyOf = keyedMessage(sealer, doc);
          if (
            seen.has(doc.id) ||
            (copyOf !== undefined && seen.has(copyOf)) ||
            this.documents.states(owner, [doc.id]).has(doc.id) ||
            (copyOf !== undefined && this.documents.hasMessage(owner, copyOf))
          ) {
            report.skipped++; // the same bytes, or the same message, already indexed for this owner: a no-op
            progress();
            continue;
          }
          seen.add(doc.id);
          if (copyOf !== undefined) seen.add(copyOf);
          const { chunks, texts } = prepareChunks(doc, this.opts.embedder, this.opts.contextualChunks);
          const { vectors } = await this.queue.enqueue(texts);
          embedded = vectors;
          counts.parsed++;
          counts.queuedChunks += texts.length;
          progress();
          vectors.then(
            () => {
              counts.embeddedChunks += texts.length;
              if (counts.stage === 'embedding' && counts.embeddedChunks === counts.queuedChunks)
                counts.stage = 'storing';
              progress();
            },
            () => undefined, // the write that awaits these vectors surfaces the failure
          );
          group.push({ doc, chunks, texts, vectors, original: kept.originalOf(outcome.doc) });
          size += chunks.length;
          if (size >= groupChunks) await flush();
        }
      }
      counts.stage = counts.embeddedChunks < counts.queuedChunks ? 'embedding' : 'storing';
      progress();
      if (group.length) await flush();
      await flushing;
      if (atomic) this.documents.setState(owner, this.documents.pendingOfJob(owner, job), 'ready');
    } catch (e) {
      await flushing.catch(() => undefined);
      if (atomic) await this.removeDocuments(owner, this.documents.pendingOfJob(owner, job)).catch(() => undefined);
      this.jobs.finish(
        job,
        { documents: report.documents, chunks: report.chunks, skipped: report.skipped, failed: report.failed.length },
        'interrupted',
      );
      throw e;
    }
    this.jobs.finish(job, {
      documents: report.documents,
      chunks: report.chunks,
      skipped: report.skipped,
      failed: report.failed.length,
    });
    if (options.maintain !== false) await this.vectors.maintain();
    report.seconds = (performance.now() - started) / 1000;
    return report;
  }

  private chunkId(owner: string, docId: string, ordinal: number): string {
    return createHash('sha256').update(`${owner}\0${docId}\0${ordinal}`).digest('hex').slice(0, 32);
  }

  /** Steps 1-3 of the visibility protocol for one group of documents. */
  private async writeGroup(
    owner: string,
    sealer: OwnerSealer,
    collection: string,
    job: string,
    group: Prepared[],
    visible: boolean,
  ): Promise<void> {
    const vectors = await Promise.all(group.map((p) => p.vectors));
    const ids = group.map((p) => p.doc.id);
    const now = Date.now();
    this.documents.insertPending(
      group.map(({ doc, chunks, original }) => ({
        owner,
        id: doc.id,
        collection,
        parentId: doc.parentId ?? null,
        title: sealer.seal(doc.title, contexts.documentTitle(doc.id)),
        source: sealer.seal(doc.source, contexts.documentSource(doc.id)),
        mediaType: doc.mediaType,
        format: doc.format,
        date: doc.date ? Date.parse(doc.date) : null,
        meta: sealer.seal(JSON.stringify(doc.meta), contexts.documentMeta(doc.id)),
        chunkCount: chunks.length,
        bytes: doc.size ?? 0,
        state: 'pending' as const,
        jobId: job,
        createdAt: now,
        messageKey: keyedMessage(sealer, doc) ?? null,
        body: sealBody(sealer, doc, original),
      })),
    );
    try {
      const rows: ChunkRow[] = [];
      const mapping: NewChunk[] = [];
      group.forEach(({ doc, chunks, texts }, g) => {
        const email = doc.meta.kind === 'email' ? doc.meta : undefined;
        const from = email ? addressesOf(email.from).map((a) => sealer.tag(a, contexts.emailAddressTag())) : null;
        const to = email
          ? addressesOf([...email.to, ...email.cc]).map((a) => sealer.tag(a, contexts.emailAddressTag()))
          : null;
        chunks.forEach((c, i) => {
          const id = this.chunkId(owner, doc.id, c.ordinal);
          const vector = vectors[g]?.[i];
          if (vector === undefined) throw new Error(`no embedding for chunk ${i} of document ${doc.id}`);
          rows.push({
            chunk_id: id,
            doc_id: doc.id,
            owner,
            collection,
            format: doc.format,
            doc_date: ms(doc.date),
            doc_date_start: ms(doc.dateStart ?? doc.date),
            doc_date_end: ms(doc.dateEnd ?? doc.date),
            from_addrs: from,
            to_addrs: to,
            text: sealer.seal(c.text, contexts.chunkText(id)),
            keywords: keywordColumn(sealer.keywordTokens(texts[i] ?? c.text)),
            vector,
          });
          mapping.push({
            id,
            owner,
            docId: doc.id,
            ordinal: c.ordinal,
            section: c.section,
            heading: c.heading == null ? null : sealer.seal(c.heading, contexts.chunkHeading(id)),
            page: c.page ?? null,
            ocr: c.ocr ?? false,
            charStart: c.charStart,
            charEnd: c.charEnd,
            tokens: c.tokens,
          });
        });
      });
      await this.vectors.add(rows);
      this.documents.markReady(owner, ids, mapping, visible);
    } catch (e) {
      // Roll back now rather than leave it to the next start-up.
      await this.removeDocuments(owner, ids).catch(() => undefined);
      throw e;
    }
  }

  /**
   * Hybrid search over one owner's chunks, or over several scopes (an owner's
   * own chunks plus what others shared with them). Keyword tokens are per
   * owner (a blind index is keyed per owner), so the keyword query holds each
   * scope owner's tokens; one owner's tokens match only that owner's rows.
   * Hits are grouped by document unless the request asks for chunks (`group: false`).
   */
  async search(
    who: string | readonly SearchScope[],
    request: SearchRequest,
    options: SearchOptions = {},
  ): Promise<EngineHit[]> {
    const { k, group } = SearchRequest.parse(request);
    const scopes = typeof who === 'string' ? [{ owner: who }] : who;
    const candidates = await this.searchCandidates(scopes, request);
    const fused = rank(candidates, (h) => h.chunk_id, options.retriever).filter((f) => inScope(scopes, f.item));
    const visible: Array<{ item: ChunkHit; score: number; doc: DocumentRow }> = [];
    for (const owner of new Set(fused.map((f) => f.item.owner))) {
      const mine = fused.filter((f) => f.item.owner === owner);
      const docs = this.documents.ready(owner, [...new Set(mine.map((f) => f.item.doc_id))]);
      for (const f of mine) {
        const doc = docs.get(f.item.doc_id);
        if (doc) visible.push({ ...f, doc });
      }
    }
    visible.sort((a, b) => b.score - a.score);
    const top = (group ? documentsFirst(visible, (v) => `${v.item.owner}\0${v.item.doc_id}`) : visible).slice(0, k);
    const pointers = new Map(
      [...new Set(top.map((t) => t.item.owner))].flatMap((o) => [
        ...this.documents.chunkPointers(
          o,
          top.filter((t) => t.item.owner === o).map((t) => t.item.chunk_id),
        ),
      ]),
    );
    return top.map(({ item, score, doc }) => {
      const sealer = this.sealer.forOwner(item.owner);
      const ptr = pointers.get(item.chunk_id);
      return {
        doc_id: item.doc_id,
        chunk_id: item.chunk_id,
        title: sealer.open(doc.title, contexts.documentTitle(doc.id)),
        source: sealer.open(doc.source, contexts.documentSource(doc.id)),
        page: ptr?.page ?? null,
        section: ptr?.heading == null ? null : sealer.open(ptr.heading, contexts.chunkHeading(item.chunk_id)),
        collection: doc.collection,
        score,
        text: sealer.open(item.text, contexts.chunkText(item.chunk_id)),
        owner: item.owner,
        ...(ptr?.ocr ? { ocr: true } : {}),
        ...threadOf(sealer, doc),
      };
    });
  }

  /**
   * A search's two candidate lists (cosine similarity, BM25) and the query's unmatched IDF mass, before fusion and
   * before the visibility check: what `search` ranks, and what the fusion tuning (src/eval/tune.ts) re-ranks.
   */
  async searchCandidates(scopes: readonly SearchScope[], request: SearchRequest): Promise<Candidates<ChunkHit>> {
    const { query, k, filters } = SearchRequest.parse(request);
    const owners = [...new Set(scopes.map((s) => s.owner))];
    const sealers = new Map(owners.map((o) => [o, this.sealer.forOwner(o)]));
    const sealerOf = (owner: string) => {
      const sealer = sealers.get(owner);
      if (!sealer) throw new Error(`owner ${owner} is not among the search's scopes`);
      return sealer;
    };
    const { from, to } = filters;
    const predicate = scopePredicate(scopes, {
      ...filters,
      from: from === undefined ? undefined : (o) => sealerOf(o).tag(from, contexts.emailAddressTag()),
      to: to === undefined ? undefined : (o) => sealerOf(o).tag(to, contexts.emailAddressTag()),
    });
    // Each query term as every scope owner's token, in the same order as `terms`.
    const terms = [...new Set(plainTokens(query))];
    const tokens = new Map(owners.map((o) => [o, sealerOf(o).keywordTokens(terms.join(' '))]));
    const perTerm = terms.map((_, i) => [...new Set(owners.map((o) => tokens.get(o)?.[i] ?? ''))].join(' '));
    const candidates = Math.max(4 * k, 40);
    // The keyword side needs no embedding: it runs while the query is embedded. Only the terms the best keyword
    // hit lacks are counted (a count is a search of its own), so a question BM25 fully explains counts nothing.
    const keywordSide = this.vectors.keywordSearch(perTerm.join(' '), predicate, candidates).then(async (hits) => {
      const best = hits[0];
      const held = new Set(best?.keywords.split(' '));
      const mine = (best && tokens.get(best.owner)) ?? [];
      const counts = await this.vectors.termCounts(
        perTerm.filter((_, i) => !held.has(mine[i] ?? '')),
        predicate,
        DF_CAP,
        // Who searches: the scope list as given, the searcher's own scope first.
        JSON.stringify(scopes),
      );
      return { hits, unmatched: unmatchedTerms(counts.df, counts.rows) };
    });
    const [byVector, byKeyword] = await Promise.all([
      this.opts.embedder.embed([query]).then(([vector]) => {
        if (!vector) throw new Error('the embedder returned no vector for the query');
        return this.vectors.vectorSearch(vector, predicate, candidates);
      }),
      keywordSide,
    ]);
    return {
      dense: byVector.map((h) => ({ item: h, score: 1 - h._distance })),
      keyword: byKeyword.hits.map((h) => ({ item: h, score: h._score })),
      unmatched: byKeyword.unmatched,
    };
  }

  /** Deletes a document and its attachments from both stores. Returns the number removed. */
  async deleteDocument(owner: string, id: string): Promise<number> {
    const ids = this.withAttachments(owner, id);
    await this.removeDocuments(owner, ids);
    return ids.length;
  }

  /** A document's id and its attachments' (recursively); empty when the owner has no such document. */
  private withAttachments(owner: string, id: string): string[] {
    const ids: string[] = [];
    const walk = (docId: string) => {
      if (ids.includes(docId) || !this.documents.get(owner, docId)) return;
      ids.push(docId);
      for (const child of this.documents.childIds(owner, docId)) walk(child);
    };
    walk(id);
    return ids;
  }

  /** Moves documents (and their attachments) to another collection label. Returns the number moved. */
  async moveDocuments(owner: string, ids: readonly string[], collection: string): Promise<number> {
    const all = ids.flatMap((id) => this.withAttachments(owner, id));
    // LanceDB first: filters read its label; a crash in between leaves listing behind, never search ahead.
    await this.vectors.setCollection(owner, all, collection);
    this.documents.setCollection(owner, all, collection);
    return all.length;
  }

  /**
   * Removes everything of an owner from both stores and purges old LanceDB
   * versions, so their rows are gone from the files, not only from the
   * current version. The caller destroys the owner's data key afterwards.
   */
  async forgetOwner(owner: string): Promise<void> {
    this.documents.setState(owner, this.documents.idsOf(owner), 'deleting'); // a crash from here on finishes the delete
    await this.vectors.deleteOwner(owner);
    this.stores.forgetOwner(owner);
    await this.vectors.purgeOldVersions();
  }

  /** Removes documents from both stores; once marked `deleting`, a crash part-way is finished at the next start-up. */
  private async removeDocuments(owner: string, ids: string[]): Promise<void> {
    if (!ids.length) return;
    this.documents.setState(owner, ids, 'deleting');
    await this.vectors.deleteDocuments(owner, ids);
    this.documents.remove(owner, ids);
  }

  /** An owner's visible documents, with their fields opened. */
  listDocuments(owner: string, collection?: string): DocumentRow[] {
    const sealer = this.sealer.forOwner(owner);
    return this.documents.list(owner, collection).map((d) => ({
      ...d,
      title: sealer.open(d.title, contexts.documentTitle(d.id)),
      source: sealer.open(d.source, contexts.documentSource(d.id)),
      meta: JSON.parse(sealer.open(d.meta as string, contexts.documentMeta(d.id))) as unknown,
    }));
  }

  /** The collection label of a ready document of `owner`; undefined when there is no such document. */
  documentCollection(owner: string, id: string): string | undefined {
    return this.documents.ready(owner, [id]).get(id)?.collection;
  }

  /**
   * One ready document of `owner`, opened: its row, its parsed sections (only page `page`'s when given),
   * where chunk `chunkId` sits in them, and the kept original when asked for. Undefined when there is no
   * such ready document (or no such chunk in it); `no_body` for a document indexed before bodies were kept.
   */
  openDocument(
    owner: string,
    id: string,
    want: { page?: number; chunkId?: string; original?: boolean } = {},
  ): OpenedDocument | 'no_body' | undefined {
    const row = this.documents.ready(owner, [id]).get(id);
    if (!row) return undefined;
    const body = this.documents.body(owner, id, want.original ?? false);
    if (!body) return 'no_body';
    const chunk = want.chunkId === undefined ? undefined : this.documents.chunkOf(owner, id, want.chunkId);
    if (want.chunkId !== undefined && !chunk) return undefined;
    return openBody(this.sealer.forOwner(owner), row, body, { page: want.page, chunk });
  }

  maintain(): Promise<void> {
    return this.vectors.maintain();
  }
}

/**
 * `items`, one turn each (see IngestOptions.turn): the turn is taken before an item is pulled, held while the
 * loop handles it and while the next one is pulled (parsed), then given back with `embedded()`.
 */
async function* inTurns<T>(
  items: AsyncIterable<T>,
  turn: NonNullable<IngestOptions['turn']>,
  embedded: () => Promise<unknown>,
): AsyncGenerator<T> {
  const it = items[Symbol.asyncIterator]();
  let giveBack = await turn();
  let held = true;
  try {
    let next = await it.next();
    while (!next.done) {
      yield next.value;
      next = await it.next();
      held = false;
      giveBack(embedded());
      if (next.done) break;
      giveBack = await turn();
      held = true;
    }
  } finally {
    if (held) giveBack(embedded());
    await it.return?.(undefined);
  }
}

function checkRecorded(facts: FactRepository, key: string, value: string, what: string): void {
  const recorded = facts.record(key, value);
  if (recorded !== value) {
    throw new EngineError(
      'index_mismatch',
      `this index was built with ${what} "${recorded}", but "${value}" is configured; use the same ${what} or a new data directory`,
    );
  }
}

/** Each key's best item first (in the list's order), then the rest in order. */
function documentsFirst<T>(list: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  const first: T[] = [];
  const rest: T[] = [];
  for (const item of list) {
    const id = key(item);
    (seen.has(id) ? rest : first).push(item);
    seen.add(id);
  }
  return [...first, ...rest];
}

/** For an e-mail: its thread (the first Message-ID of the thread), from the document's sealed metadata. */
function threadOf(sealer: OwnerSealer, doc: DocumentRow): { thread?: string } {
  if (doc.format !== 'eml') return {};
  const meta = DocumentMeta.parse(JSON.parse(sealer.open(doc.meta as string, contexts.documentMeta(doc.id))));
  return meta.kind === 'email' && meta.thread ? { thread: meta.thread } : {};
}

/** An e-mail's message key (message-key.ts), keyed under the owner's key as document ids are. */
function keyedMessage(sealer: OwnerSealer, doc: ParsedDocument): string | undefined {
  const key = messageKey(doc);
  return key === undefined ? undefined : sealer.documentId(key);
}

/** Bare lower-cased addresses from `Name <addr>` strings. */
function addressesOf(list: readonly string[]): string[] {
  return list.map((a) => (/<([^>]+)>/.exec(a)?.[1] ?? a).trim().toLowerCase()).filter((a) => a.includes('@'));
}
