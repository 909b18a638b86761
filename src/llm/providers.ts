/**
 * The configured LLM: Secret AI (discovered on chain, attested), any
 * OpenAI-compatible or Ollama endpoint, or none (extractive answers).
 */
import type { Collateral } from '@phala/dcap-qvl';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AttestationPolicy } from '../../schemas/attestation.js';
import type { WorkerAttestation } from '../../schemas/chat.js';
import { collateralSource, DEFAULT_PCCS_URL } from '../attest/collateral.js';
import { AttestationError } from '../attest/errors.js';
import type { LlmConfig } from './config.js';
import { SecretAiDiscovery, secretContractQuery, type ContractQuery } from './discovery.js';
import { PinError, type PeerKey, type TlsOptions } from './http.js';
import { RemoteLlm, type Endpoint, type EndpointResolver } from './remote.js';
import { LlmError, type Llm } from './types.js';
import type { Wire } from './wire.js';
import { WorkerAttestor } from './worker-attestation.js';

export interface LlmDeps {
  /** Where collateral is cached (not user data). */
  cacheDir?: string;
  collateral?: (quote: Uint8Array) => Promise<Collateral>;
  /** Contract queries (tests); secretjs against the configured LCD otherwise. */
  contractQuery?: ContractQuery;
  now?: () => number;
}

const originOf = (url: string) => new URL(url).origin;

class WorkerResolver implements EndpointResolver {
  /** Workers found not to speak OpenAI's API (older Ollama-only gateways). */
  private readonly ollamaOnly = new Set<string>();

  constructor(
    private readonly config: LlmConfig,
    private readonly ca: string | undefined,
    private readonly discovery: SecretAiDiscovery | undefined,
    private readonly attestor: WorkerAttestor | undefined,
  ) {}

  async resolve(requested: string | undefined, signal: AbortSignal): Promise<Endpoint> {
    const { config } = this;
    let baseUrl = config.url;
    let model = requested ?? config.model;
    if (!baseUrl) {
      const { discovery } = this;
      if (!discovery) throw new LlmError('llm_discovery_failed', 'no LLM URL configured and no Secret AI discovery');
      model ??= (await discovery.chatModels())[0];
      if (!model) throw new LlmError('llm_model_unknown', 'the worker-manager contract lists no chat model');
      const urls = await discovery.urls(model);
      baseUrl = urls[Math.floor(Math.random() * urls.length)];
      if (!baseUrl) throw new LlmError('llm_model_unknown', `no Secret AI worker serves the model "${model}"`);
    }
    // loadLlmConfig requires PRAG_LLM_MODEL with PRAG_LLM_URL.
    if (!model) throw new LlmError('llm_model_unknown', 'no model requested and none configured');
    const { attestation, tls } = await this.attest(originOf(baseUrl), signal);
    const wire: Wire = config.provider === 'ollama' || this.ollamaOnly.has(baseUrl) ? 'ollama' : 'openai';
    return { provider: config.provider, baseUrl, wire, model, apiKey: config.apiKey, tls, attestation };
  }

  private async attest(
    origin: string,
    signal: AbortSignal,
  ): Promise<{ attestation: WorkerAttestation; tls: TlsOptions }> {
    const mode = this.config.attestation;
    if (!this.attestor) {
      const attestation: WorkerAttestation =
        mode === 'off'
          ? { mode, status: 'skipped', origin }
          : {
              mode,
              status: 'failed',
              origin,
              check: 'policy',
              message: 'no worker policy is configured (PRAG_LLM_POLICY): the worker was not verified',
            };
      return { attestation, tls: { ca: this.ca } };
    }
    try {
      const worker = await this.attestor.attest(origin, signal);
      const pin = (seen: PeerKey) =>
        seen.spkiSha256 === worker.peer.spkiSha256
          ? undefined
          : new PinError(seen, 'TLS key differs from the attested one');
      return { attestation: worker.summary, tls: { ca: this.ca, pin } };
    } catch (e) {
      if (!(e instanceof AttestationError)) throw e;
      if (mode === 'require')
        throw new LlmError(
          'worker_attestation_failed',
          `the LLM worker's attestation failed, so no context was sent: ${e.message}`,
        );
      return {
        attestation: { mode, status: 'failed', origin, check: e.check, message: e.message },
        tls: { ca: this.ca },
      };
    }
  }

  invalidate(endpoint: Endpoint, reason: 'pin' | 'not_found'): void {
    if (reason === 'pin') this.attestor?.invalidate(originOf(endpoint.baseUrl));
    else if (this.config.provider === 'secret-ai' && endpoint.wire === 'openai') this.ollamaOnly.add(endpoint.baseUrl);
  }
}

/** The configured LLM, or undefined for extractive answers. */
export function createLlm(config: LlmConfig, deps: LlmDeps = {}): Llm | undefined {
  if (config.provider === 'extractive') return undefined;
  const ca = config.caFile ? readFileSync(config.caFile, 'utf8') : undefined;
  let attestor: WorkerAttestor | undefined;
  if (config.attestation !== 'off' && config.policyFile) {
    const policy = AttestationPolicy.parse(JSON.parse(readFileSync(config.policyFile, 'utf8')));
    const pccsUrl = config.pccsUrl ?? policy.pccs_url ?? DEFAULT_PCCS_URL;
    attestor = new WorkerAttestor(config.attestation, {
      policy,
      ca,
      refreshMs: config.attestationRefreshMs,
      timeoutMs: config.firstTokenTimeoutMs,
      now: deps.now,
      collateral:
        deps.collateral ??
        collateralSource({ pccsUrl, cacheDir: deps.cacheDir && join(deps.cacheDir, 'collateral'), now: deps.now }),
    });
  }
  const discovery =
    config.provider === 'secret-ai' && !config.url
      ? new SecretAiDiscovery(deps.contractQuery ?? secretContractQuery(config.secretAi), 10 * 60 * 1000)
      : undefined;
  return new RemoteLlm(new WorkerResolver(config, ca, discovery, attestor), {
    firstTokenTimeoutMs: config.firstTokenTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    attempts: config.attempts,
    backoffMs: 250,
    maxTokens: config.maxTokens,
  });
}
