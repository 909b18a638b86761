/** The owner access log: every retrieval that returned an owner's chunks, sealed under that owner's key. */
import { AccessEntry } from '../../schemas/api.js';
import * as contexts from './contexts.js';
import type { Keyring } from './keyring.js';
import type { AccessLogRepository } from './sqlite/access-log.js';

export class AccessLog {
  constructor(
    private readonly rows: AccessLogRepository,
    private readonly keyring: Keyring,
  ) {}

  /** One entry per owner whose chunks a retrieval returned. */
  record(entries: ReadonlyArray<{ owner: string; entry: AccessEntry }>): void {
    this.rows.append(
      entries.map(({ owner, entry }) => {
        const at = Date.parse(entry.at);
        return {
          owner,
          at,
          entry: this.keyring.forOwner(owner).seal(JSON.stringify(entry), contexts.accessEntry(owner, at)),
        };
      }),
    );
  }

  read(owner: string, since: number, limit: number): AccessEntry[] {
    const sealer = this.keyring.forOwner(owner);
    return this.rows
      .read(owner, since, limit)
      .map((r) => AccessEntry.parse(JSON.parse(sealer.open(r.entry, contexts.accessEntry(owner, r.at)))));
  }
}
