/**
 * The environment guard: under the `secretvm` and `tdx` providers `prag serve`
 * runs only with an environment its measured configuration fixes. It runs
 * first, before any setting is read or any key is loaded.
 *
 * Why: whatever reaches the process environment from outside what clients
 * verify (on SecretVM, an `env_file` from the KMS-decrypted `usr/.env`) can
 * change what PRAG trusts — or, through NODE_OPTIONS or LD_PRELOAD, run code —
 * while the quote, RTMR3 and the compose check still pass. The deployment's
 * first line is its compose (no env_file, every setting a literal); this guard
 * is the second: it refuses to start when the environment says anything the
 * measured configuration does not.
 *
 * Rules (docs/configuration.md "Which settings the environment may carry"):
 * 1. Refused outright, whatever any compose says: NODE_* other than NODE_ENV
 *    and NODE_VERSION (NODE_OPTIONS, NODE_PATH, NODE_EXTRA_CA_CERTS,
 *    NODE_TLS_REJECT_UNAUTHORIZED, NODE_REPL_EXTERNAL_MODULE, …), LD_*,
 *    OPENSSL_*, SSL_CERT_FILE/SSL_CERT_DIR, RUST_LOG, and LanceDB's own
 *    LANCE_* and LANCEDB_* settings except LANCE_CPU_THREADS.
 * 2. Every PRAG_* variable must be a PRAG setting (the table below).
 * 3. `secretvm`: every PRAG_* variable and NODE_ENV must be what the measured
 *    compose's `prag` service sets, as a literal — the compose PRAG serves to
 *    clients, who replay RTMR3 from it, so a different compose makes them
 *    refuse the VM. The secrets (PRAG_MASTER_KEY, PRAG_LLM_API_KEY) must be
 *    passed by exactly `${NAME}`. Nothing extra, nothing different, nothing
 *    missing; a compose that gives `prag` an env_file is refused.
 * 4. `tdx`: a generic TDX guest has no measured record of its environment that
 *    PRAG could read, so settings that change what PRAG trusts ("measured") are
 *    refused; operational ("safe") ones and the secrets are accepted.
 *
 * Everything else (PATH, HOME, TZ, UV_THREADPOOL_SIZE, SECRET_AI_API_KEY, …)
 * is not PRAG's to judge: it runs no code and moves no trust.
 *
 * What the guard cannot do: NODE_OPTIONS and LD_PRELOAD act before any
 * JavaScript runs, so code they inject could erase itself from the
 * environment first. The guard turns an injected environment into a refusal
 * wherever the injection did not also subvert the guard; keeping the
 * environment out is the compose's job (deploy/README.md "Environment").
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { SECRETVM_DEFAULTS } from '../tee/secretvm.js';

/**
 * - `measured`: changes what PRAG trusts, sends or keeps; only a measured
 *   configuration may set it (refused under `tdx`).
 * - `safe`: operational, or shows in the evidence clients verify (a wrong
 *   value makes them refuse): accepted under `tdx`.
 * - `secret`: a secret value; passed by `${NAME}` interpolation under
 *   `secretvm`, accepted under `tdx`.
 */
export type SettingClass = 'measured' | 'safe' | 'secret';

