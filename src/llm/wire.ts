/**
 * The two streaming wire formats LLM workers speak, parsed into raw content
 * events (reasoning split off where the backend marks it as such):
 *  - OpenAI-compatible `POST /v1/chat/completions`, `stream: true`: Server-Sent
 *    Events `data: {chunk}`, ending with `data: [DONE]` (vLLM, LiteLLM, Ollama's /v1);
 *  - Ollama `POST /api/chat`, `stream: true`: NDJSON objects, the last with `done: true`.
 * Every chunk is validated; anything else is a protocol error.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { z } from 'zod';
import { LlmError, type LlmEvent, type LlmMessage } from './types.js';

export type Wire = 'openai' | 'ollama';

export const WIRE_PATH: Record<Wire, string> = { openai: '/v1/chat/completions', ollama: '/api/chat' };

export function wireBody(wire: Wire, model: string, messages: LlmMessage[], maxTokens: number): string {
  return JSON.stringify(
    wire === 'openai'
      ? { model, messages, stream: true, max_tokens: maxTokens }
      : { model, messages, stream: true, options: { num_predict: maxTokens } },
  );
}

const UpstreamError = z.object({ error: z.union([z.string(), z.object({ message: z.string() }).loose()]) }).loose();

const OpenAiChunk = z
  .object({
    choices: z.array(
      z
        .object({
          delta: z
            .object({
              content: z.string().nullish(),
              reasoning_content: z.string().nullish(),
              reasoning: z.string().nullish(),
            })
            .loose()
            .optional(),
          finish_reason: z.string().nullish(),
        })
        .loose(),
    ),
  })
  .loose();

const OllamaLine = z
  .object({
    message: z.object({ content: z.string().optional(), thinking: z.string().optional() }).loose().optional(),
    done: z.boolean().optional(),
  })
  .loose();

const decoded = async function* (body: AsyncIterable<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of body) yield decoder.decode(chunk, { stream: true });
  const rest = decoder.decode();
  if (rest) yield rest;
};

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new LlmError('llm_protocol', 'the LLM sent a chunk that is not JSON');
  }
}

function upstreamError(value: unknown): LlmError | undefined {
  const e = UpstreamError.safeParse(value);
  if (!e.success) return undefined;
  const message = typeof e.data.error === 'string' ? e.data.error : e.data.error.message;
  return new LlmError('llm_upstream_status', `the LLM reported an error mid-stream: ${message.slice(0, 300)}`);
}

function* contentEvents(text: string | null | undefined, reasoning: string | null | undefined): Iterable<LlmEvent> {
  if (reasoning) yield { type: 'reasoning', text: reasoning };
  if (text) yield { type: 'text', text };
}

async function* openAiEvents(body: AsyncIterable<Uint8Array>): AsyncIterable<LlmEvent> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => void pending.push(e) });
  for await (const text of decoded(body)) {
    parser.feed(text);
    for (let message = pending.shift(); message; message = pending.shift()) {
      const { data } = message;
      if (data.trim() === '[DONE]') return;
      const value = parseJson(data);
      const error = upstreamError(value);
      if (error) throw error;
      const chunk = OpenAiChunk.safeParse(value);
      if (!chunk.success)
        throw new LlmError('llm_protocol', 'the LLM sent a chunk that is not a chat completion chunk');
      for (const choice of chunk.data.choices.slice(0, 1)) {
        yield* contentEvents(choice.delta?.content, choice.delta?.reasoning_content ?? choice.delta?.reasoning);
      }
    }
  }
  throw new LlmError('llm_protocol', 'the LLM stream ended without [DONE]');
}

async function* ollamaEvents(body: AsyncIterable<Uint8Array>): AsyncIterable<LlmEvent> {
  let buffered = '';
  for await (const text of decoded(body)) {
    buffered += text;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (!line) continue;
      const value = parseJson(line);
      const error = upstreamError(value);
      if (error) throw error;
      const parsed = OllamaLine.safeParse(value);
      if (!parsed.success) throw new LlmError('llm_protocol', 'the LLM sent a line that is not an Ollama chat chunk');
      yield* contentEvents(parsed.data.message?.content, parsed.data.message?.thinking);
      if (parsed.data.done) return;
    }
  }
  throw new LlmError('llm_protocol', 'the LLM stream ended without done: true');
}

export const wireEvents: Record<Wire, (body: AsyncIterable<Uint8Array>) => AsyncIterable<LlmEvent>> = {
  openai: openAiEvents,
  ollama: ollamaEvents,
};
