/**
 * The question a chat turn retrieves for. A short follow-up ("and the second one?") means little alone: with
 * an LLM configured it is rewritten into a standalone question by that LLM (through the same provider, so the
 * same worker attestation holds before any of the conversation leaves); without one, or when the rewrite
 * fails, it is joined to the question before it. The rewritten question is used for retrieval only, and is
 * never logged.
 */
import type { ChatMessage } from '../../schemas/chat.js';
import { LlmError, type Llm } from '../llm/types.js';

/** A question of fewer words than this, after an earlier one, is a follow-up. */
const FOLLOW_UP_WORDS = 8;
/** Longest retrieval query (the search request's limit). */
const MAX_QUERY = 4000;
/** Earlier messages shown to the rewriter, and the characters kept of each. */
const HISTORY_MESSAGES = 6;
const HISTORY_CHARS = 1000;

const INSTRUCTION =
  "Rewrite the user's last message as one standalone question that can be understood without the conversation. " +
  'Keep names, dates and amounts. Answer with the question only, no preamble and no quotes.';

const tail = (text: string, max: number) => (text.length > max ? text.slice(-max) : text);

/** The joining rule: the follow-up after the question before it. */
function joined(users: readonly string[]): string {
  return tail(`${users.at(-2) ?? ''}\n${users.at(-1) ?? ''}`.trim(), MAX_QUERY);
}

async function rewritten(llm: Llm, messages: readonly ChatMessage[], model: string | undefined, signal: AbortSignal) {
  const history = messages
    .slice(-HISTORY_MESSAGES)
    .map((m) => `${m.role === 'user' ? 'User' : 'Assistant'}: ${tail(m.content, HISTORY_CHARS)}`)
    .join('\n');
  const opened = await llm.open({
    messages: [
      { role: 'system', content: INSTRUCTION },
      { role: 'user', content: history },
    ],
    model,
    signal,
  });
  let text = '';
  for await (const event of opened.events) {
    if (event.type === 'text') text += event.text;
    if (text.length > MAX_QUERY) break;
  }
  return text
    .trim()
    .replace(/^"(.*)"$/s, '$1')
    .slice(0, MAX_QUERY);
}

/**
 * What to retrieve for: the last question itself, or, for a short follow-up, the LLM's standalone rewrite
 * (the joining rule without an LLM, or when the LLM fails or answers nothing).
 */
export async function retrievalQuestion(
  messages: readonly ChatMessage[],
  llm: Llm | undefined,
  { model, signal }: { model?: string; signal: AbortSignal },
): Promise<string> {
  const users = messages.filter((m) => m.role === 'user').map((m) => m.content);
  const question = users.at(-1) ?? '';
  if (users.length < 2 || question.split(/\s+/).length >= FOLLOW_UP_WORDS) return tail(question, MAX_QUERY);
  if (!llm) return joined(users);
  try {
    return (await rewritten(llm, messages, model, signal)) || joined(users);
  } catch (e) {
    // The answer's own request reports what failed (an attestation failure sent nothing either way).
    if (e instanceof LlmError) return joined(users);
    throw e;
  }
}