/** Every PRAG_* setting, and whether an unmeasured environment may carry it. */
export const PRAG_SETTINGS: Readonly<Record<string, SettingClass>> = {
  // Service (src/server/config.ts)
  PRAG_TEE: 'safe', // the provider is what the evidence proves; `dev` evidence is refused by every policy
  PRAG_HOST: 'safe',
  PRAG_PORT: 'safe',
  PRAG_MASTER_KEY: 'secret', // the at-rest key only in escrow (PRAG_KEY_ESCROW, measured); otherwise migrated from
  PRAG_MASTER_KEY_FILE: 'safe', // as PRAG_MASTER_KEY: a path
  PRAG_KEY_ESCROW: 'measured',
  PRAG_EPOCH_KEY_S: 'measured', // the forward-secrecy window
  PRAG_CHAIN_ID: 'measured',
  PRAG_MAX_UPLOAD_MB: 'safe',
  PRAG_REQUEST_TIMEOUT_S: 'safe',
  // Evidence sources: a wrong one fails the client's binding, compose or RTMR3 check.
  PRAG_SECRETVM_SIGN_URL: 'safe',
  PRAG_SECRETVM_KEY_QUOTE_FILE: 'safe',
  PRAG_SECRETVM_PUBLIC_KEY_FILE: 'safe',
  PRAG_SECRETVM_COMPOSE: 'safe',
  PRAG_TSM_REPORT_DIR: 'safe',
  PRAG_RATE_PER_MIN: 'safe',
  PRAG_RATE_BURST: 'safe',
  PRAG_CLIENT_RATE_PER_MIN: 'safe',
  PRAG_CLIENT_RATE_BURST: 'safe',
  PRAG_METRICS_PORT: 'safe', // a loopback listener for /metrics: counts and latencies only
  PRAG_QUOTA_MB: 'safe',
  PRAG_QUOTA_DOCS: 'safe',
  PRAG_SHUTDOWN_GRACE_S: 'safe',
  PRAG_PARSE_WORKERS: 'safe',
  PRAG_PARSE_TIMEOUT_S: 'safe',
  PRAG_PARSE_MAX_HEAP_MB: 'safe',
  PRAG_PARSE_UPLOAD_BUDGET_S: 'safe',
  PRAG_INGEST_QUEUE: 'safe',
  PRAG_INGEST_QUEUE_MB: 'safe',
  PRAG_LOG_LEVEL: 'measured', // what reaches logs the host can read
  // Engine (src/config.ts)
  PRAG_MODEL_DIR: 'measured', // which model reads users' text (and whether one may be fetched)
  PRAG_EMBED_MODEL: 'measured',
  PRAG_CHUNK_TOKENS: 'safe',
  PRAG_EMBED_BATCH: 'safe',
  PRAG_ANN_THRESHOLD: 'safe',
  PRAG_ANN_NPROBES: 'safe',
  PRAG_ANN_REFINE: 'safe',
  PRAG_MAX_FILE_MB: 'safe',
  // Answers (src/llm/config.ts): who receives retrieved passages, and what is checked first.
  PRAG_LLM: 'measured',
  PRAG_LLM_URL: 'measured',
  PRAG_LLM_MODEL: 'measured',
  PRAG_LLM_API_KEY: 'secret', // authenticates PRAG to the LLM gateway; not a confidentiality control
  PRAG_LLM_ATTESTATION: 'measured',
  PRAG_LLM_POLICY: 'measured',
  PRAG_LLM_CA_FILE: 'measured',
  PRAG_PCCS_URL: 'measured',
  PRAG_SECRET_AI_LCD_URL: 'measured',
  PRAG_SECRET_AI_CHAIN_ID: 'measured',
  PRAG_SECRET_AI_CONTRACT: 'measured',
  PRAG_CONTEXT_TOKENS: 'measured', // how much of the retrieved text is sent
  PRAG_LLM_ATTESTATION_REFRESH_S: 'measured',
  PRAG_LLM_TIMEOUT_S: 'safe',
  PRAG_LLM_IDLE_TIMEOUT_S: 'safe',
  PRAG_LLM_ATTEMPTS: 'safe',
  PRAG_LLM_MAX_TOKENS: 'safe',
  // Client only (`prag serve` does not read them)
  PRAG_CACHE_DIR: 'safe',
  PRAG_URL: 'safe',
  PRAG_IDENTITY: 'safe',
  PRAG_POLICY: 'safe',
  PRAG_PROFILE: 'safe',
  PRAG_ALLOW_INSECURE_DEV: 'safe',
  PRAG_PASSPHRASE: 'secret',
};

/** The providers the guard applies to; `dev` proves nothing and every policy refuses its evidence. */
const GUARDED_PROVIDERS: readonly string[] = ['secretvm', 'tdx'];

/** Set by the official Node images; Node itself does not read it. */
const INERT = new Set(['NODE_VERSION']);
/** PRAG sets it itself when unset (src/store/vectors.ts); it sizes a thread pool and nothing else. */
const LANCE_ALLOWED = new Set(['LANCE_CPU_THREADS']);

/** Refused by name, and why. */
const REFUSED = new Map<string, string>([
  ['NODE_OPTIONS', 'passes flags to Node itself (--import and --require run code before PRAG starts)'],
  ['NODE_PATH', 'adds directories modules are loaded from'],
  ['NODE_EXTRA_CA_CERTS', 'adds TLS trust anchors'],
  ['NODE_TLS_REJECT_UNAUTHORIZED', 'can turn TLS certificate checks off'],
  ['NODE_REPL_EXTERNAL_MODULE', 'loads a module in place of the REPL'],
  ['SSL_CERT_FILE', "replaces OpenSSL's TLS trust anchors"],
  ['SSL_CERT_DIR', "replaces OpenSSL's TLS trust anchors"],
  ['RUST_LOG', "native logging to stderr, past PRAG's log redaction"],
]);

