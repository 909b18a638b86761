/** Service settings from the environment (and `prag serve` flags, which win). */
import { z } from 'zod';
import { TeeProviderName } from '../../schemas/attestation.js';
import { SECRETVM_DEFAULTS } from '../tee/secretvm.js';
import { TSM_REPORT_DIR } from '../tee/tdx.js';
import { loadLlmConfig, type LlmConfig } from '../llm/config.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const Env = z.object({
  PRAG_TEE: TeeProviderName.default('dev'),
  PRAG_HOST: z.string().default('127.0.0.1'),
  PRAG_PORT: int(0, 65535).default(8787),
  PRAG_MASTER_KEY: z.string().optional(),
  PRAG_MASTER_KEY_FILE: z.string().optional(),
  /** `operator`: the operator supplies the master key (escrow); the key statement says so and clients refuse it by default. */
  PRAG_KEY_ESCROW: z.enum(['off', 'operator']).default('off'),
  PRAG_EPOCH_KEY_S: int(60, 86_400).default(3600),
  PRAG_CHAIN_ID: z.string().min(1).max(64).default('secret-4'),
  PRAG_MAX_UPLOAD_MB: int(1, 1e6).default(4096),
  PRAG_REQUEST_TIMEOUT_S: int(1, 86400).default(3600),
  PRAG_SECRETVM_SIGN_URL: z.url().default(SECRETVM_DEFAULTS.signUrl),
  PRAG_SECRETVM_KEY_QUOTE_FILE: z.string().default(SECRETVM_DEFAULTS.keyQuoteFile),
  PRAG_SECRETVM_PUBLIC_KEY_FILE: z.string().default(SECRETVM_DEFAULTS.publicKeyFile),
  PRAG_SECRETVM_COMPOSE: z.string().default(SECRETVM_DEFAULTS.compose),
  PRAG_TSM_REPORT_DIR: z.string().default(TSM_REPORT_DIR),
  PRAG_RATE_PER_MIN: int(1, 1e6).default(600),
  PRAG_RATE_BURST: int(1, 1e6).default(120),
  PRAG_CLIENT_RATE_PER_MIN: int(1, 1e6).default(1200),
  PRAG_CLIENT_RATE_BURST: int(1, 1e6).default(240),
  /** Unset: no metrics listener. */
  PRAG_METRICS_PORT: int(0, 65535).optional(),
  PRAG_QUOTA_MB: int(1, 1e9).default(10_240),
  PRAG_QUOTA_DOCS: int(1, 1e9).default(1_000_000),
  PRAG_SHUTDOWN_GRACE_S: int(0, 3600).default(30),
  PRAG_PARSE_WORKERS: int(1, 64).default(2),
  PRAG_INGEST_QUEUE: int(1, 1e6).default(64),
  PRAG_INGEST_QUEUE_MB: int(1, 1e7).default(16_384),
  PRAG_PARSE_TIMEOUT_S: int(1, 3600).default(120),
  PRAG_PARSE_MAX_HEAP_MB: int(64, 16_384).default(1024),
  PRAG_PARSE_UPLOAD_BUDGET_S: int(1, 86_400).default(1800),
});

export interface ServiceConfig {
  tee: TeeProviderName;
  host: string;
  port: number;
  /**
   * An operator-supplied master key (hex, or a file): used as the at-rest key
   * only in escrow mode; otherwise it is an earlier deployment's key, and the
   * data it wraps is migrated to a key born in the enclave.
   */
  masterKey?: string;
  masterKeyFile?: string;
  keyEscrow: 'off' | 'operator';
  /** How long each epoch key (what requests are sealed to) is offered; it is accepted as long again. */
  epochKeyPeriodS: number;
  chainId: string;
  maxUploadBytes: number;
  requestTimeoutMs: number;
  secretvm: { signUrl: string; keyQuoteFile: string; publicKeyFile: string; compose: string };
  tsmReportDir: string;
  llm: LlmConfig;
  /** Requests per address: sustained rate and burst. */
  rate: { perMinute: number; burst: number };
  /** Requests per remote network address (IPv6: per /64), counted before anything is opened or verified. */
  clientRate: { perMinute: number; burst: number };
  /** The loopback port `/metrics` is served on; undefined: not served at all. */
  metricsPort?: number;
  /** Per-owner storage: source bytes and documents (attachments and mbox messages count). */
  quota: { bytes: number; documents: number };
  /** How long a shutdown waits for in-flight ingests before aborting them (they roll back). */
  shutdownGraceMs: number;
  /** Untrusted parsing: worker threads, each job's time limit and heap limit, and one upload's time in all. */
  parse: { workers: number; timeoutMs: number; maxHeapMb: number; uploadBudgetMs: number };
  /** The durable ingest queue's bounds: uploads waiting (or running) and their spooled bytes. */
  ingestQueue: { jobs: number; bytes: number };
}

export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const e = Env.parse(env);
  return {
    tee: e.PRAG_TEE,
    host: e.PRAG_HOST,
    port: e.PRAG_PORT,
    masterKey: e.PRAG_MASTER_KEY,
    masterKeyFile: e.PRAG_MASTER_KEY_FILE,
    keyEscrow: e.PRAG_KEY_ESCROW,
    epochKeyPeriodS: e.PRAG_EPOCH_KEY_S,
    chainId: e.PRAG_CHAIN_ID,
    maxUploadBytes: e.PRAG_MAX_UPLOAD_MB * 1024 * 1024,
    requestTimeoutMs: e.PRAG_REQUEST_TIMEOUT_S * 1000,
    secretvm: {
      signUrl: e.PRAG_SECRETVM_SIGN_URL,
      keyQuoteFile: e.PRAG_SECRETVM_KEY_QUOTE_FILE,
      publicKeyFile: e.PRAG_SECRETVM_PUBLIC_KEY_FILE,
      compose: e.PRAG_SECRETVM_COMPOSE,
    },
    tsmReportDir: e.PRAG_TSM_REPORT_DIR,
    llm: loadLlmConfig(env),
    rate: { perMinute: e.PRAG_RATE_PER_MIN, burst: e.PRAG_RATE_BURST },
    clientRate: { perMinute: e.PRAG_CLIENT_RATE_PER_MIN, burst: e.PRAG_CLIENT_RATE_BURST },
    metricsPort: e.PRAG_METRICS_PORT,
    quota: { bytes: e.PRAG_QUOTA_MB * 1024 * 1024, documents: e.PRAG_QUOTA_DOCS },
    shutdownGraceMs: e.PRAG_SHUTDOWN_GRACE_S * 1000,
    parse: {
      workers: e.PRAG_PARSE_WORKERS,
      timeoutMs: e.PRAG_PARSE_TIMEOUT_S * 1000,
      maxHeapMb: e.PRAG_PARSE_MAX_HEAP_MB,
      uploadBudgetMs: e.PRAG_PARSE_UPLOAD_BUDGET_S * 1000,
    },
    ingestQueue: { jobs: e.PRAG_INGEST_QUEUE, bytes: e.PRAG_INGEST_QUEUE_MB * 1024 * 1024 },
  };
}
