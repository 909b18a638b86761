/** `prag serve`: the confidential service until SIGINT/SIGTERM. */
import type { Config } from '../config.js';
import { loadServiceConfig } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { startServer } from '../server/serve.js';

export async function serveCommand(
  opts: { dataDir: string; port?: number; host?: string; tee?: string },
  config: Config,
): Promise<void> {
  const service = loadServiceConfig({
    ...process.env,
    ...(opts.port !== undefined ? { PRAG_PORT: String(opts.port) } : {}),
    ...(opts.host ? { PRAG_HOST: opts.host } : {}),
    ...(opts.tee ? { PRAG_TEE: opts.tee } : {}),
  });
  delete process.env.PRAG_MASTER_KEY; // read once; no child process or worker inherits it
  const log = createLogger();
  const server = await startServer(opts.dataDir, service, config, log);
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
