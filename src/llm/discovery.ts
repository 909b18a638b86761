/**
 * Secret AI worker discovery: the worker-manager contract answers
 * `{"get_models":{}}` → `{models}` and `{"get_u_r_ls":{"model"}}` → `{urls}`
 * (scrtlabs/secret-ai-contracts worker-manager/src/msg.rs). Secret contract
 * queries are encrypted, so they go through secretjs; on a contract error
 * secretjs returns the error as a string instead of throwing. Answers are
 * cached for `ttlMs`: the list is advisory and changes rarely.
 */
import { z } from 'zod';
import { SecretNetworkClient } from '../auth/secretjs.js';
import { LlmError } from './types.js';

const MAX_CACHED = 256;

export type ContractQuery = (query: object) => Promise<unknown>;

export function secretContractQuery(options: { lcdUrl: string; chainId: string; contract: string }): ContractQuery {
  const client = new SecretNetworkClient({ url: options.lcdUrl, chainId: options.chainId });
  return (query) => client.query.compute.queryContract({ contract_address: options.contract, query });
}

const Models = z.object({ models: z.array(z.string().min(1).max(128)).max(256) });
const Urls = z.object({ urls: z.array(z.url().max(512)).max(256) });

/** Speech models share the contract with the LLMs; they cannot answer a chat. */
const NOT_CHAT = /(^|[-_:])(stt|tts|whisper|kokoro)([-_:]|$)/i;

export class SecretAiDiscovery {
  private readonly cache = new Map<string, { at: number; value: unknown }>();

  constructor(
    private readonly query: ContractQuery,
    private readonly ttlMs: number,
  ) {}

  private async ask<T>(key: string, query: object, schema: z.ZodType<T>): Promise<T> {
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.value as T;
    let answer: unknown;
    try {
      answer = await this.query(query);
    } catch (e) {
      throw new LlmError('llm_discovery_failed', `worker-manager contract query failed: ${(e as Error).message}`, true);
    }
    if (typeof answer === 'string')
      throw new LlmError('llm_discovery_failed', `worker-manager contract error: ${answer.slice(0, 300)}`);
    const parsed = schema.safeParse(answer);
    if (!parsed.success)
      throw new LlmError('llm_discovery_failed', 'worker-manager contract answered in an unexpected shape');
    if (this.cache.size >= MAX_CACHED) this.cache.clear(); // model names come from requests: keep the cache bounded
    this.cache.set(key, { at: Date.now(), value: parsed.data });
    return parsed.data;
  }

  async chatModels(): Promise<string[]> {
    return (await this.ask('models', { get_models: {} }, Models)).models.filter((m) => !NOT_CHAT.test(m));
  }

  async urls(model: string): Promise<string[]> {
    return (await this.ask(`urls:${model}`, { get_u_r_ls: { model } }, Urls)).urls.map((u) => u.replace(/\/+$/, ''));
  }
}
