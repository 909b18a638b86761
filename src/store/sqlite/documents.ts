/**
 * Documents and their chunk mapping (tables `documents` and `chunks`). A
 * document's row is the source of truth for whether it exists: it is visible
 * only once `ready` (the visibility protocol in src/engine/engine.ts).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { chunks, documentBodies, documents, type DocumentState } from '../../../schemas/db.js';
import type { Db } from './db.js';

export type DocumentRow = typeof documents.$inferSelect;
export type NewDocument = typeof documents.$inferInsert;
export type NewChunk = typeof chunks.$inferInsert;
/** A document's sealed sections and (when kept) sealed original bytes. */
export type DocumentBody = Pick<typeof documentBodies.$inferSelect, 'sections' | 'original'>;
/** What a citation needs of a chunk besides its text (which lives with the vectors). */
export type ChunkPointer = Pick<
  typeof chunks.$inferSelect,
  'page' | 'heading' | 'section' | 'charStart' | 'charEnd' | 'ocr'
>;

/** The columns of a ChunkPointer. */
const POINTER_COLUMNS = {
  page: chunks.page,
  heading: chunks.heading,
  section: chunks.section,
  charStart: chunks.charStart,
  charEnd: chunks.charEnd,
  ocr: chunks.ocr,
};

/** SQLite caps bound parameters per statement; stay well under it. */
const IN_BATCH = 500;

function* batches(ids: readonly string[]): Iterable<string[]> {
  for (let i = 0; i < ids.length; i += IN_BATCH) yield ids.slice(i, i + IN_BATCH);
}

export class DocumentRepository {
  constructor(private readonly db: Db) {}

  /** The states of the given documents of one owner (ids not present are absent from the map). */
  states(owner: string, ids: readonly string[]): Map<string, DocumentState> {
    const out = new Map<string, DocumentState>();
    for (const batch of batches(ids)) {
      const rows = this.db.orm
        .select({ id: documents.id, state: documents.state })
        .from(documents)
        .where(and(eq(documents.owner, owner), inArray(documents.id, batch)))
        .all();
      for (const r of rows) out.set(r.id, r.state);
    }
    return out;
  }

  /** Whether `owner` has a document (in any state) with this message key (src/engine/message-key.ts). */
  hasMessage(owner: string, messageKey: string): boolean {
    return (
      this.db.orm
        .select({ id: documents.id })
        .from(documents)
        .where(and(eq(documents.owner, owner), eq(documents.messageKey, messageKey)))
        .get() !== undefined
    );
  }

  /** Those of `ids` that are not a ready document of `owner`: what a request naming documents may not touch. */
  notReady(owner: string, ids: readonly string[]): string[] {
    const states = this.states(owner, ids);
    return ids.filter((id) => states.get(id) !== 'ready');
  }

  ready(owner: string, ids: readonly string[]): Map<string, DocumentRow> {
    const out = new Map<string, DocumentRow>();
    for (const batch of batches(ids)) {
      // Keyed on the primary key (owner, id); the state is checked here so the planner cannot prefer the state index.
      const rows = this.db.orm
        .select()
        .from(documents)
        .where(and(eq(documents.owner, owner), inArray(documents.id, batch)))
        .all();
      for (const r of rows) if (r.state === 'ready') out.set(r.id, r);
    }
    return out;
  }

  /** New documents, `pending`, each with its body (sections and kept original) in the same transaction. */
  insertPending(docs: ReadonlyArray<NewDocument & { body: DocumentBody }>): void {
    this.db.transaction(() => {
      for (const { body, ...d } of docs) {
        this.db.orm
          .insert(documents)
          .values({ ...d, state: 'pending' })
          .run();
        this.db.orm
          .insert(documentBodies)
          .values({ owner: d.owner, docId: d.id, ...body })
          .run();
      }
    });
  }

  /** A document's sealed body, without the original's bytes unless asked for (they can be large). */
  body(
    owner: string,
    id: string,
    withOriginal: boolean,
  ): { sections: string; original: string | null; kept: boolean } | undefined {
    const row = this.db.orm
      .select({
        sections: documentBodies.sections,
        kept: sql<number>`${documentBodies.original} IS NOT NULL`,
        ...(withOriginal ? { original: documentBodies.original } : {}),
      })
      .from(documentBodies)
      .where(and(eq(documentBodies.owner, owner), eq(documentBodies.docId, id)))
      .get();
    return row && { sections: row.sections, original: row.original ?? null, kept: row.kept === 1 };
  }

  /**
   * Makes documents visible: their chunk mapping and the `ready` state land in
   * one transaction. With `visible: false` the mapping lands and the documents
   * stay `pending` until `setState(…, 'ready')` (all-or-nothing uploads).
   */
  markReady(owner: string, docIds: readonly string[], rows: readonly NewChunk[], visible = true): void {
    this.db.transaction(() => {
      for (const c of rows) this.db.orm.insert(chunks).values(c).run();
      if (visible) this.update(owner, docIds, { state: 'ready' });
    });
  }

  setState(owner: string, ids: readonly string[], state: DocumentState): void {
    this.db.transaction(() => this.update(owner, ids, { state }));
  }

  /** Moves documents to another collection label. */
  setCollection(owner: string, ids: readonly string[], collection: string): void {
    this.db.transaction(() => this.update(owner, ids, { collection }));
  }

