/**
 * The SQLite database (better-sqlite3 + drizzle) behind the repositories in
 * this folder. Opening applies the migrations in `schemas/migrations`.
 */
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { fileURLToPath } from 'node:url';
import * as schema from '../../../schemas/db.js';

const MIGRATIONS = fileURLToPath(new URL('../../../schemas/migrations', import.meta.url));

export type Orm = BetterSQLite3Database<typeof schema>;

/** One connection, shared by every repository (so they can share a transaction). */
export class Db {
  private constructor(
    private readonly sqlite: Database.Database,
    readonly orm: Orm,
  ) {}

  static open(file: string): Db {
    const sqlite = new Database(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL'); // WAL + NORMAL survives a process crash; only power loss can drop the last commit
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('secure_delete = ON'); // deleted rows are overwritten, not left in free pages
    const orm = drizzle(sqlite, { schema });
    migrate(orm, { migrationsFolder: MIGRATIONS });
    return new Db(sqlite, orm);
  }

  /** Runs `fn` in one transaction; a transaction inside it becomes a savepoint. */
  transaction<T>(fn: () => T): T {
    return this.sqlite.transaction(fn)();
  }

  /** Checkpoints and truncates the WAL, so rows deleted (overwritten in place: secure_delete) are not left in it either. */
  truncateWal(): void {
    this.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  }

  close(): void {
    this.sqlite.close();
  }
}
