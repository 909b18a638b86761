/**
 * Collection rows (table `collections`): the name sealed for display and its
 * deterministic tag for lookup; sealing and opening are src/store/collections.ts's.
 */
import { and, eq, sql } from 'drizzle-orm';
import { collections, documents } from '../../../schemas/db.js';
import type { Db } from './db.js';

export type CollectionRow = typeof collections.$inferSelect;

export class CollectionRepository {
  constructor(private readonly db: Db) {}

  /** An owner's collections, oldest first. */
  ofOwner(owner: string): CollectionRow[] {
    return this.db.orm
      .select()
      .from(collections)
      .where(eq(collections.owner, owner))
      .orderBy(collections.createdAt)
      .all();
  }

  byTag(owner: string, nameTag: string): CollectionRow | undefined {
    return this.db.orm
      .select()
      .from(collections)
      .where(and(eq(collections.owner, owner), eq(collections.nameTag, nameTag)))
      .get();
  }

  /** Ready documents per collection id, for one owner (documents are labelled with their collection's id). */
  documentCounts(owner: string): Map<string, number> {
    const rows = this.db.orm
      .select({ collection: documents.collection, n: sql<number>`count(*)` })
      .from(documents)
      .where(and(eq(documents.owner, owner), eq(documents.state, 'ready')))
      .groupBy(documents.collection)
      .all();
    return new Map(rows.map((r) => [r.collection, r.n]));
  }

  insert(row: CollectionRow): void {
    this.db.orm.insert(collections).values(row).run();
  }

  rename(owner: string, id: string, nameTag: string, name: string): void {
    this.db.orm
      .update(collections)
      .set({ nameTag, name })
      .where(and(eq(collections.owner, owner), eq(collections.id, id)))
      .run();
  }

  delete(owner: string, id: string): void {
    this.db.orm
      .delete(collections)
      .where(and(eq(collections.owner, owner), eq(collections.id, id)))
      .run();
  }

  /** Every collection of an owner (Stores.forgetOwner). */
  deleteOwner(owner: string): void {
    this.db.orm.delete(collections).where(eq(collections.owner, owner)).run();
  }
}
