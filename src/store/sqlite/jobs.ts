/** Ingest jobs (table `ingest_jobs`): one row per ingest, with its counts and how it ended. */
import { eq } from 'drizzle-orm';
import { ingestJobs } from '../../../schemas/db.js';
import type { Db } from './db.js';

export class JobRepository {
  constructor(private readonly db: Db) {}

  start(job: { id: string; owner: string; collection: string }): void {
    this.db.orm
      .insert(ingestJobs)
      .values({ ...job, status: 'running', startedAt: Date.now() })
      .run();
  }

  finish(
    id: string,
    counts: { documents: number; chunks: number; skipped: number; failed: number },
    status: 'completed' | 'interrupted' = 'completed',
  ): void {
    this.db.orm
      .update(ingestJobs)
      .set({ ...counts, status, finishedAt: Date.now() })
      .where(eq(ingestJobs.id, id))
      .run();
  }

  /** Jobs still `running` at start-up were cut short by a crash. */
  interruptRunning(): number {
    return this.db.orm
      .update(ingestJobs)
      .set({ status: 'interrupted', finishedAt: Date.now() })
      .where(eq(ingestJobs.status, 'running'))
      .run().changes;
  }

  /** Every job of an owner (Stores.forgetOwner). */
  deleteOwner(owner: string): void {
    this.db.orm.delete(ingestJobs).where(eq(ingestJobs.owner, owner)).run();
  }
}
