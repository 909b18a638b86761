/** Collections: list, create, rename, and moving documents between them. */
import { PragError } from '../../errors.js';
import type { PragService } from '../service.js';
import type { HandlersFor } from './types.js';

export const collectionRoutes = (
  svc: PragService,
): HandlersFor<'collections' | 'collectionCreate' | 'collectionRename' | 'collectionMove'> => ({
  collections: ({ owner }) => ({
    collections: svc.collections
      .list(owner)
      .map(({ name, documents, created_at }) => ({ name, documents, created_at })),
  }),

  collectionCreate({ owner }, { name }) {
    svc.collections.create(owner, name);
    return { created: name };
  },

  collectionRename({ owner }, { from, to }) {
    svc.collections.rename(owner, from, to);
    return { renamed: from, to };
  },

  async collectionMove({ owner }, { doc_ids, to }) {
    const missing = svc.stores.documents.notReady(owner, doc_ids);
    if (missing.length) throw new PragError('document_not_found', 'some of the documents are not yours');
    const moved = await svc.engine.moveDocuments(owner, doc_ids, svc.collections.resolve(owner, to, true));
    await svc.maintenance.afterWrite();
    return { moved };
  },
});
