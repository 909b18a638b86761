/** LLM settings from the environment; checked at start so a bad setting fails before serving. */
import { z } from 'zod';
import { AttestationMode, LlmProviderName } from '../../schemas/chat.js';

/** Secret AI's mainnet defaults (scrtlabs/secret-ai-sdk _config.py; see ../shared/docs/secret-platform.md §1.1). */
const SECRET_AI_DEFAULTS = {
  lcdUrl: 'https://lcd.secret.tactus.starshell.net/',
  chainId: 'secret-4',
  contract: 'secret1xv90yettghx8uv6ug23knaf5mjqwlsghau6aqa',
} as const;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const Env = z.object({
  PRAG_LLM: LlmProviderName.optional(),
  PRAG_LLM_URL: z.url().optional(),
  PRAG_LLM_MODEL: z.string().min(1).max(128).optional(),
  PRAG_LLM_API_KEY: z.string().min(1).optional(),
  SECRET_AI_API_KEY: z.string().min(1).optional(),
  PRAG_LLM_ATTESTATION: AttestationMode.optional(),
  /** AttestationPolicy JSON (schemas/attestation.ts) for the workers. */
  PRAG_LLM_POLICY: z.string().optional(),
  PRAG_LLM_CA_FILE: z.string().optional(),
  PRAG_PCCS_URL: z.url().optional(),
  PRAG_SECRET_AI_LCD_URL: z.url().default(SECRET_AI_DEFAULTS.lcdUrl),
  PRAG_SECRET_AI_CHAIN_ID: z.string().min(1).max(64).default(SECRET_AI_DEFAULTS.chainId),
  PRAG_SECRET_AI_CONTRACT: z
    .string()
    .regex(/^secret1[02-9ac-hj-np-z]{38,58}$/, 'not a secret1… contract address')
    .default(SECRET_AI_DEFAULTS.contract),
  PRAG_LLM_TIMEOUT_S: int(1, 3600).default(60),
  PRAG_LLM_IDLE_TIMEOUT_S: int(1, 3600).default(60),
  PRAG_LLM_ATTEMPTS: int(1, 10).default(3),
  PRAG_LLM_MAX_TOKENS: int(16, 32_768).default(1024),
  PRAG_CONTEXT_TOKENS: int(200, 100_000).default(3000),
  PRAG_LLM_ATTESTATION_REFRESH_S: int(1, 86_400).default(600),
});

export interface LlmConfig {
  provider: LlmProviderName;
  url?: string;
  model?: string;
  apiKey?: string;
  attestation: AttestationMode;
  policyFile?: string;
  caFile?: string;
  pccsUrl?: string;
  secretAi: { lcdUrl: string; chainId: string; contract: string };
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
  attempts: number;
  maxTokens: number;
  /** Budget of the numbered context blocks, in (estimated) tokens. */
  contextTokens: number;
  attestationRefreshMs: number;
}

export function loadLlmConfig(env: NodeJS.ProcessEnv = process.env): LlmConfig {
  const e = Env.parse(env);
  // No LLM configured: extractive answers; a Secret AI key alone selects Secret AI.
  const provider = e.PRAG_LLM ?? (e.SECRET_AI_API_KEY ? 'secret-ai' : 'extractive');
  // Secret AI workers must be attested (require) — except on the dev TEE without a worker policy, where nothing
  // is attested anyway: there each answer reports the unverified worker (warn).
  const devWithoutPolicy = (env.PRAG_TEE ?? 'dev') === 'dev' && !e.PRAG_LLM_POLICY;
  const attestation =
    e.PRAG_LLM_ATTESTATION ?? (provider === 'secret-ai' ? (devWithoutPolicy ? 'warn' : 'require') : 'off');
  if ((provider === 'openai' || provider === 'ollama') && !e.PRAG_LLM_URL)
    throw new Error(`PRAG_LLM=${provider} needs PRAG_LLM_URL`);
  if (provider !== 'extractive' && e.PRAG_LLM_URL && !e.PRAG_LLM_MODEL)
    throw new Error('PRAG_LLM_URL needs PRAG_LLM_MODEL (the model to ask for)');
  if (provider !== 'extractive' && attestation === 'require' && !e.PRAG_LLM_POLICY) {
    throw new Error(
      'PRAG_LLM_ATTESTATION=require needs PRAG_LLM_POLICY (the measurement policy workers must meet; `prag measure-worker` drafts one)',
    );
  }
  return {
    provider,
    url: e.PRAG_LLM_URL?.replace(/\/+$/, ''),
    model: e.PRAG_LLM_MODEL,
    apiKey: provider === 'secret-ai' ? (e.SECRET_AI_API_KEY ?? e.PRAG_LLM_API_KEY) : e.PRAG_LLM_API_KEY,
    attestation: provider === 'extractive' ? 'off' : attestation,
    policyFile: e.PRAG_LLM_POLICY,
    caFile: e.PRAG_LLM_CA_FILE,
    pccsUrl: e.PRAG_PCCS_URL,
    secretAi: {
      lcdUrl: e.PRAG_SECRET_AI_LCD_URL,
      chainId: e.PRAG_SECRET_AI_CHAIN_ID,
      contract: e.PRAG_SECRET_AI_CONTRACT,
    },
    firstTokenTimeoutMs: e.PRAG_LLM_TIMEOUT_S * 1000,
    idleTimeoutMs: e.PRAG_LLM_IDLE_TIMEOUT_S * 1000,
    attempts: e.PRAG_LLM_ATTEMPTS,
    maxTokens: e.PRAG_LLM_MAX_TOKENS,
    contextTokens: e.PRAG_CONTEXT_TOKENS,
    attestationRefreshMs: e.PRAG_LLM_ATTESTATION_REFRESH_S * 1000,
  };
}
