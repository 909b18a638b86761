/**
 * Test-only reads of stored state that no public interface exposes. Every test that looks behind the API
 * goes through here, so this is the one file to change when the store's layout changes.
 */
import * as lancedb from '@lancedb/lancedb';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { CHUNKS_TABLE } from '../../schemas/vector-table.js';
import type { Engine } from '../../src/engine/engine.js';
import { sqlLiteral } from '../../src/store/filter.js';
import { Stores } from '../../src/store/index.js';

/** An engine (which owns the stores) or the stores themselves. */
type Source = Engine | Stores;
const storesOf = (from: Source): Stores => (from instanceof Stores ? from : from.stores);

/** All chunk rows, every owner. */
export const chunkCount = (from: Source) => storesOf(from).documents.chunkCount();

/** One document row, or undefined. */
export const getDocument = (from: Source, owner: string, id: string) => storesOf(from).documents.get(owner, id);

/** Documents a crash left `pending` or `deleting`. */
export const unfinished = (from: Source) => storesOf(from).documents.unfinished();

/** One conversation row, or undefined. */
export const conversation = (from: Source, owner: string, id: string) => storesOf(from).conversations.get(owner, id);

/** An owner's conversation rows. */
export const conversationsOf = (from: Source, owner: string) => storesOf(from).conversations.ofOwner(owner);

/** Number of owners with a stored data key. */
export const ownerKeyCount = (from: Source) => storesOf(from).dataKeys.count();

/** Every owner's wrapped data key. */
export const wrappedKeys = (from: Source) => storesOf(from).dataKeys.all();

/** One owner's wrapped data key, or undefined. */
export const wrappedKey = (from: Source, owner: string) => storesOf(from).dataKeys.get(owner);

/** Grants an owner has given. */
export const grantsGiven = (from: Source, owner: string) => storesOf(from).grants.givenBy(owner);

/** Ids of all an owner's documents, any state. */
export const documentIdsOf = (from: Source, owner: string) => storesOf(from).documents.idsOf(owner);

/** An owner's most recent upload rows. */
export const uploadsOf = (from: Source, owner: string, limit: number) => storesOf(from).uploads.ofOwner(owner, limit);

/** The keyword column of each of an owner's chunk rows, as LanceDB holds it on disk, by document id. */
export async function keywordColumns(engine: Engine, owner: string): Promise<Map<string, string[]>> {
  const conn = await lancedb.connect(join(engine.dataDir, 'vectors'));
  const table = await conn.openTable(CHUNKS_TABLE);
  try {
    const rows = (await table
      .query()
      .where(`owner = ${sqlLiteral(owner)}`)
      .select(['doc_id', 'keywords'])
      .toArray()) as Array<{ doc_id: string; keywords: string }>;
    const out = new Map<string, string[]>();
    for (const r of rows) out.set(r.doc_id, [...(out.get(r.doc_id) ?? []), r.keywords]);
    return out;
  } finally {
    table.close();
    conn.close();
  }
}

/** Drops the chunk table's span columns, leaving it as an index built before documents had spans. */
export async function dropSpanColumn(dataDir: string): Promise<void> {
  const conn = await lancedb.connect(join(dataDir, 'vectors'));
  const table = await conn.openTable(CHUNKS_TABLE);
  try {
    await table.dropColumns(['doc_date_start', 'doc_date_end']);
  } finally {
    table.close();
    conn.close();
  }
}

/** Removes a document's body row, as for a document stored before bodies were kept (a second connection: WAL). */
export function dropDocumentBody(dataDir: string, owner: string, id: string): void {
  const db = new Database(join(dataDir, 'meta.sqlite'));
  try {
    db.prepare('DELETE FROM document_bodies WHERE owner = ? AND doc_id = ?').run(owner, id);
  } finally {
    db.close();
  }
}
