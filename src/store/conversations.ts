/**
 * Conversations a user asked to keep, sealed under their own key. The client
 * sends the whole history with every turn, so a save replaces the stored
 * exchange; citations of earlier answers the client echoes back unchanged are
 * kept.
 */
import { Conversation, type ConversationSummary } from '../../schemas/chat.js';
import * as contexts from './contexts.js';
import type { Keyring } from './keyring.js';
import type { ConversationRepository, ConversationRow } from './sqlite/conversations.js';

type StoredMessage = Conversation['messages'][number];

const TITLE_CHARS = 80;

export class Conversations {
  constructor(
    private readonly rows: ConversationRepository,
    private readonly keyring: Keyring,
  ) {}

  get(owner: string, id: string): Conversation | undefined {
    const row = this.rows.get(owner, id);
    return row ? this.open(owner, row) : undefined;
  }

  private open(owner: string, row: ConversationRow): Conversation {
    const { id } = row;
    const messages = JSON.parse(
      this.keyring.forOwner(owner).open(row.body, contexts.conversation(owner, id)),
    ) as StoredMessage[];
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
    this.rows.put({
      owner,
      id,
      body: this.keyring.forOwner(owner).seal(JSON.stringify(kept), contexts.conversation(owner, id)),
      createdAt: before ? Date.parse(before.created_at) : now,
      updatedAt: now,
    });
  }

  /** False when the owner has no such conversation. */
  delete(owner: string, id: string): boolean {
    return this.rows.delete(owner, id);
  }

  list(owner: string): ConversationSummary[] {
    return this.rows.ofOwner(owner).map((row) => {
      const c = this.open(owner, row);
      return {
        id: c.id,
        title: (c.messages.find((m) => m.role === 'user')?.content ?? '').slice(0, TITLE_CHARS),
        messages: c.messages.length,
        updated_at: c.updated_at,
      };
    });
  }
}
