/** Stored conversations, sealed under the requester's key. */
import { PragError } from '../../errors.js';
import type { PragService } from '../service.js';
import type { HandlersFor } from './types.js';

const notFound = () => new PragError('conversation_not_found', 'no such conversation among yours');

export const conversationRoutes = (
  svc: PragService,
): HandlersFor<'conversations' | 'conversationGet' | 'conversationDelete'> => ({
  conversations: ({ owner }) => ({ conversations: svc.conversations.list(owner) }),

  conversationGet({ owner }, { id }) {
    const conversation = svc.conversations.get(owner, id);
    if (!conversation) throw notFound();
    return conversation;
  },

  conversationDelete({ owner }, { id }) {
    if (!svc.stores.conversations.delete(owner, id)) throw notFound();
    return { deleted: id };
  },
});
