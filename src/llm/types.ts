/** What PRAG asks of an LLM backend, and the events it streams back. */
import type { LlmInfo } from '../../schemas/chat.js';

export interface LlmMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Answer text, or the model's reasoning (never part of the answer). */
export type LlmEvent = { type: 'text'; text: string } | { type: 'reasoning'; text: string };

export interface LlmRequest {
  messages: LlmMessage[];
  /** Overrides the configured model. */
  model?: string;
  /** Aborted when the requester goes away: the upstream request is cancelled. */
  signal: AbortSignal;
}

/** An open completion: who answers, and the stream of its events. */
export interface LlmStream {
  info: LlmInfo;
  events: AsyncIterable<LlmEvent>;
}

export interface Llm {
  /** Resolves once the worker is chosen, attested (when required) and has produced its first event. */
  open(request: LlmRequest): Promise<LlmStream>;
}

export type LlmErrorCode =
  | 'llm_unavailable'
  | 'llm_upstream_status'
  | 'llm_timeout'
  | 'llm_protocol'
  | 'llm_model_unknown'
  | 'llm_discovery_failed'
  | 'worker_attestation_failed'
  | 'llm_cancelled';

export class LlmError extends Error {
  constructor(
    readonly code: LlmErrorCode,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'LlmError';
  }
}
