/**
 * The slice of OpenAI's chat completions API the proxy speaks: requests as
 * chat front-ends send them (validated; fields PRAG has no use for are
 * ignored, as OpenAI-compatible servers do), responses and stream chunks in
 * OpenAI's shape, and errors as `{error: {message, type, code}}`. The `prag`
 * field on a response or the last chunk is PRAG's extension (docs/integrations.md).
 */
import { z } from 'zod';
import { ChatMessage, type ChatFinal } from '../../schemas/chat.js';
import { SearchFilters } from '../../schemas/search.js';

const ContentPart = z.object({ type: z.string(), text: z.string().optional() });

export const OpenAiMessage = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(ContentPart), z.null()]).optional(),
});

export const ChatCompletionRequest = z.object({
  model: z.string().min(1).max(128),
  messages: z.array(OpenAiMessage).min(1).max(256),
  stream: z.boolean().optional(),
  n: z.literal(1, 'PRAG answers with one choice').optional(),
  // Accepted for compatibility; PRAG's /v1/chat has no sampling parameters, so they have no effect.
  temperature: z.number().min(0).max(2).nullable().optional(),
  max_tokens: z.number().int().min(1).nullable().optional(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

/** `X-PRAG-Filters`: a JSON SearchFilters object. */
export const FiltersHeader = SearchFilters;

/** The separator before the sources the proxy appends to an answer; stripped again from assistant history. */
const SOURCES_MARK = '\n\n---\nSources:\n';

/**
 * OpenAI messages → PRAG's: text only; system and developer messages are
 * dropped (the service's own prompt frames the retrieved passages as
 * untrusted data, and a front-end's system prompt must not replace it);
 * tool messages have no place in a retrieval question; the sources the
 * proxy appended to earlier answers are removed; the last 64 are kept.
 */
export function pragMessages(messages: z.infer<typeof OpenAiMessage>[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const m of messages) {
    if (m.role !== 'user' && m.role !== 'assistant') continue;
    let text: string;
    if (typeof m.content === 'string') text = m.content;
    else if (Array.isArray(m.content)) {
      if (m.content.some((p) => p.type !== 'text'))
        throw new RequestError('PRAG answers text questions: only text content parts are accepted');
      text = m.content.map((p) => p.text ?? '').join('');
    } else text = '';
    if (m.role === 'assistant') text = text.split(SOURCES_MARK)[0] ?? '';
    if (!text.trim()) continue;
    const parsed = ChatMessage.safeParse({ role: m.role, content: text });
    if (!parsed.success) throw new RequestError(`messages: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    out.push(parsed.data);
  }
  if (out.at(-1)?.role !== 'user') throw new RequestError('the last message must be the user’s question (text)');
  return out.slice(-64);
}

/** Bad input from the caller: answered 400 `invalid_request_error`. */
export class RequestError extends Error {
  override name = 'RequestError';
}

export interface OpenAiError {
  status: number;
  body: { error: { message: string; type: string; code: string; param: null } };
}

export const openAiError = (status: number, type: string, code: string, message: string): OpenAiError => ({
  status,
  body: { error: { message, type, code, param: null } },
});

/** The extension field: the citations, the receipt (verified by the proxy) and the LLM that answered. */
export const pragExtension = (final: ChatFinal) => ({
  citations: final.citations,
  receipt: final.receipt,
  receipt_verified: true,
  llm: final.llm,
});

/** Numbered source lines for chat UIs that show only the text. */
export function sourcesText(final: ChatFinal): string {
  if (!final.citations.length) return '';
  const lines = final.citations.map((c) => {
    const where = [c.page !== null ? `p. ${c.page}` : '', c.section && c.section !== c.title ? c.section : '']
      .filter(Boolean)
      .join(', ');
    const whose = c.shared ? `, shared by ${c.owner}` : '';
    return `[${c.n}] ${c.title}${where ? ` (${where})` : ''}${c.collection === null ? '' : ` — ${c.collection}`}${whose}`;
  });
  return `${SOURCES_MARK}${lines.join('\n')}`;
}
