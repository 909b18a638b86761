/**
 * LanceDB store for chunk vectors, text and keyword tokens. Below
 * `annThreshold` rows every vector search is exact (flat); above it an IVF-PQ
 * index answers, with `nprobes` partitions probed and `refineFactor`×k
 * candidates re-ranked on full vectors (the figures are measured in the
 * benchmark against exact search, not assumed).
 */
import * as lancedb from '@lancedb/lancedb';
import { availableParallelism } from 'node:os';
import { CHUNKS_TABLE, chunkTableSchema, type ChunkRow } from '../../schemas/vector-table.js';
import { sqlLiteral } from './filter.js';

export interface AnnSettings {
  /** Rows from which an ANN index is built; below it search is exact. */
  annThreshold: number;
  nprobes: number;
  refineFactor: number;
}

/** Tuned with `npm run bench -- --chunks 100000`: recall@10 ≈ 0.98 against exact search (see README). */
export const DEFAULT_ANN: AnnSettings = { annThreshold: 25_000, nprobes: 32, refineFactor: 12 };

export interface ChunkHit {
  chunk_id: string;
  doc_id: string;
  owner: string;
  collection: string;
  text: string;
}
export interface VectorHit extends ChunkHit {
  _distance: number;
}
export interface KeywordHit extends ChunkHit {
  _score: number;
  /** The row's keyword column (its distinct tokens, space-separated). */
  keywords: string;
}

// Lance sizes its CPU pool as cores − 2; on a 2-core machine that is one thread, and its full-text index
// builder deadlocks there once the posting lists span more than one batch (lancedb/lancedb#3568).
// Read when the pool is first used, so setting it before any table operation is enough.
process.env.LANCE_CPU_THREADS ??= String(Math.max(4, availableParallelism()));

const HIT_COLUMNS = ['chunk_id', 'doc_id', 'owner', 'collection', 'text'];
const VECTOR_INDEX = 'vector_idx';
const SCALAR_INDEXES: Array<[string, () => lancedb.Index]> = [
  ['owner', () => lancedb.Index.bitmap()],
  ['collection', () => lancedb.Index.bitmap()],
  ['format', () => lancedb.Index.bitmap()],
  ['doc_date', () => lancedb.Index.btree()],
  ['doc_date_start', () => lancedb.Index.btree()],
  ['doc_date_end', () => lancedb.Index.btree()],
  ['from_addrs', () => lancedb.Index.labelList()],
  ['to_addrs', () => lancedb.Index.labelList()],
];
const KEYWORD_INDEX = 'keywords_idx';
const SPAN_COLUMNS = ['doc_date_start', 'doc_date_end'];
const MAX_COUNTS = 50_000;

export class VectorStore {
  /** Writes (add, delete, maintenance) run one at a time. */
  private writes: Promise<unknown> = Promise.resolve();
  /** Term and row counts by predicate, dropped after every write: queries repeat their terms, and a count is a search. */
  private counts = new Map<string, Promise<number>>();

  private constructor(
    private readonly conn: lancedb.Connection,
    private readonly table: lancedb.Table,
    readonly dim: number,
    private readonly ann: AnnSettings,
    /** Known at open and set by `maintain`, so searches do not list indexes. */
    private keywordIndex: boolean,
  ) {}

  static async open(dir: string, dim: number, ann: AnnSettings = DEFAULT_ANN): Promise<VectorStore> {
    const conn = await lancedb.connect(dir);
    const names = await conn.tableNames();
    const table = names.includes(CHUNKS_TABLE)
      ? await conn.openTable(CHUNKS_TABLE)
      : await conn.createEmptyTable(CHUNKS_TABLE, chunkTableSchema(dim));
    const fields = (await table.schema()).fields;
    const field = fields.find((f) => f.name === 'vector');
    const stored = (field?.type as { listSize?: number } | undefined)?.listSize;
    if (stored !== dim) throw new Error(`vector table holds ${stored}-d vectors, the embedder makes ${dim}-d ones`);
    // A table from before spans: every document's span is its one date, as it was filtered then; indexed now,
    // as date filters read the columns from the first search on.
    const missing = SPAN_COLUMNS.filter((c) => !fields.some((f) => f.name === c));
    if (missing.length) {
      await table.addColumns(missing.map((name) => ({ name, valueSql: 'doc_date' })));
      if (await table.countRows())
        for (const c of missing) await table.createIndex(c, { config: lancedb.Index.btree() });
    }
    const keywordIndexed = (await table.listIndices()).some((i) => i.name === KEYWORD_INDEX);
    return new VectorStore(conn, table, dim, ann, keywordIndexed);
  }

