/** `prag serve`: the confidential service until SIGINT/SIGTERM. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEE_PROVIDERS } from '../../schemas/attestation.js';
import type { Config } from '../config.js';
import { loadServiceConfig } from '../server/config.js';
import { guardEnvironment } from '../server/environment-guard.js';
import { createLogger } from '../server/log.js';
import { startServer } from '../server/serve.js';
import { fileProblem, UsageError } from './errors.js';

export async function serveCommand(
  opts: { dataDir: string; port?: number; host?: string; tee?: string },
  engineConfig: () => Config,
): Promise<void> {
  if (opts.tee !== undefined && !(TEE_PROVIDERS as readonly string[]).includes(opts.tee))
    throw new UsageError(`--tee ${opts.tee}: not a TEE provider; providers: ${TEE_PROVIDERS.join(', ')}`);
  // First, before any setting is read or any key loaded: under secretvm/tdx, only a measured environment.
  const guarded = await guardEnvironment(opts.tee, process.env);
  const config = engineConfig();
  const service = loadServiceConfig({
    ...process.env,
    ...(opts.port !== undefined ? { PRAG_PORT: String(opts.port) } : {}),
    ...(opts.host ? { PRAG_HOST: opts.host } : {}),
    ...(opts.tee ? { PRAG_TEE: opts.tee } : {}),
  });
  delete process.env.PRAG_MASTER_KEY; // read once; no child process or worker inherits it
  if (guarded.compose !== undefined && service.tee === 'secretvm') {
    // Serve clients exactly the compose the environment was checked against (not a second read of it).
    const file = join(mkdtempSync(join(tmpdir(), 'prag-compose-')), 'docker-compose.yaml');
    writeFileSync(file, guarded.compose, { mode: 0o600 });
    service.secretvm = { ...service.secretvm, compose: file };
  }
  const log = createLogger();
  const server = await startServer(opts.dataDir, service, config, log).catch((e: unknown) => {
    // A file the deployment must provide (the VM's quote or key, a policy): a failure to start, not a usage error.
    const file = fileProblem(e);
    throw file ? new Error(`cannot start: ${file}`, { cause: e }) : e;
  });
  process.stderr.write(
    `PRAG listening on ${server.url} (${service.tee}${service.tee === 'dev' ? ', INSECURE dev mode' : ''})\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log.info('shutting down');
  await server.close();
}
