/**
 * Share grants: an owner lets another address read one collection, or a set
 * of documents, until an optional expiry. Grants are read from SQLite on
 * every request, so a revocation is in force from the next request on and an
 * expired grant simply stops matching.
 */
import { bech32 } from '@scure/base';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { GrantSummary } from '../../schemas/api.js';
import type { SearchScope } from '../store/filter.js';
import type { Collections } from '../store/collections.js';
import type { Keyring } from '../store/keyring.js';
import type { GrantRow, MetaStore } from '../store/meta.js';
import { PragError } from '../errors.js';

/** A bech32 `secret1…` account address (20-byte hash). */
export function isSecretAddress(address: string): boolean {
  try {
    const { prefix, words } = bech32.decode(address as `${string}1${string}`);
    return prefix === 'secret' && bech32.fromWords(words).length === 20;
  } catch {
    return false;
  }
}

const OwnerView = z.object({ grantee: z.string() });
const GranteeView = z.object({ owner: z.string() });

export interface SharedScope extends SearchScope {
  ownerAddress: string;
}

export class Grants {
  private readonly ownerAddresses = new Map<string, string>();

  constructor(
    private readonly meta: MetaStore,
    private readonly keyring: Keyring,
    private readonly collections: Collections,
    private readonly ownerId: (address: string) => string,
  ) {}

  grant(
    owner: { id: string; address: string },
    grantee: string,
    what: { collection?: string; docIds?: string[]; expiresAt?: number },
    now = Date.now(),
  ): string {
    if (!isSecretAddress(grantee)) throw new PragError('grantee_invalid', 'grants go to a secret1… account address');
    if (grantee === owner.address) throw new PragError('grantee_invalid', 'you cannot grant to yourself');
    if ((what.collection === undefined) === (what.docIds === undefined))
      throw new PragError('grant_scope_invalid', 'grant either a collection or a list of documents');
    if (what.expiresAt !== undefined && what.expiresAt <= now)
      throw new PragError('grant_expiry_invalid', 'the expiry is in the past');
    const collectionId =
      what.collection === undefined ? null : this.collections.resolve(owner.id, what.collection, false);
    if (what.docIds) {
      const missing = what.docIds.filter((id) => this.meta.documentStates(owner.id, [id]).get(id) !== 'ready');
      if (missing.length) throw new PragError('document_not_found', `${missing.length} of the documents are not yours`);
    }
    const granteeId = this.ownerId(grantee);
    const id = randomBytes(16).toString('hex');
    this.meta.insertGrant({
      id,
      owner: owner.id,
      grantee: granteeId,
      collectionId,
      docIds: what.docIds ?? null,
      expiresAt: what.expiresAt ?? null,
      createdAt: now,
      ownerView: this.keyring.forOwner(owner.id).seal(JSON.stringify({ grantee }), `grant:${id}`),
      granteeView: this.keyring.forOwner(granteeId).seal(JSON.stringify({ owner: owner.address }), `grant:${id}`),
    });
    return id;
  }

  /** Revokes the owner's grants to `grantee` (for one collection, or all); returns how many. */
  revoke(ownerId: string, grantee: string, collection?: string): number {
    if (!isSecretAddress(grantee)) throw new PragError('grantee_invalid', 'grants go to a secret1… account address');
    const granteeId = this.ownerId(grantee);
    const collectionId = collection === undefined ? undefined : this.collections.resolve(ownerId, collection, false);
    const ids = this.meta
      .grantsGiven(ownerId)
      .filter((g) => g.grantee === granteeId && (collectionId === undefined || g.collectionId === collectionId))
      .map((g) => g.id);
    if (!ids.length) throw new PragError('grant_not_found', 'no such grant');
    return this.meta.deleteGrants(ids);
  }

  given(ownerId: string, now = Date.now()): GrantSummary[] {
    const names = this.collections.names(ownerId);
    const sealer = this.keyring.forOwner(ownerId);
    return this.meta
      .grantsGiven(ownerId)
      .map((g) =>
        this.info(g, OwnerView.parse(JSON.parse(sealer.open(g.ownerView, `grant:${g.id}`))).grantee, names, now),
      );
  }

  received(granteeId: string, now = Date.now()): GrantSummary[] {
    const sealer = this.keyring.forOwner(granteeId);
    return this.meta
      .grantsReceived(granteeId)
      .map((g) =>
        this.info(
          g,
          GranteeView.parse(JSON.parse(sealer.open(g.granteeView, `grant:${g.id}`))).owner,
          this.collections.names(g.owner),
          now,
        ),
      );
  }

  /** What a requester may search besides their own chunks: one scope per live grant (read on every request). */
  scopes(granteeId: string, now = Date.now()): SharedScope[] {
    return this.meta
      .grantsReceived(granteeId)
      .filter((g) => live(g, now))
      .map((g) => ({
        owner: g.owner,
        ownerAddress: this.ownerAddressOf(g),
        ...(g.collectionId !== null ? { collections: [g.collectionId] } : { docIds: g.docIds ?? [] }),
      }));
  }

  /** The granting owner's address as the grantee's view records it; remembered per grant (it never changes). */
  private ownerAddressOf(g: GrantRow): string {
    let address = this.ownerAddresses.get(g.id);
    if (address === undefined) {
      address = GranteeView.parse(
        JSON.parse(this.keyring.forOwner(g.grantee).open(g.granteeView, `grant:${g.id}`)),
      ).owner;
      if (this.ownerAddresses.size >= 65_536) this.ownerAddresses.delete(this.ownerAddresses.keys().next().value!);
      this.ownerAddresses.set(g.id, address);
    }
    return address;
  }

  private info(g: GrantRow, other: string, names: Map<string, string>, now: number): GrantSummary {
    return {
      grant_id: g.id,
      with: other,
      collection: g.collectionId === null ? null : (names.get(g.collectionId) ?? null),
      doc_ids: g.docIds,
      expires_at: g.expiresAt === null ? null : new Date(g.expiresAt).toISOString(),
      active: live(g, now),
      created_at: new Date(g.createdAt).toISOString(),
    };
  }
}

const live = (g: GrantRow, now: number) => g.expiresAt === null || g.expiresAt > now;
