/**
 * Conversations a user asked to keep, sealed under their own key. The client
 * sends the whole history with every turn, so a save replaces the stored
 * exchange; citations of earlier answers the client echoes back unchanged are
 * kept.
 */
import { Conversation, type ConversationSummary } from '../../schemas/chat.js';
import type { Keyring } from './keyring.js';
import type { MetaStore } from './meta.js';

type StoredMessage = Conversation['messages'][number];

const context = (owner: string, id: string) => `conversation:${owner}:${id}`;
const TITLE_CHARS = 80;

export class Conversations {
  constructor(
    private readonly meta: MetaStore,
    private readonly keyring: Keyring,
  ) {}

  get(owner: string, id: string): Conversation | undefined {
    const row = this.meta.conversation(owner, id);
    if (!row) return undefined;
    const messages = JSON.parse(this.keyring.forOwner(owner).open(row.body, context(owner, id))) as StoredMessage[];
    return Conversation.parse({
      id,
      messages,
      created_at: new Date(row.createdAt).toISOString(),
      updated_at: new Date(row.updatedAt).toISOString(),
    });
  }

  save(owner: string, id: string, messages: StoredMessage[]): void {
    const before = this.get(owner, id);
    const kept = messages.map((m, i) => {
      const old = before?.messages[i];
      return !m.citations && old?.citations && old.role === m.role && old.content === m.content
        ? { ...m, citations: old.citations }
        : m;
    });
    const now = Date.now();
    this.meta.putConversation({
      owner,
      id,
      body: this.keyring.forOwner(owner).seal(JSON.stringify(kept), context(owner, id)),
      createdAt: before ? Date.parse(before.created_at) : now,
      updatedAt: now,
    });
  }

  list(owner: string): ConversationSummary[] {
    return this.meta.conversationsOf(owner).map((row) => {
      const c = this.get(owner, row.id)!;
      return {
        id: c.id,
        title: (c.messages.find((m) => m.role === 'user')?.content ?? '').slice(0, TITLE_CHARS),
        messages: c.messages.length,
        updated_at: c.updated_at,
      };
    });
  }
}