/** Why a variable is refused whatever any compose says, or undefined. */
export function refusedOutright(name: string): string | undefined {
  const named = REFUSED.get(name);
  if (named) return named;
  if (name.startsWith('NODE_') && name !== 'NODE_ENV' && !INERT.has(name))
    return 'a Node.js runtime switch PRAG does not use';
  if (name.startsWith('LD_')) return 'read by the dynamic loader, which can load shared libraries into the process';
  if (name.startsWith('OPENSSL_'))
    return 'OpenSSL configuration, which can load providers and engines (shared libraries)';
  if ((name.startsWith('LANCE_') || name.startsWith('LANCEDB_')) && !LANCE_ALLOWED.has(name))
    return 'a LanceDB setting (storage format, migrations, memory, native logging); PRAG configures LanceDB itself';
  return undefined;
}

/** Variables whose value the measured compose must fix under `secretvm`. */
const governed = (name: string) => name.startsWith('PRAG_') || name === 'NODE_ENV';

export interface EnvironmentProblem {
  name: string;
  problem: string;
}

/**
 * The checks that need nothing but the environment: rules 1, 2 and (under
 * `tdx`) 4. No I/O, so a refusal here needs no hardware and no compose.
 */
export function checkEnvironmentNames(tee: string, env: NodeJS.ProcessEnv): EnvironmentProblem[] {
  const problems: EnvironmentProblem[] = [];
  for (const name of Object.keys(env).sort()) {
    if (env[name] === undefined) continue;
    const refused = refusedOutright(name);
    if (refused) {
      problems.push({ name, problem: `${refused}; never accepted under the secretvm or tdx provider` });
      continue;
    }
    if (!name.startsWith('PRAG_')) continue;
    const kind = PRAG_SETTINGS[name];
    if (!kind) problems.push({ name, problem: 'not a PRAG setting (docs/configuration.md lists them)' });
    else if (tee === 'tdx' && kind === 'measured')
      problems.push({
        name,
        problem:
          'changes what PRAG trusts; a tdx guest has no measured record of its environment to check it against, so only its default applies',
      });
  }
  return problems;
}

type Declared =
  | { kind: 'literal'; value: string }
  | { kind: 'interpolated'; raw: string }
  | { kind: 'passed-through' }
  | { kind: 'not-a-string'; raw: unknown };

/** A compose value: `$$` is a literal `$`; any other `$` is interpolation from the deployer's environment. */
function declared(raw: unknown): Declared {
  if (raw === null || raw === undefined) return { kind: 'passed-through' };
  if (typeof raw !== 'string') return { kind: 'not-a-string', raw };
  let value = '';
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== '$') value += raw[i];
    else if (raw[i + 1] === '$') {
      value += '$';
      i++;
    } else return { kind: 'interpolated', raw };
  }
  return { kind: 'literal', value };
}

/** The `prag` service's environment in a compose file (map or list form). */
function composeEnvironment(composeText: string): {
  env: Map<string, Declared>;
  problems: EnvironmentProblem[];
  fatal?: boolean;
} {
  const problems: EnvironmentProblem[] = [];
  const env = new Map<string, Declared>();
  let doc: unknown;
  try {
    doc = parse(composeText);
  } catch (e) {
    const problem = `the measured compose does not parse as YAML (${(e as Error).message})`;
    return { env, problems: [{ name: 'compose', problem }], fatal: true };
  }
  const services = (doc as { services?: Record<string, unknown> } | null)?.services;
  const prag = services?.prag as { environment?: unknown; env_file?: unknown } | undefined;
  if (!prag || typeof prag !== 'object')
    return { env, problems: [{ name: 'compose', problem: 'the measured compose has no `prag` service' }], fatal: true };
  if (prag.env_file !== undefined)
    problems.push({
      name: 'compose',
      problem:
        'the measured compose gives the prag service an env_file, whose contents are not measured; pass secrets by ${NAME}',
    });
  const raw = prag.environment;
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const text = String(entry);
      const eq = text.indexOf('=');
      if (eq < 0) env.set(text, { kind: 'passed-through' });
      else env.set(text.slice(0, eq), declared(text.slice(eq + 1)));
    }
  } else if (raw && typeof raw === 'object') {
    for (const [name, value] of Object.entries(raw as Record<string, unknown>)) env.set(name, declared(value));
  } else if (raw !== undefined && raw !== null) {
    problems.push({ name: 'compose', problem: "the measured compose's prag environment is neither a map nor a list" });
  }
  return { env, problems };
}

