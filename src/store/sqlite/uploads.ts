/**
 * The durable ingest queue's rows (table `uploads`): what was spooled, and
 * what became of it. Name and result are sealed by the caller
 * (src/server/uploads.ts).
 */
import { desc, eq } from 'drizzle-orm';
import { uploads, type UploadState } from '../../../schemas/db.js';
import type { Db } from './db.js';

export type UploadRow = typeof uploads.$inferSelect;

export class UploadRepository {
  constructor(private readonly db: Db) {}

  add(row: UploadRow): void {
    this.db.orm.insert(uploads).values(row).run();
  }

  /** Records the outcome and erases the keys that opened the spool. */
  finish(id: string, state: Exclude<UploadState, 'queued'>, result: string): void {
    this.db.orm
      .update(uploads)
      .set({ state, result, opening: null, finishedAt: Date.now() })
      .where(eq(uploads.id, id))
      .run();
    // The old row, keys included, would otherwise live on in the WAL until the next checkpoint.
    this.db.truncateWal();
  }

  get(id: string): UploadRow | undefined {
    return this.db.orm.select().from(uploads).where(eq(uploads.id, id)).get();
  }

  /** Uploads not yet ingested, oldest first. */
  queued(): UploadRow[] {
    return this.db.orm.select().from(uploads).where(eq(uploads.state, 'queued')).orderBy(uploads.createdAt).all();
  }

  /** An owner's most recent uploads, newest first. */
  ofOwner(owner: string, limit: number): UploadRow[] {
    return this.db.orm
      .select()
      .from(uploads)
      .where(eq(uploads.owner, owner))
      .orderBy(desc(uploads.createdAt))
      .limit(limit)
      .all();
  }

  /** Every upload row of an owner (Stores.forgetOwner). */
  deleteOwner(owner: string): void {
    this.db.orm.delete(uploads).where(eq(uploads.owner, owner)).run();
  }
}
