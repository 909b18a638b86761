/**
 * SQLite (better-sqlite3 + drizzle) for documents, the chunk↔document mapping,
 * ingest jobs and index facts. Opening applies the migrations in
 * `schemas/migrations`.
 */
import Database from 'better-sqlite3';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { fileURLToPath } from 'node:url';
import * as schema from '../../schemas/db.js';
import {
  accessLog,
  chunks,
  collections,
  conversations,
  documents,
  grants,
  indexMeta,
  ingestJobs,
  ownerKeys,
  revokedPermits,
  uploads,
  type UploadState,
} from '../../schemas/db.js';

export type DocumentRow = typeof documents.$inferSelect;
export type NewDocument = typeof documents.$inferInsert;
export type NewChunk = typeof chunks.$inferInsert;
export type JobRow = typeof ingestJobs.$inferSelect;
export type CollectionRow = typeof collections.$inferSelect;
export type GrantRow = typeof grants.$inferSelect;
export type AccessLogRow = typeof accessLog.$inferSelect;
export type ConversationRow = typeof conversations.$inferSelect;
export type UploadRow = typeof uploads.$inferSelect;

const MIGRATIONS = fileURLToPath(new URL('../../schemas/migrations', import.meta.url));

/** SQLite caps bound parameters per statement; stay well under it. */
const IN_BATCH = 500;

export class MetaStore {
  private constructor(
    private readonly sqlite: Database.Database,
    private readonly db: BetterSQLite3Database<typeof schema>,
  ) {}

