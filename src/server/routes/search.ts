/** Search over the requester's own chunks and every live grant to them. */
import type { PragService } from '../service.js';
import type { HandlersFor } from './types.js';

export const searchRoutes = (svc: PragService): HandlersFor<'search'> => ({
  search: (caller, request) => svc.retrieval.retrieve(caller, request, 'search'),
});
