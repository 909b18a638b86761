/** Owner access log rows (table `access_log`); entries are sealed by src/store/access-log.ts. */
import { and, desc, eq, sql } from 'drizzle-orm';
import { accessLog } from '../../../schemas/db.js';
import type { Db } from './db.js';

export type AccessLogRow = typeof accessLog.$inferSelect;

export class AccessLogRepository {
  constructor(private readonly db: Db) {}

  append(rows: ReadonlyArray<Omit<AccessLogRow, 'seq'>>): void {
    this.db.transaction(() => {
      for (const r of rows) this.db.orm.insert(accessLog).values(r).run();
    });
  }

  /** An owner's entries from `since` (ms) on, newest first (a limit keeps the most recent). */
  read(owner: string, since: number, limit: number): AccessLogRow[] {
    return this.db.orm
      .select()
      .from(accessLog)
      .where(and(eq(accessLog.owner, owner), sql`${accessLog.at} >= ${since}`))
      .orderBy(desc(accessLog.seq))
      .limit(limit)
      .all();
  }

  /** Every entry of an owner (Stores.forgetOwner). */
  deleteOwner(owner: string): void {
    this.db.orm.delete(accessLog).where(eq(accessLog.owner, owner)).run();
  }
}
