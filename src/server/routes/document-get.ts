/** Reading a document: its text in sections (a cited passage in context) and its kept original. */
import type { PragService } from '../service.js';
import type { HandlersFor } from './types.js';

export const documentReadRoutes = (svc: PragService): HandlersFor<'documentGet'> => ({
  documentGet: (caller, request) => svc.opener.open(caller, request, 'documents/get'),
});
