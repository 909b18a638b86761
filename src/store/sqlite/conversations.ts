/** Kept conversation rows (table `conversations`); the body is sealed by src/store/conversations.ts. */
import { and, desc, eq } from 'drizzle-orm';
import { conversations } from '../../../schemas/db.js';
import type { Db } from './db.js';

export type ConversationRow = typeof conversations.$inferSelect;

export class ConversationRepository {
  constructor(private readonly db: Db) {}

  get(owner: string, id: string): ConversationRow | undefined {
    return this.db.orm
      .select()
      .from(conversations)
      .where(and(eq(conversations.owner, owner), eq(conversations.id, id)))
      .get();
  }

  /** An owner's conversations, most recently updated first. */
  ofOwner(owner: string): ConversationRow[] {
    return this.db.orm
      .select()
      .from(conversations)
      .where(eq(conversations.owner, owner))
      .orderBy(desc(conversations.updatedAt))
      .all();
  }

  /** Inserts the conversation, or replaces its body and update time. */
  put(row: ConversationRow): void {
    this.db.orm
      .insert(conversations)
      .values(row)
      .onConflictDoUpdate({
        target: [conversations.owner, conversations.id],
        set: { body: row.body, updatedAt: row.updatedAt },
      })
      .run();
  }

  /** False when the owner has no such conversation. */
  delete(owner: string, id: string): boolean {
    return (
      this.db.orm
        .delete(conversations)
        .where(and(eq(conversations.owner, owner), eq(conversations.id, id)))
        .run().changes > 0
    );
  }

  /** Every conversation of an owner (Stores.forgetOwner). */
  deleteOwner(owner: string): void {
    this.db.orm.delete(conversations).where(eq(conversations.owner, owner)).run();
  }
}