  static open(file: string): MetaStore {
    const sqlite = new Database(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL'); // WAL + NORMAL survives a process crash; only power loss can drop the last commit
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('secure_delete = ON'); // deleted rows are overwritten, not left in free pages
    const db = drizzle(sqlite, { schema });
    migrate(db, { migrationsFolder: MIGRATIONS });
    return new MetaStore(sqlite, db);
  }

  close(): void {
    this.sqlite.close();
  }

  transaction<T>(fn: () => T): T {
    return this.sqlite.transaction(fn)();
  }

  getMeta(key: string): string | undefined {
    return this.db.select().from(indexMeta).where(eq(indexMeta.key, key)).get()?.value;
  }

  setMeta(key: string, value: string): void {
    this.db
      .insert(indexMeta)
      .values({ key, value })
      .onConflictDoUpdate({ target: indexMeta.key, set: { value } })
      .run();
  }

  /** The states of the given documents of one owner (ids not present are absent from the map). */
  documentStates(owner: string, ids: readonly string[]): Map<string, schema.DocumentState> {
    const out = new Map<string, schema.DocumentState>();
    for (let i = 0; i < ids.length; i += IN_BATCH) {
      const rows = this.db
        .select({ id: documents.id, state: documents.state })
        .from(documents)
        .where(and(eq(documents.owner, owner), inArray(documents.id, ids.slice(i, i + IN_BATCH))))
        .all();
      for (const r of rows) out.set(r.id, r.state);
    }
    return out;
  }

  readyDocuments(owner: string, ids: readonly string[]): Map<string, DocumentRow> {
    const out = new Map<string, DocumentRow>();
    for (let i = 0; i < ids.length; i += IN_BATCH) {
      // Keyed on the primary key (owner, id); the state is checked here so the planner cannot prefer the state index.
      const rows = this.db
        .select()
        .from(documents)
        .where(and(eq(documents.owner, owner), inArray(documents.id, ids.slice(i, i + IN_BATCH))))
        .all();
      for (const r of rows) if (r.state === 'ready') out.set(r.id, r);
    }
    return out;
  }

  insertPending(docs: readonly NewDocument[]): void {
    this.transaction(() => {
      for (const d of docs)
        this.db
          .insert(documents)
          .values({ ...d, state: 'pending' })
          .run();
    });
  }

  /**
   * Makes documents visible: their chunk mapping and the `ready` state land in
   * one transaction. With `visible: false` the mapping lands and the documents
   * stay `pending` until `setState(…, 'ready')` (all-or-nothing uploads).
   */
  markReady(owner: string, docIds: readonly string[], rows: readonly NewChunk[], visible = true): void {
    this.transaction(() => {
      for (const c of rows) this.db.insert(chunks).values(c).run();
      if (visible)
        for (const id of docIds) {
          this.db
            .update(documents)
            .set({ state: 'ready' })
            .where(and(eq(documents.owner, owner), eq(documents.id, id)))
            .run();
        }
    });
  }

  setState(owner: string, ids: readonly string[], state: schema.DocumentState): void {
    this.transaction(() => {
      for (const id of ids)
        this.db
          .update(documents)
          .set({ state })
          .where(and(eq(documents.owner, owner), eq(documents.id, id)))
          .run();
    });
  }

  /** Removes documents and their chunk rows. */
  removeDocuments(owner: string, ids: readonly string[]): void {
    this.transaction(() => {
      for (const id of ids) {
        this.db
          .delete(chunks)
          .where(and(eq(chunks.owner, owner), eq(chunks.docId, id)))
          .run();
        this.db
          .delete(documents)
          .where(and(eq(documents.owner, owner), eq(documents.id, id)))
          .run();
      }
    });
  }

  /** Documents a crash left half-written (`pending`) or half-deleted (`deleting`). */
  unfinished(): Array<Pick<DocumentRow, 'owner' | 'id' | 'state'>> {
    return this.db
      .select({ owner: documents.owner, id: documents.id, state: documents.state })
      .from(documents)
      .where(inArray(documents.state, ['pending', 'deleting']))
      .all();
  }

  getDocument(owner: string, id: string): DocumentRow | undefined {
    return this.db
      .select()
      .from(documents)
      .where(and(eq(documents.owner, owner), eq(documents.id, id)))
      .get();
  }

  listDocuments(owner: string, collection?: string): DocumentRow[] {
    const where = collection
      ? and(eq(documents.owner, owner), eq(documents.state, 'ready'), eq(documents.collection, collection))
      : and(eq(documents.owner, owner), eq(documents.state, 'ready'));
    return this.db.select().from(documents).where(where).orderBy(documents.createdAt).all();
  }

  /** Documents a job wrote that are not yet visible. */
  pendingOfJob(owner: string, job: string): string[] {
    return this.db
      .select({ id: documents.id })
      .from(documents)
      .where(and(eq(documents.owner, owner), eq(documents.jobId, job), eq(documents.state, 'pending')))
      .all()
      .map((r) => r.id);
  }

  /** Children (attachments) of a document. */
  childIds(owner: string, parentId: string): string[] {
    return this.db
      .select({ id: documents.id })
      .from(documents)
      .where(and(eq(documents.owner, owner), eq(documents.parentId, parentId)))
      .all()
      .map((r) => r.id);
  }

  chunkPointers(
    owner: string,
    ids: readonly string[],
  ): Map<string, Pick<typeof chunks.$inferSelect, 'page' | 'heading' | 'section' | 'charStart' | 'charEnd'>> {
    const out = new Map<
      string,
      Pick<typeof chunks.$inferSelect, 'page' | 'heading' | 'section' | 'charStart' | 'charEnd'>
    >();
    for (let i = 0; i < ids.length; i += IN_BATCH) {
      // By primary key only: with `owner = ?` in the query SQLite may walk the owner's whole (owner, doc_id) index.
      const rows = this.db
        .select({
          id: chunks.id,
          owner: chunks.owner,
          page: chunks.page,
          heading: chunks.heading,
          section: chunks.section,
          charStart: chunks.charStart,
          charEnd: chunks.charEnd,
        })
        .from(chunks)
        .where(inArray(chunks.id, ids.slice(i, i + IN_BATCH)))
        .all();
      for (const { id, owner: rowOwner, ...ptr } of rows) if (rowOwner === owner) out.set(id, ptr);
    }
    return out;
  }

  chunkCount(): number {
    return (
      this.db
        .select({ n: sql<number>`count(*)` })
        .from(chunks)
        .get()?.n ?? 0
    );
  }

  startJob(job: { id: string; owner: string; collection: string }): void {
    this.db
      .insert(ingestJobs)
      .values({ ...job, status: 'running', startedAt: Date.now() })
      .run();
  }

  finishJob(
    id: string,
    counts: { documents: number; chunks: number; skipped: number; failed: number },
    status: 'completed' | 'interrupted' = 'completed',
  ): void {
    this.db
      .update(ingestJobs)
      .set({ ...counts, status, finishedAt: Date.now() })
      .where(eq(ingestJobs.id, id))
      .run();
  }

  /** Jobs still `running` at start-up were cut short by a crash. */
  interruptRunningJobs(): number {
    return this.db
      .update(ingestJobs)
      .set({ status: 'interrupted', finishedAt: Date.now() })
      .where(eq(ingestJobs.status, 'running'))
      .run().changes;
  }

  getJob(id: string): JobRow | undefined {
    return this.db.select().from(ingestJobs).where(eq(ingestJobs.id, id)).get();
  }

  wrappedKey(owner: string): string | undefined {
    return this.db.select().from(ownerKeys).where(eq(ownerKeys.owner, owner)).get()?.wrappedKey;
  }

  /** Stores a wrapped data key unless one exists; returns the one that is stored. */
  wrappedKeys(): Array<{ owner: string; wrappedKey: string }> {
    return this.db.select({ owner: ownerKeys.owner, wrappedKey: ownerKeys.wrappedKey }).from(ownerKeys).all();
  }

  replaceWrappedKey(owner: string, wrappedKey: string): void {
    this.db.update(ownerKeys).set({ wrappedKey }).where(eq(ownerKeys.owner, owner)).run();
  }

  putWrappedKey(owner: string, wrappedKey: string): string {
    this.db.insert(ownerKeys).values({ owner, wrappedKey, createdAt: Date.now() }).onConflictDoNothing().run();
    return this.wrappedKey(owner)!;
  }

  ownerKeyCount(): number {
    return (
      this.db
        .select({ n: sql<number>`count(*)` })
        .from(ownerKeys)
        .get()?.n ?? 0
    );
  }

  revokePermit(owner: string, permitName: string): void {
    this.db.insert(revokedPermits).values({ owner, permitName, revokedAt: Date.now() }).onConflictDoNothing().run();
  }

  isPermitRevoked(owner: string, permitName: string): boolean {
    return (
      this.db
        .select()
        .from(revokedPermits)
        .where(and(eq(revokedPermits.owner, owner), eq(revokedPermits.permitName, permitName)))
        .get() !== undefined
    );
  }

  /** Moves documents to another collection label. */
  setCollection(owner: string, ids: readonly string[], collection: string): void {
    this.transaction(() => {
      for (const id of ids)
        this.db
          .update(documents)
          .set({ collection })
          .where(and(eq(documents.owner, owner), eq(documents.id, id)))
          .run();
    });
  }

  /** What an owner stores (documents not being deleted): for quotas. */
  usage(owner: string): { documents: number; bytes: number } {
    const row = this.db
      .select({ documents: sql<number>`count(*)`, bytes: sql<number>`coalesce(sum(${documents.bytes}), 0)` })
      .from(documents)
      .where(and(eq(documents.owner, owner), sql`${documents.state} != 'deleting'`))
      .get();
    return { documents: row?.documents ?? 0, bytes: row?.bytes ?? 0 };
  }

  documentIdsOf(owner: string): string[] {
    return this.db
      .select({ id: documents.id })
      .from(documents)
      .where(eq(documents.owner, owner))
      .all()
      .map((r) => r.id);
  }

  /** Document counts per collection label, for one owner's ready documents. */
  collectionCounts(owner: string): Map<string, number> {
    const rows = this.db
      .select({ collection: documents.collection, n: sql<number>`count(*)` })
      .from(documents)
      .where(and(eq(documents.owner, owner), eq(documents.state, 'ready')))
      .groupBy(documents.collection)
      .all();
    return new Map(rows.map((r) => [r.collection, r.n]));
  }

  collections(owner: string): CollectionRow[] {
    return this.db.select().from(collections).where(eq(collections.owner, owner)).orderBy(collections.createdAt).all();
  }

  collectionByTag(owner: string, nameTag: string): CollectionRow | undefined {
    return this.db
      .select()
      .from(collections)
      .where(and(eq(collections.owner, owner), eq(collections.nameTag, nameTag)))
      .get();
  }

  insertCollection(row: CollectionRow): void {
    this.db.insert(collections).values(row).run();
  }

  deleteCollection(owner: string, id: string): void {
    this.db
      .delete(collections)
      .where(and(eq(collections.owner, owner), eq(collections.id, id)))
      .run();
  }

  renameCollection(owner: string, id: string, nameTag: string, name: string): void {
    this.db
      .update(collections)
      .set({ nameTag, name })
      .where(and(eq(collections.owner, owner), eq(collections.id, id)))
      .run();
  }

  insertGrant(row: GrantRow): void {
    this.db.insert(grants).values(row).run();
  }

  grantsGiven(owner: string): GrantRow[] {
    return this.db.select().from(grants).where(eq(grants.owner, owner)).orderBy(grants.createdAt).all();
  }

  grantsReceived(grantee: string): GrantRow[] {
    return this.db.select().from(grants).where(eq(grants.grantee, grantee)).orderBy(grants.createdAt).all();
  }

  deleteGrants(ids: readonly string[]): number {
    return this.transaction(() =>
      ids.reduce((n, id) => n + this.db.delete(grants).where(eq(grants.id, id)).run().changes, 0),
    );
  }

  appendAccessLog(rows: ReadonlyArray<Omit<AccessLogRow, 'seq'>>): void {
    this.transaction(() => {
      for (const r of rows) this.db.insert(accessLog).values(r).run();
    });
  }

  accessLog(owner: string, since: number, limit: number): AccessLogRow[] {
    return this.db
      .select()
      .from(accessLog)
      .where(and(eq(accessLog.owner, owner), sql`${accessLog.at} >= ${since}`))
      .orderBy(accessLog.seq)
      .limit(limit)
      .all();
  }

  addUpload(row: UploadRow): void {
    this.db.insert(uploads).values(row).run();
  }

  finishUpload(id: string, state: Exclude<UploadState, 'queued'>, result: string): void {
    this.db.update(uploads).set({ state, result, finishedAt: Date.now() }).where(eq(uploads.id, id)).run();
  }

  queuedUploads(): UploadRow[] {
    return this.db.select().from(uploads).where(eq(uploads.state, 'queued')).orderBy(uploads.createdAt).all();
  }

  uploadsOf(owner: string, limit: number): UploadRow[] {
    return this.db
      .select()
      .from(uploads)
      .where(eq(uploads.owner, owner))
      .orderBy(desc(uploads.createdAt))
      .limit(limit)
      .all();
  }

  conversation(owner: string, id: string): ConversationRow | undefined {
    return this.db
      .select()
      .from(conversations)
      .where(and(eq(conversations.owner, owner), eq(conversations.id, id)))
      .get();
  }

  conversationsOf(owner: string): ConversationRow[] {
    return this.db
      .select()
      .from(conversations)
      .where(eq(conversations.owner, owner))
      .orderBy(desc(conversations.updatedAt))
      .all();
  }

  putConversation(row: ConversationRow): void {
    this.db
      .insert(conversations)
      .values(row)
      .onConflictDoUpdate({
        target: [conversations.owner, conversations.id],
        set: { body: row.body, updatedAt: row.updatedAt },
      })
      .run();
  }

  deleteConversation(owner: string, id: string): boolean {
    return (
      this.db
        .delete(conversations)
        .where(and(eq(conversations.owner, owner), eq(conversations.id, id)))
        .run().changes > 0
    );
  }

  /**
   * Everything the metadata store holds about an owner except revocations
   * (which keep refusing old permits): documents, chunks, collections, grants
   * given and received, the access log, conversations, uploads, and the wrapped data key. Then the WAL
   * is checkpointed and truncated, so the deleted pages (overwritten in place:
   * secure_delete) are not left in it either.
   */
  forgetOwner(owner: string): void {
    this.transaction(() => {
      this.db.delete(chunks).where(eq(chunks.owner, owner)).run();
      this.db.delete(documents).where(eq(documents.owner, owner)).run();
      this.db.delete(collections).where(eq(collections.owner, owner)).run();
      this.db.delete(grants).where(eq(grants.owner, owner)).run();
      this.db.delete(grants).where(eq(grants.grantee, owner)).run();
      this.db.delete(accessLog).where(eq(accessLog.owner, owner)).run();
      this.db.delete(conversations).where(eq(conversations.owner, owner)).run();
      this.db.delete(uploads).where(eq(uploads.owner, owner)).run();
      this.db.delete(ingestJobs).where(eq(ingestJobs.owner, owner)).run();
      this.db.delete(ownerKeys).where(eq(ownerKeys.owner, owner)).run();
    });
    this.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  }
}
