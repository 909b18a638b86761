/**
 * Share grants: an owner offers another address one collection, or a set of
 * documents, until an optional expiry; the grant does nothing until that
 * address accepts it, and stops when it declines (leaves) or the owner
 * revokes. Anyone can offer a grant to any address, so an unaccepted grant
 * must not put the owner's passages in the grantee's answers, nor the
 * grantee's searches in the owner's access log. Grants are read from SQLite
 * on every request, so an answer or a revocation is in force from the next
 * request on and an expired grant simply stops matching.
 */
import { bech32 } from '@scure/base';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { GrantStatus, GrantSummary } from '../../schemas/api.js';
import type { GrantState } from '../../schemas/db.js';
import type { SearchScope } from '../store/filter.js';
import type { Collections } from '../store/collections.js';
import * as contexts from '../store/contexts.js';
import type { Keyring } from '../store/keyring.js';
import type { DocumentRepository, GrantRepository, GrantRow } from '../store/index.js';
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

/** Grants waiting for one address's answer, at most: more offers are refused until it accepts or declines some. */
export const MAX_PENDING_GRANTS = 20;

const OwnerView = z.object({ grantee: z.string() });
const GranteeView = z.object({ owner: z.string() });

export interface SharedScope extends SearchScope {
  ownerAddress: string;
}

export class Grants {
  private readonly ownerAddresses = new Map<string, string>();

  constructor(
    private readonly rows: GrantRepository,
    private readonly documents: DocumentRepository,
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
      const missing = this.documents.notReady(owner.id, what.docIds);
      if (missing.length) throw new PragError('document_not_found', 'some of the documents are not yours');
    }
    const granteeId = this.ownerId(grantee);
    // Offers cost the offerer nothing: without a cap, anyone could bury an address's real offers under theirs.
    if (this.rows.pendingCount(granteeId, now) >= MAX_PENDING_GRANTS)
      throw new PragError(
        'grant_pending_limit',
        `the grantee has ${MAX_PENDING_GRANTS} grants waiting for an answer; it must accept or decline some first`,
      );
    const id = randomBytes(16).toString('hex');
    this.rows.insert({
      id,
      owner: owner.id,
      grantee: granteeId,
      collectionId,
      docIds: what.docIds ?? null,
      expiresAt: what.expiresAt ?? null,
      createdAt: now,
      ownerView: this.keyring.forOwner(owner.id).seal(JSON.stringify({ grantee }), contexts.grantView(id)),
      granteeView: this.keyring
        .forOwner(granteeId)
        .seal(JSON.stringify({ owner: owner.address }), contexts.grantView(id)),
      state: 'pending',
    });
    return id;
  }

  /** The grantee accepts a grant: it enters their retrieval from the next request on. Accepting twice is harmless. */
  accept(granteeId: string, id: string, now = Date.now()): { grant_id: string; state: GrantStatus } {
    return this.answer(granteeId, id, { pending: 'accepted', accepted: 'accepted' }, now);
  }

  /** The grantee refuses a pending grant, or leaves an accepted one: it stops matching from the next request on. */
  decline(granteeId: string, id: string, now = Date.now()): { grant_id: string; state: GrantStatus } {
    return this.answer(granteeId, id, { pending: 'declined', accepted: 'left' }, now);
  }

  /** A grant that is not the requester's, or that they already declined or left, is `grant_not_found`: no oracle. */
  private answer(
    granteeId: string,
    id: string,
    next: Partial<Record<GrantState, GrantState>>,
    now: number,
  ): { grant_id: string; state: GrantStatus } {
    const row = this.rows.receivedOne(granteeId, id);
    const to = row && next[row.state];
    if (!row || !to || !this.rows.setState(granteeId, id, [row.state], to))
      throw new PragError('grant_not_found', 'no such grant among those you received');
    return { grant_id: id, state: statusOf({ ...row, state: to }, now) };
  }

  /** Revokes the owner's grants to `grantee` (for one collection, or all); returns how many. */
  revoke(ownerId: string, grantee: string, collection?: string): number {
    if (!isSecretAddress(grantee)) throw new PragError('grantee_invalid', 'grants go to a secret1… account address');
    const granteeId = this.ownerId(grantee);
    const collectionId = collection === undefined ? undefined : this.collections.resolve(ownerId, collection, false);
    const ids = this.rows
      .givenBy(ownerId)
      .filter((g) => g.grantee === granteeId && (collectionId === undefined || g.collectionId === collectionId))
      .map((g) => g.id);
    if (!ids.length) throw new PragError('grant_not_found', 'no such grant');
    return this.rows.delete(ids);
  }

  given(ownerId: string, now = Date.now()): GrantSummary[] {
    const names = this.collections.names(ownerId);
    const sealer = this.keyring.forOwner(ownerId);
    return this.rows
      .givenBy(ownerId)
      .map((g) =>
        this.info(
          g,
          OwnerView.parse(JSON.parse(sealer.open(g.ownerView, contexts.grantView(g.id)))).grantee,
          names,
          now,
        ),
      );
  }

  /** Grants offered to or accepted by the requester; once declined or left, a grant is only the owner's to see. */
  received(granteeId: string, now = Date.now()): GrantSummary[] {
    const sealer = this.keyring.forOwner(granteeId);
    return this.rows
      .receivedBy(granteeId)
      .filter((g) => g.state === 'pending' || g.state === 'accepted')
      .map((g) =>
        this.info(
          g,
          GranteeView.parse(JSON.parse(sealer.open(g.granteeView, contexts.grantView(g.id)))).owner,
          this.collections.names(g.owner),
          now,
        ),
      );
  }

  /** What a requester may search besides their own chunks: one scope per accepted, unexpired grant (read on every request). */
  scopes(granteeId: string, now = Date.now()): SharedScope[] {
    return this.rows
      .receivedBy(granteeId)
      .filter((g) => statusOf(g, now) === 'active')
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
        JSON.parse(this.keyring.forOwner(g.grantee).open(g.granteeView, contexts.grantView(g.id))),
      ).owner;
      if (this.ownerAddresses.size >= 65_536) {
        const oldest = this.ownerAddresses.keys().next();
        if (!oldest.done) this.ownerAddresses.delete(oldest.value);
      }
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
      state: statusOf(g, now),
      created_at: new Date(g.createdAt).toISOString(),
    };
  }
}

/** What both sides are shown of a grant; only an `active` one enters retrieval. */
function statusOf(g: Pick<GrantRow, 'state' | 'expiresAt'>, now: number): GrantStatus {
  if (g.state === 'declined' || g.state === 'left') return g.state;
  if (g.expiresAt !== null && g.expiresAt <= now) return 'expired';
  return g.state === 'accepted' ? 'active' : 'pending';
}
