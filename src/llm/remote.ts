/**
 * A completion from a remote LLM worker: choose (and, for Secret AI, attest)
 * the worker, send the prompt, and stream the answer back. Failures before the
 * first token are retried a bounded number of times with backoff; after it,
 * nothing is retried (the requester already has part of the answer). Timeouts
 * bound the wait for the first token and every gap after it; cancelling the
 * request's signal closes the upstream connection.
 */
import type { LlmProviderName, WorkerAttestation } from '../../schemas/chat.js';
import { httpRequest, PinError, type TlsOptions } from './http.js';
import { ThinkSplitter } from './think.js';
import { LlmError, type Llm, type LlmEvent, type LlmRequest, type LlmStream } from './types.js';
import { WIRE_PATH, wireBody, wireEvents, type Wire } from './wire.js';

/** Where one completion goes, and what is known about the worker there. */
export interface Endpoint {
  provider: LlmProviderName;
  baseUrl: string;
  wire: Wire;
  model: string;
  apiKey?: string;
  tls?: TlsOptions;
  attestation: WorkerAttestation;
}

export interface EndpointResolver {
  resolve(model: string | undefined, signal: AbortSignal): Promise<Endpoint>;
  /** The worker presented another TLS key than the attested one, or has no such route: look again next time. */
  invalidate?(endpoint: Endpoint, reason: 'pin' | 'not_found'): void;
}

export interface RemoteOptions {
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
  /** Attempts before the first token (1 = no retry). */
  attempts: number;
  backoffMs: number;
  maxTokens: number;
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

function statusError(status: number, body: string): LlmError {
  let detail = '';
  try {
    const parsed = JSON.parse(body) as { error?: string | { message?: string } };
    detail = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? '');
  } catch {
    /* not JSON: status only */
  }
  return new LlmError(
    'llm_upstream_status',
    `the LLM answered HTTP ${status}${detail ? `: ${detail.slice(0, 300)}` : ''}`,
    RETRYABLE_STATUS.has(status),
  );
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

export class RemoteLlm implements Llm {
  constructor(
    private readonly resolver: EndpointResolver,
    private readonly options: RemoteOptions,
  ) {}

  async open(request: LlmRequest): Promise<LlmStream> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(request);
      } catch (e) {
        if (request.signal.aborted) throw new LlmError('llm_cancelled', 'the request was cancelled');
        const error =
          e instanceof LlmError
            ? e
            : new LlmError('llm_unavailable', `cannot reach the LLM: ${(e as Error).message}`, true);
        if (!error.retryable || attempt >= this.options.attempts) throw error;
        await sleep(this.options.backoffMs * 2 ** (attempt - 1), request.signal);
      }
    }
  }

  private async attempt(request: LlmRequest): Promise<LlmStream> {
    const endpoint = await this.resolver.resolve(request.model, request.signal);
    const upstream = new AbortController();
    const cancel = () => upstream.abort(new LlmError('llm_cancelled', 'the request was cancelled'));
    request.signal.addEventListener('abort', cancel, { once: true });
    let timer = setTimeout(
      () =>
        upstream.abort(
          new LlmError('llm_timeout', `no answer from the LLM within ${this.options.firstTokenTimeoutMs} ms`, true),
        ),
      this.options.firstTokenTimeoutMs,
    );
    const failure = (e: unknown): LlmError => {
      const reason: unknown = upstream.signal.reason;
      if (reason instanceof LlmError) return reason;
      if (e instanceof LlmError) return e;
      if (e instanceof PinError || (e as { cause?: unknown }).cause instanceof PinError) {
        this.resolver.invalidate?.(endpoint, 'pin');
        return new LlmError(
          'worker_attestation_failed',
          'the worker presented a TLS key other than the attested one',
          true,
        );
      }
      return new LlmError('llm_unavailable', `cannot reach the LLM: ${(e as Error).message}`, true);
    };
    try {
      const res = await httpRequest(`${endpoint.baseUrl}${WIRE_PATH[endpoint.wire]}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: endpoint.wire === 'openai' ? 'text/event-stream' : 'application/x-ndjson',
          ...(endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {}),
        },
        body: wireBody(endpoint.wire, endpoint.model, request.messages, this.options.maxTokens),
        signal: upstream.signal,
        tls: endpoint.tls,
      });
      if (res.status !== 200) {
        const error = statusError(res.status, await res.text(4096));
        if (res.status === 404 && this.resolver.invalidate) {
          this.resolver.invalidate(endpoint, 'not_found');
          throw new LlmError(error.code, error.message, true);
        }
        throw error;
      }
      const iterator = this.events(endpoint.wire, res.body)[Symbol.asyncIterator]();
      const first = await iterator.next();
      clearTimeout(timer);
      const idle = this.options.idleTimeoutMs;
      const rest = async function* (): AsyncIterable<LlmEvent> {
        try {
          for (let next = first; !next.done; next = await iterator.next()) {
            clearTimeout(timer);
            yield next.value;
            timer = setTimeout(
              () => upstream.abort(new LlmError('llm_timeout', `the LLM stalled for ${idle} ms`)),
              idle,
            );
          }
        } catch (e) {
          throw failure(e);
        } finally {
          clearTimeout(timer);
          request.signal.removeEventListener('abort', cancel);
          upstream.abort(); // closes the upstream connection if the reader stopped early
        }
      };
      return {
        info: { provider: endpoint.provider, model: endpoint.model, attestation: endpoint.attestation },
        events: rest(),
      };
    } catch (e) {
      clearTimeout(timer);
      request.signal.removeEventListener('abort', cancel);
      const error = failure(e);
      upstream.abort();
      throw error;
    }
  }

  private async *events(wire: Wire, body: AsyncIterable<Uint8Array>): AsyncIterable<LlmEvent> {
    const splitter = new ThinkSplitter();
    for await (const event of wireEvents[wire](body)) {
      if (event.type === 'reasoning') yield event;
      else yield* splitter.push(event.text);
    }
    yield* splitter.flush();
  }
}
