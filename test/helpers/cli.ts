/**
 * Runs PRAG's CLI (`bin/prag.js`, the compiled CLI in dist/, which the e2e tier's global setup builds: build-cli.ts)
 * and other TypeScript entry points as child processes.
 */
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const PRAG_BIN = fileURLToPath(new URL('../../bin/prag.js', import.meta.url));

export interface CliOptions {
  /** Added to (or, as undefined, removed from) the test process's environment. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface CliOutput {
  stdout: string;
  stderr: string;
}

/**
 * The CLI's defaults (docs/configuration.md) come from the environment and the config directory: a child sees
 * neither the developer's settings nor their config file, only what a test gives it.
 */
const CLI_SETTINGS = [
  'PRAG_URL',
  'PRAG_IDENTITY',
  'PRAG_POLICY',
  'PRAG_PROFILE',
  'PRAG_PASSPHRASE',
  'PRAG_ALLOW_INSECURE_DEV',
];
const isolatedConfig = mkdtempSync(join(tmpdir(), 'prag-cli-config-'));

const childEnv = (env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const base: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: isolatedConfig };
  for (const name of CLI_SETTINGS) delete base[name];
  return { ...base, ...env };
};

/**
 * `prag ...args` to completion. Resolves with its output on exit 0; otherwise rejects with execFile's error,
 * which carries `code` (the exit status), `stdout` and `stderr`.
 */
export function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliOutput> {
  return execFileP(process.execPath, [PRAG_BIN, ...args], {
    env: childEnv(opts.env),
    cwd: opts.cwd,
    maxBuffer: 16 * 1024 * 1024,
  });
}

/** A `prag(...args)` bound to options; `opts` may be a function, read at each call (for paths made later). */
export function cliRunner(opts: CliOptions | (() => CliOptions) = {}): (...args: string[]) => Promise<CliOutput> {
  return (...args) => runCli(args, typeof opts === 'function' ? opts() : opts);
}

/** `prag ...args` with `input` on stdin; resolves with its output and exit code whatever the exit. */
export function runCliWithInput(
  input: string,
  args: readonly string[],
  opts: CliOptions = {},
): Promise<CliOutput & { code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PRAG_BIN, ...args], { env: childEnv(opts.env), cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
    child.stdin.end(input);
  });
}

/** `prag ...args` as a long-running child (e.g. `serve`); the caller reads its streams and ends it. */
export function spawnCli(args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, [PRAG_BIN, ...args], { ...opts, env: childEnv(opts.env) });
}

/** A TypeScript file (path or file: URL) run by node with tsx's loader, as a child. */
export function spawnTs(file: string | URL, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  const path = typeof file === 'string' ? file : fileURLToPath(file);
  return spawn(process.execPath, ['--import', 'tsx', path, ...args], { ...opts, env: childEnv(opts.env) });
}

/** The trimmed stderr of a run that failed, or 'succeeded'. */
export function failure(run: Promise<unknown>): Promise<string> {
  return run.then(
    () => 'succeeded',
    (e: { stderr: string }) => e.stderr.trim(),
  );
}
