/**
 * Facts recorded about the data directory as a whole (table `index_meta`):
 * what it was first written with (sealer, embedding model and dimension,
 * master key check), so a different one is refused, and what a master key
 * rotation carries over.
 */
import { eq } from 'drizzle-orm';
import { indexMeta } from '../../../schemas/db.js';
import type { Db } from './db.js';

export class FactRepository {
  constructor(private readonly db: Db) {}

  get(key: string): string | undefined {
    return this.db.orm.select().from(indexMeta).where(eq(indexMeta.key, key)).get()?.value;
  }

  set(key: string, value: string): void {
    this.db.orm
      .insert(indexMeta)
      .values({ key, value })
      .onConflictDoUpdate({ target: indexMeta.key, set: { value } })
      .run();
  }

  /** Records `value` under `key` unless something is recorded already; returns what is recorded. */
  record(key: string, value: string): string {
    const recorded = this.get(key);
    if (recorded !== undefined) return recorded;
    this.set(key, value);
    return value;
  }
}