/**
 * Rule 3: the process environment against the measured compose (the exact
 * text PRAG will serve to clients).
 */
export function checkAgainstCompose(env: NodeJS.ProcessEnv, composeText: string): EnvironmentProblem[] {
  const { env: fixed, problems, fatal } = composeEnvironment(composeText);
  if (fatal) return problems;
  for (const [name, d] of fixed) {
    const refused = refusedOutright(name);
    if (refused) {
      problems.push({ name, problem: `set by the measured compose, but ${refused}; never accepted` });
      continue;
    }
    if (!governed(name)) continue;
    const kind = PRAG_SETTINGS[name];
    if (name.startsWith('PRAG_') && !kind) {
      problems.push({ name, problem: 'set by the measured compose, but not a PRAG setting' });
      continue;
    }
    if (kind === 'secret') {
      if (!(d.kind === 'interpolated' && d.raw === `\${${name}}`))
        problems.push({
          name,
          problem: `a secret: the measured compose must pass it as \${${name}} (a literal in the compose is public)`,
        });
      continue;
    }
    if (d.kind === 'not-a-string')
      problems.push({
        name,
        problem: `the measured compose gives it a ${typeof d.raw} (${String(d.raw)}): quote it, so its value is the text clients read`,
      });
    else if (d.kind !== 'literal')
      problems.push({
        name,
        problem: 'the measured compose takes its value from outside itself (interpolation or pass-through)',
      });
    else if (env[name] === undefined)
      problems.push({
        name,
        problem: `the measured compose sets it to "${d.value}" but the process does not have it: is PRAG_SECRETVM_COMPOSE the compose this container runs under?`,
      });
  }
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value === undefined || !governed(name) || refusedOutright(name)) continue;
    if (name.startsWith('PRAG_') && !PRAG_SETTINGS[name]) continue; // reported by checkEnvironmentNames
    const d = fixed.get(name);
    if (!d) problems.push({ name, problem: 'set, but the measured compose does not set it' });
    else if (PRAG_SETTINGS[name] === 'secret')
      continue; // judged on the compose's side above
    else if (d.kind === 'literal' && d.value !== value)
      problems.push({ name, problem: `differs from the measured compose, which sets "${d.value}"` });
  }
  return problems;
}

/** The refusal: every problem found, one per line, values never shown (they may be secrets). */
export class EnvironmentRefused extends Error {
  override name = 'EnvironmentRefused';
  constructor(
    readonly tee: string,
    readonly problems: EnvironmentProblem[],
  ) {
    super(
      `refusing to start under the ${tee} provider: the environment holds what the measured configuration does not fix ` +
        `(deploy/README.md "Environment"):\n${problems.map((p) => `  ${p.name}: ${p.problem}`).join('\n')}`,
    );
  }
}

const COMPOSE_FETCH_TIMEOUT_MS = 10_000;

async function readCompose(source: string): Promise<string> {
  if (!/^https?:\/\//.test(source)) return readFile(source, 'utf8');
  const res = await fetch(source, { signal: AbortSignal.timeout(COMPOSE_FETCH_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`GET ${source} answered ${res.status}`);
  return res.text();
}

export interface GuardResult {
  /** `secretvm`: the compose text the environment was checked against (serve exactly this to clients). */
  compose?: string;
}

/**
 * Runs the guard for the provider `prag serve` will use (its `--tee` flag, or
 * PRAG_TEE). Resolves when the environment is acceptable; throws
 * EnvironmentRefused otherwise.
 */
export async function guardEnvironment(
  tee: string | undefined,
  env: NodeJS.ProcessEnv,
  read: (source: string) => Promise<string> = readCompose,
): Promise<GuardResult> {
  const provider = tee ?? env.PRAG_TEE ?? 'dev';
  if (!GUARDED_PROVIDERS.includes(provider)) return {};
  const early = checkEnvironmentNames(provider, env);
  if (early.length) throw new EnvironmentRefused(provider, early);
  if (provider !== 'secretvm') return {};
  const source = env.PRAG_SECRETVM_COMPOSE ?? SECRETVM_DEFAULTS.compose;
  let compose: string;
  try {
    compose = await read(source);
  } catch (e) {
    throw new EnvironmentRefused(provider, [
      {
        name: 'PRAG_SECRETVM_COMPOSE',
        problem: `the measured compose cannot be read from ${source} (${(e as Error).message})`,
      },
    ]);
  }
  const problems = checkAgainstCompose(env, compose);
  if (problems.length) throw new EnvironmentRefused(provider, problems);
  return { compose };
}