  close(): void {
    this.table.close();
    this.conn.close();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.writes.then(fn, fn).finally(() => this.counts.clear());
    this.writes = next.catch(() => undefined);
    return next;
  }

  add(rows: readonly ChunkRow[]): Promise<void> {
    if (!rows.length) return Promise.resolve();
    return this.serial(async () => {
      await this.table.add([...rows]); // Float32Array vectors go into the Arrow batch as they are
    });
  }

  deleteDocuments(owner: string, docIds: readonly string[]): Promise<void> {
    if (!docIds.length) return Promise.resolve();
    return this.serial(async () => {
      for (let i = 0; i < docIds.length; i += 500) {
        const ids = docIds
          .slice(i, i + 500)
          .map(sqlLiteral)
          .join(', ');
        await this.table.delete(`owner = ${sqlLiteral(owner)} AND doc_id IN (${ids})`);
      }
    });
  }

  /** Relabels documents' chunks with another collection. */
  setCollection(owner: string, docIds: readonly string[], collection: string): Promise<void> {
    if (!docIds.length) return Promise.resolve();
    return this.serial(async () => {
      for (let i = 0; i < docIds.length; i += 500) {
        const ids = docIds
          .slice(i, i + 500)
          .map(sqlLiteral)
          .join(', ');
        await this.table.update({
          where: `owner = ${sqlLiteral(owner)} AND doc_id IN (${ids})`,
          values: { collection },
        });
      }
    });
  }

  deleteOwner(owner: string): Promise<void> {
    return this.serial(async () => {
      await this.table.delete(`owner = ${sqlLiteral(owner)}`);
    });
  }

  /**
   * Compacts and removes every older table version, so rows deleted from the
   * current version no longer sit in files on disk (Lance keeps old versions
   * for time travel otherwise).
   */
  purgeOldVersions(): Promise<void> {
    return this.serial(async () => {
      await this.table.optimize({ cleanupOlderThan: new Date(), deleteUnverified: true });
    });
  }

  /** Whether the full-text index exists (rows added after it are searched unindexed until the next maintain). */
  get keywordIndexed(): boolean {
    return this.keywordIndex;
  }

  count(predicate?: string): Promise<number> {
    return this.table.countRows(predicate);
  }

  /** Chunk ids present for a document (used by tests and by recovery checks). */
  async chunkIds(owner: string, docId: string): Promise<string[]> {
    const rows = await this.table
      .query()
      .where(`owner = ${sqlLiteral(owner)} AND doc_id = ${sqlLiteral(docId)}`)
      .select(['chunk_id'])
      .toArray();
    return rows.map((r: { chunk_id: string }) => r.chunk_id);
  }

  async vectorSearch(
    vector: Float32Array,
    predicate: string,
    limit: number,
    { exact = false } = {},
  ): Promise<VectorHit[]> {
    let q = this.table
      .vectorSearch(Array.from(vector))
      .distanceType('cosine')
      .where(predicate)
      .select([...HIT_COLUMNS, '_distance'])
      .limit(limit);
    if (exact) q = q.bypassVectorIndex();
    else q = q.nprobes(this.ann.nprobes).refineFactor(this.ann.refineFactor);
    return (await q.toArray()) as VectorHit[];
  }

  async keywordSearch(keywords: string, predicate: string, limit: number): Promise<KeywordHit[]> {
    if (!keywords || !this.keywordIndex) return [];
    const q = this.table
      .query()
      .fullTextSearch(keywords, { columns: 'keywords' })
      .where(predicate)
      .select([...HIT_COLUMNS, 'keywords', '_score'])
      .limit(limit);
    return (await q.toArray()) as KeywordHit[];
  }

