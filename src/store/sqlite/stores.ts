/**
 * Every SQLite repository of a data directory, over one connection: opened
 * once (by the engine, under the data directory lock), then each consumer is
 * handed only the repositories it needs.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AccessLogRepository } from './access-log.js';
import { CollectionRepository } from './collections.js';
import { ConversationRepository } from './conversations.js';
import { DataKeyRepository } from './data-keys.js';
import { Db } from './db.js';
import { DocumentRepository } from './documents.js';
import { FactRepository } from './facts.js';
import { GrantRepository } from './grants.js';
import { JobRepository } from './jobs.js';
import { RevocationRepository } from './revocations.js';
import { UploadRepository } from './uploads.js';

const databaseFile = (dataDir: string) => join(dataDir, 'meta.sqlite');

export class Stores {
  readonly documents: DocumentRepository;
  readonly jobs: JobRepository;
  readonly uploads: UploadRepository;
  readonly collections: CollectionRepository;
  readonly grants: GrantRepository;
  readonly revocations: RevocationRepository;
  readonly conversations: ConversationRepository;
  readonly accessLog: AccessLogRepository;
  readonly dataKeys: DataKeyRepository;
  readonly facts: FactRepository;

  private constructor(private readonly db: Db) {
    this.documents = new DocumentRepository(db);
    this.jobs = new JobRepository(db);
    this.uploads = new UploadRepository(db);
    this.collections = new CollectionRepository(db);
    this.grants = new GrantRepository(db);
    this.revocations = new RevocationRepository(db);
    this.conversations = new ConversationRepository(db);
    this.accessLog = new AccessLogRepository(db);
    this.dataKeys = new DataKeyRepository(db);
    this.facts = new FactRepository(db);
  }

  /** Opens (creating and migrating as needed) the data directory's database. */
  static open(dataDir: string): Stores {
    return new Stores(Db.open(databaseFile(dataDir)));
  }

  /** Whether the data directory holds data (its database exists). */
  static exist(dataDir: string): boolean {
    return existsSync(databaseFile(dataDir));
  }

  /** Runs `fn` in one transaction across the repositories. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn);
  }

  /**
   * Everything the stores hold about an owner except revocations (which keep
   * refusing old permits): documents, chunks, collections, grants given and
   * received, the access log, conversations, uploads, ingest jobs, and the
   * wrapped data key. Then the WAL is checkpointed and truncated, so the
   * deleted pages are not left in it either.
   */
  forgetOwner(owner: string): void {
    this.db.transaction(() => {
      this.documents.deleteOwner(owner);
      this.collections.deleteOwner(owner);
      this.grants.deleteOwner(owner);
      this.accessLog.deleteOwner(owner);
      this.conversations.deleteOwner(owner);
      this.uploads.deleteOwner(owner);
      this.jobs.deleteOwner(owner);
      this.dataKeys.deleteOwner(owner);
    });
    this.db.truncateWal();
  }

  close(): void {
    this.db.close();
  }
}
