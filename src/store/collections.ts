/**
 * An owner's collections (service mode): names are sealed, and the stores
 * label chunks with each collection's random id, so renaming is one row and
 * moving documents is a relabel.
 */
import { randomBytes } from 'node:crypto';
import { PragError } from '../errors.js';
import * as contexts from './contexts.js';
import type { Keyring } from './keyring.js';
import type { CollectionRepository, CollectionRow } from './sqlite/collections.js';

export interface CollectionInfo {
  id: string;
  name: string;
  documents: number;
  created_at: string;
}

export class Collections {
  constructor(
    private readonly rows: CollectionRepository,
    private readonly keyring: Keyring,
  ) {}

  private tag(owner: string, name: string): string {
    return this.keyring.forOwner(owner).tag(name.normalize('NFC'), contexts.collectionNameTag());
  }

  private nameOfRow(row: CollectionRow): string {
    return this.keyring.forOwner(row.owner).open(row.name, contexts.collectionName(row.id));
  }

  find(owner: string, name: string): CollectionRow | undefined {
    return this.rows.byTag(owner, this.tag(owner, name));
  }

  /** The collection's id; with `create`, made on first use. */
  resolve(owner: string, name: string, create: boolean): string {
    const found = this.find(owner, name);
    if (found) return found.id;
    if (!create) throw new PragError('collection_not_found', 'you have no collection of that name');
    return this.create(owner, name);
  }

  create(owner: string, name: string): string {
    if (this.find(owner, name)) throw new PragError('collection_exists', 'you already have a collection of that name');
    const id = randomBytes(16).toString('hex');
    this.rows.insert({
      owner,
      id,
      nameTag: this.tag(owner, name),
      name: this.keyring.forOwner(owner).seal(name.normalize('NFC'), contexts.collectionName(id)),
      createdAt: Date.now(),
    });
    return id;
  }

  rename(owner: string, from: string, to: string): void {
    const row = this.find(owner, from);
    if (!row) throw new PragError('collection_not_found', 'you have no collection of that name');
    if (this.find(owner, to)) throw new PragError('collection_exists', 'you already have a collection of that name');
    this.rows.rename(
      owner,
      row.id,
      this.tag(owner, to),
      this.keyring.forOwner(owner).seal(to.normalize('NFC'), contexts.collectionName(row.id)),
    );
  }

  list(owner: string): CollectionInfo[] {
    const counts = this.rows.documentCounts(owner);
    return this.rows.ofOwner(owner).map((row) => ({
      id: row.id,
      name: this.nameOfRow(row),
      documents: counts.get(row.id) ?? 0,
      created_at: new Date(row.createdAt).toISOString(),
    }));
  }

  /** id → name for one owner's collections. */
  names(owner: string): Map<string, string> {
    return new Map(this.rows.ofOwner(owner).map((row) => [row.id, this.nameOfRow(row)]));
  }
}
