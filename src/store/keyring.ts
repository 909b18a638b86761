/**
 * The service's sealer: every owner's fields sealed under that owner's data
 * key, which is stored wrapped by the master key (src/crypto/at-rest.ts).
 */
import { KeyError, type MasterKey, OwnerCipher } from '../crypto/at-rest.js';
import { plainTokens } from './keywords.js';
import type { OwnerSealer, Sealer } from './sealer.js';
import type { Stores } from './sqlite/stores.js';

const MASTER_CHECK = 'master_key_check';
/** Set by a rotation: the first master key's owner tag key, wrapped under the current one. */
const OWNER_TAG_KEY = 'owner_tag_key';

function ownerSealer(cipher: OwnerCipher): OwnerSealer {
  return {
    documentId: (id) => cipher.documentId(id),
    seal: (v, ctx) => cipher.seal(v, ctx),
    open: (v, ctx) => cipher.open(v, ctx),
    tag: (v, ctx) => cipher.tag(v, ctx),
    untag: (v, ctx) => cipher.untag(v, ctx),
    keywordTokens: (text) => plainTokens(text).map((w) => cipher.keywordToken(w)),
  };
}

export class Keyring implements Sealer {
  readonly id = 'sealed-v1';
  private readonly owners = new Map<string, OwnerSealer>();
  /** The master key as this data directory uses it (with the owner tag key of a rotation). */
  readonly master: MasterKey;

  /** Refuses a master key other than the one the data was written with; records it on first use. */
  constructor(
    private readonly stores: Pick<Stores, 'dataKeys' | 'facts' | 'transaction'>,
    master: MasterKey,
  ) {
    if (!master.matches(stores.facts.record(MASTER_CHECK, master.check()))) {
      throw new KeyError(
        'master_key_mismatch',
        'the master key does not match the one this data directory was written with; nothing was changed',
      );
    }
    const tag = stores.facts.get(OWNER_TAG_KEY);
    this.master = tag === undefined ? master : master.withOwnerTagKey(tag);
  }

  /**
   * Re-wraps every owner's data key under `next` and makes it the data
   * directory's master key, in one transaction. Owner ids, data keys and
   * everything sealed under them stay as they are. The old key opens nothing
   * afterwards.
   */
  rotate(next: MasterKey): number {
    const { dataKeys, facts } = this.stores;
    return this.stores.transaction(() => {
      const keys = dataKeys.all();
      for (const { owner, wrappedKey } of keys) dataKeys.replace(owner, this.master.rewrap(wrappedKey, owner, next));
      facts.set(OWNER_TAG_KEY, this.master.ownerTagKeyFor(next));
      facts.set(MASTER_CHECK, next.check());
      this.owners.clear();
      return keys.length;
    });
  }

  /** Whether a master key was ever recorded here (data exists that only it opens). */
  static holdsData(stores: Pick<Stores, 'facts'>): boolean {
    return stores.facts.get(MASTER_CHECK) !== undefined;
  }

  /** Whether `master` is the key the data directory currently records. */
  static isCurrent(stores: Pick<Stores, 'facts'>, master: MasterKey): boolean {
    const recorded = stores.facts.get(MASTER_CHECK);
    return recorded !== undefined && master.matches(recorded);
  }

  forOwner(owner: string): OwnerSealer {
    let sealer = this.owners.get(owner);
    if (!sealer) {
      const { dataKeys } = this.stores;
      const wrapped = dataKeys.get(owner) ?? dataKeys.putIfAbsent(owner, this.master.newDataKey(owner).wrapped);
      sealer = ownerSealer(new OwnerCipher(this.master.unwrap(wrapped, owner)));
      this.owners.set(owner, sealer);
    }
    return sealer;
  }

  /** Drops the cached data key of an owner whose wrapped key was destroyed. */
  forget(owner: string): void {
    this.owners.delete(owner);
  }
}