  private update(owner: string, ids: readonly string[], set: Partial<Pick<DocumentRow, 'state' | 'collection'>>): void {
    for (const id of ids)
      this.db.orm
        .update(documents)
        .set(set)
        .where(and(eq(documents.owner, owner), eq(documents.id, id)))
        .run();
  }

  /** Removes documents with their chunk rows and bodies. */
  remove(owner: string, ids: readonly string[]): void {
    this.db.transaction(() => {
      for (const id of ids) {
        this.db.orm
          .delete(chunks)
          .where(and(eq(chunks.owner, owner), eq(chunks.docId, id)))
          .run();
        this.db.orm
          .delete(documentBodies)
          .where(and(eq(documentBodies.owner, owner), eq(documentBodies.docId, id)))
          .run();
        this.db.orm
          .delete(documents)
          .where(and(eq(documents.owner, owner), eq(documents.id, id)))
          .run();
      }
    });
  }

  /** Documents a crash left half-written (`pending`) or half-deleted (`deleting`). */
  unfinished(): Array<Pick<DocumentRow, 'owner' | 'id' | 'state'>> {
    return this.db.orm
      .select({ owner: documents.owner, id: documents.id, state: documents.state })
      .from(documents)
      .where(inArray(documents.state, ['pending', 'deleting']))
      .all();
  }

  get(owner: string, id: string): DocumentRow | undefined {
    return this.db.orm
      .select()
      .from(documents)
      .where(and(eq(documents.owner, owner), eq(documents.id, id)))
      .get();
  }

  /** An owner's ready documents (in one collection), oldest first. */
  list(owner: string, collection?: string): DocumentRow[] {
    const where = collection
      ? and(eq(documents.owner, owner), eq(documents.state, 'ready'), eq(documents.collection, collection))
      : and(eq(documents.owner, owner), eq(documents.state, 'ready'));
    return this.db.orm.select().from(documents).where(where).orderBy(documents.createdAt).all();
  }

  /** Ids of all an owner's documents, in any state. */
  idsOf(owner: string): string[] {
    return this.db.orm
      .select({ id: documents.id })
      .from(documents)
      .where(eq(documents.owner, owner))
      .all()
      .map((r) => r.id);
  }

  /** Documents a job wrote that are not yet visible. */
  pendingOfJob(owner: string, job: string): string[] {
    return this.db.orm
      .select({ id: documents.id })
      .from(documents)
      .where(and(eq(documents.owner, owner), eq(documents.jobId, job), eq(documents.state, 'pending')))
      .all()
      .map((r) => r.id);
  }

  /** Children (attachments) of a document. */
  childIds(owner: string, parentId: string): string[] {
    return this.db.orm
      .select({ id: documents.id })
      .from(documents)
      .where(and(eq(documents.owner, owner), eq(documents.parentId, parentId)))
      .all()
      .map((r) => r.id);
  }

  /** What an owner stores (documents not being deleted): for quotas; `latest`, the newest one's creation time. */
  usage(owner: string): { documents: number; bytes: number; latest: number } {
    const row = this.db.orm
      .select({
        documents: sql<number>`count(*)`,
        bytes: sql<number>`coalesce(sum(${documents.bytes}), 0)`,
        latest: sql<number>`coalesce(max(${documents.createdAt}), 0)`,
      })
      .from(documents)
      .where(and(eq(documents.owner, owner), sql`${documents.state} != 'deleting'`))
      .get();
    return { documents: row?.documents ?? 0, bytes: row?.bytes ?? 0, latest: row?.latest ?? 0 };
  }

  chunkPointers(owner: string, ids: readonly string[]): Map<string, ChunkPointer> {
    const out = new Map<string, ChunkPointer>();
    for (const batch of batches(ids)) {
      // By primary key only: with `owner = ?` in the query SQLite may walk the owner's whole (owner, doc_id) index.
      const rows = this.db.orm
        .select({ id: chunks.id, owner: chunks.owner, ...POINTER_COLUMNS })
        .from(chunks)
        .where(inArray(chunks.id, batch))
        .all();
      for (const { id, owner: rowOwner, ...ptr } of rows) if (rowOwner === owner) out.set(id, ptr);
    }
    return out;
  }

  /** Chunk `chunkId` of document `docId` of `owner`, with its pointers; undefined when it is not that document's. */
  chunkOf(owner: string, docId: string, chunkId: string): (ChunkPointer & { id: string }) | undefined {
    return this.db.orm
      .select({ id: chunks.id, ...POINTER_COLUMNS })
      .from(chunks)
      .where(and(eq(chunks.id, chunkId), eq(chunks.owner, owner), eq(chunks.docId, docId)))
      .get();
  }

  /** Chunk rows of every owner. */
  chunkCount(): number {
    return (
      this.db.orm
        .select({ n: sql<number>`count(*)` })
        .from(chunks)
        .get()?.n ?? 0
    );
  }

  /** Every document, chunk and body row of an owner (Stores.forgetOwner). */
  deleteOwner(owner: string): void {
    this.db.orm.delete(chunks).where(eq(chunks.owner, owner)).run();
    this.db.orm.delete(documentBodies).where(eq(documentBodies.owner, owner)).run();
    this.db.orm.delete(documents).where(eq(documents.owner, owner)).run();
  }
}
