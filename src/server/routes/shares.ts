/** Sharing: grants given, answered (accepted, declined or left) and received, and the owner's access log. */
import type { PragService } from '../service.js';
import type { HandlersFor } from './types.js';

export const shareRoutes = (
  svc: PragService,
): HandlersFor<'shareGrant' | 'shareRevoke' | 'shareAccept' | 'shareDecline' | 'shares' | 'audit'> => ({
  shareGrant: ({ identity, owner }, g) => ({
    grant_id: svc.grants.grant({ id: owner, address: identity.address }, g.with, {
      collection: g.collection,
      docIds: g.doc_ids,
      expiresAt: g.expires_at === undefined ? undefined : Date.parse(g.expires_at),
    }),
  }),

  shareRevoke: ({ owner }, r) => ({ revoked: svc.grants.revoke(owner, r.with, r.collection) }),

  shareAccept: ({ owner }, { grant_id }) => svc.grants.accept(owner, grant_id),

  shareDecline: ({ owner }, { grant_id }) => svc.grants.decline(owner, grant_id),

  shares: ({ owner }) => ({ given: svc.grants.given(owner), received: svc.grants.received(owner) }),

  audit: ({ owner }, { since, limit }) => ({
    entries: svc.accessLog.read(owner, since === undefined ? 0 : Date.parse(since), limit),
  }),
});