  /**
   * How many rows the predicate admits, and for each entry of `terms` (tokens separated by spaces, any of which
   * counts) how many of them hold it, up to `cap`: the document frequencies a query's IDF weights need. Cached
   * per `partition` (who searches) as well as per predicate: two requesters' predicates can be the same string (an
   * owner's and a grantee's, over one collection), and a cache hit would tell one when the other last searched.
   */
  async termCounts(
    terms: readonly string[],
    predicate: string,
    cap: number,
    partition: string,
  ): Promise<{ rows: number; df: number[] }> {
    const key = `${partition}\0${predicate}\0`;
    const [rows, ...df] = await Promise.all([
      this.counted(key, () => this.table.countRows(predicate)),
      ...terms.map((t) =>
        t && this.keywordIndex
          ? this.counted(`${key}${t}\0${cap}`, async () => {
              const hits = await this.table
                .query()
                .fullTextSearch(t, { columns: 'keywords' })
                .where(predicate)
                .select(['chunk_id', '_score'])
                .limit(cap)
                .toArray();
              return hits.length;
            })
          : Promise.resolve(0),
      ),
    ]);
    return { rows, df };
  }

  /** Drops the cached counts (the benchmark's cold measurement). */
  forgetCounts(): void {
    this.counts.clear();
  }

  private counted(key: string, count: () => Promise<number>): Promise<number> {
    let n = this.counts.get(key);
    if (!n) {
      if (this.counts.size >= MAX_COUNTS) this.counts.clear();
      n = count();
      this.counts.set(key, n);
      n.catch(() => this.counts.delete(key));
    }
    return n;
  }

  /**
   * Keeps the indexes up to date: creates the keyword index once there are rows,
   * the ANN index once there are `annThreshold` rows (rebuilt when the table has
   * grown 4× since), folds new rows into existing indexes and compacts files.
   */
  maintain(): Promise<void> {
    return this.serial(async () => {
      const rows = await this.table.countRows();
      if (rows === 0) return;
      const indices = await this.table.listIndices();
      const keyword = indices.find((i) => i.name === KEYWORD_INDEX);
      const vector = indices.find((i) => i.name === VECTOR_INDEX);
      if (!keyword) {
        await this.table.createIndex('keywords', {
          name: KEYWORD_INDEX,
          config: lancedb.Index.fts({
            baseTokenizer: 'whitespace',
            lowercase: false,
            stem: false,
            removeStopWords: false,
            asciiFolding: false,
            withPosition: false,
          }),
        });
        this.keywordIndex = true;
      }
      // Scalar indexes make the prefilters (owner on every query) cheap.
      for (const [column, config] of SCALAR_INDEXES) {
        if (!indices.some((i) => i.columns.includes(column)))
          await this.table.createIndex(column, { config: config() });
      }
      const trained = vector ? Number(vector.numIndexedRows ?? 0) : 0;
      if (rows >= this.ann.annThreshold && (!vector || rows > 4 * trained)) {
        await this.table.createIndex('vector', {
          name: VECTOR_INDEX,
          replace: true,
          config: lancedb.Index.ivfPq({
            distanceType: 'cosine',
            numPartitions: Math.max(1, Math.round(Math.sqrt(rows))),
            numSubVectors: this.dim % 8 === 0 ? this.dim / 8 : this.dim % 4 === 0 ? this.dim / 4 : 1,
          }),
        });
      }
      await this.table.optimize({ cleanupOlderThan: new Date(Date.now() - 60_000) });
    });
  }

  async indexState(): Promise<{ rows: number; ann: boolean; keyword: boolean }> {
    const indices = await this.table.listIndices();
    return {
      rows: await this.table.countRows(),
      ann: indices.some((i) => i.name === VECTOR_INDEX),
      keyword: indices.some((i) => i.name === KEYWORD_INDEX),
    };
  }
}
