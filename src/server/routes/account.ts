/** The requester's account: revoking a permit, and forget-me. */
import { PragError } from '../../errors.js';
import type { PragService } from '../service.js';
import type { HandlersFor } from './types.js';

export const accountRoutes = (svc: PragService): HandlersFor<'revokePermit' | 'forgetMe'> => ({
  revokePermit({ owner }, what) {
    if ('device' in what) {
      svc.stores.revocations.revokeDevice(owner, what.device);
      return { revoked: `device:${what.device}` };
    }
    svc.stores.revocations.revoke(owner, what.permit_name);
    return { revoked: what.permit_name };
  },

  /** Deletes everything of the requester and destroys their data key (crypto-shredding). */
  async forgetMe({ identity, owner }, { confirm }) {
    if (confirm !== identity.address) throw new PragError('confirmation_mismatch', 'confirm must be your own address');
    const documents = svc.stores.documents.idsOf(owner).length;
    await svc.uploads.forget(owner);
    await svc.engine.forgetOwner(owner);
    svc.retrieval.forget(owner);
    svc.keyring.forget(owner);
    return { forgotten: identity.address, documents };
  },
});
