/**
 * Owners' data keys, wrapped by the master key (table `owner_keys`).
 * Deleting an owner's row shreds everything sealed under that key.
 */
import { eq, sql } from 'drizzle-orm';
import { ownerKeys } from '../../../schemas/db.js';
import type { Db } from './db.js';

export class DataKeyRepository {
  constructor(private readonly db: Db) {}

  get(owner: string): string | undefined {
    return this.db.orm.select().from(ownerKeys).where(eq(ownerKeys.owner, owner)).get()?.wrappedKey;
  }

  all(): Array<{ owner: string; wrappedKey: string }> {
    return this.db.orm.select({ owner: ownerKeys.owner, wrappedKey: ownerKeys.wrappedKey }).from(ownerKeys).all();
  }

  /** Stores a wrapped data key unless one exists; returns the one that is stored. */
  putIfAbsent(owner: string, wrappedKey: string): string {
    this.db.orm.insert(ownerKeys).values({ owner, wrappedKey, createdAt: Date.now() }).onConflictDoNothing().run();
    const stored = this.get(owner);
    if (stored === undefined) throw new Error(`owner ${owner} has no data key right after storing one`);
    return stored;
  }

  /** The same data key wrapped anew (master key rotation). */
  replace(owner: string, wrappedKey: string): void {
    this.db.orm.update(ownerKeys).set({ wrappedKey }).where(eq(ownerKeys.owner, owner)).run();
  }

  /** Owners with a stored data key. */
  count(): number {
    return (
      this.db.orm
        .select({ n: sql<number>`count(*)` })
        .from(ownerKeys)
        .get()?.n ?? 0
    );
  }

  /** Destroys an owner's data key (Stores.forgetOwner). */
  deleteOwner(owner: string): void {
    this.db.orm.delete(ownerKeys).where(eq(ownerKeys.owner, owner)).run();
  }
}
