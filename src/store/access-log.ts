/** The owner access log: every retrieval that returned an owner's chunks, sealed under that owner's key. */
import { AccessEntry } from '../../schemas/api.js';
import type { Keyring } from './keyring.js';
import type { MetaStore } from './meta.js';

export class AccessLog {
  constructor(
    private readonly meta: MetaStore,
    private readonly keyring: Keyring,
  ) {}

  /** One entry per owner whose chunks a retrieval returned. */
  record(entries: ReadonlyArray<{ owner: string; entry: AccessEntry }>): void {
    this.meta.appendAccessLog(
      entries.map(({ owner, entry }) => {
        const at = Date.parse(entry.at);
        return { owner, at, entry: this.keyring.forOwner(owner).seal(JSON.stringify(entry), `access:${owner}:${at}`) };
      }),
    );
  }

  read(owner: string, since: number, limit: number): AccessEntry[] {
    const sealer = this.keyring.forOwner(owner);
    return this.meta
      .accessLog(owner, since, limit)
      .map((r) => AccessEntry.parse(JSON.parse(sealer.open(r.entry, `access:${owner}:${r.at}`))));
  }
}
