/** Share grant rows (table `grants`); what they mean and how their views are sealed is src/auth/grants.ts's. */
import { and, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm';
import { grants, type GrantState } from '../../../schemas/db.js';
import type { Db } from './db.js';

export type GrantRow = typeof grants.$inferSelect;

export class GrantRepository {
  constructor(private readonly db: Db) {}

  insert(row: GrantRow): void {
    this.db.orm.insert(grants).values(row).run();
  }

  /** Grants an owner has given, oldest first. */
  givenBy(owner: string): GrantRow[] {
    return this.db.orm.select().from(grants).where(eq(grants.owner, owner)).orderBy(grants.createdAt).all();
  }

  /** Grants to a grantee, oldest first. */
  receivedBy(grantee: string): GrantRow[] {
    return this.db.orm.select().from(grants).where(eq(grants.grantee, grantee)).orderBy(grants.createdAt).all();
  }

  /** One grant to `grantee` by id, or undefined (also when it is someone else's). */
  receivedOne(grantee: string, id: string): GrantRow | undefined {
    return this.db.orm
      .select()
      .from(grants)
      .where(and(eq(grants.id, id), eq(grants.grantee, grantee)))
      .get();
  }

  /** Grants to `grantee` still waiting for their answer and not expired at `now`. */
  pendingCount(grantee: string, now: number): number {
    return (
      this.db.orm
        .select({ n: sql<number>`count(*)` })
        .from(grants)
        .where(
          and(
            eq(grants.grantee, grantee),
            eq(grants.state, 'pending'),
            or(isNull(grants.expiresAt), gt(grants.expiresAt, now)),
          ),
        )
        .get()?.n ?? 0
    );
  }

  /** Moves a grant to `grantee` from one of the states `from` to `to`; false when it was in none of them. */
  setState(grantee: string, id: string, from: readonly GrantState[], to: GrantState): boolean {
    return (
      this.db.orm
        .update(grants)
        .set({ state: to })
        .where(and(eq(grants.id, id), eq(grants.grantee, grantee), inArray(grants.state, [...from])))
        .run().changes === 1
    );
  }

  /** Deletes grants by id; returns how many there were. */
  delete(ids: readonly string[]): number {
    return this.db.transaction(() =>
      ids.reduce((n, id) => n + this.db.orm.delete(grants).where(eq(grants.id, id)).run().changes, 0),
    );
  }

  /** Every grant an owner gave or received (Stores.forgetOwner). */
  deleteOwner(owner: string): void {
    this.db.orm.delete(grants).where(eq(grants.owner, owner)).run();
    this.db.orm.delete(grants).where(eq(grants.grantee, owner)).run();
  }
}
