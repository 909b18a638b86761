/** Search over the requester's own chunks and every live grant to them. */
import type { PragService } from '../service.js';
import type { HandlersFor } from './types.js';

export const searchRoutes = (svc: PragService): HandlersFor<'search'> => ({
  search: async (caller, request) => ({ hits: await svc.retrieval.retrieve(caller, request, 'search') }),
});
