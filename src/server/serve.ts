/** Starts the service on a port; resolves once it listens. */
import { serve, type ServerType } from '@hono/node-server';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createApp } from './app.js';
import type { ServiceConfig } from './config.js';
import { listenForMetrics } from './metrics-listener.js';
import type { PragService } from './service.js';
import { openService, type StartupOverrides } from './startup.js';

/** After draining, how long in-flight replies may take to be written before connections are cut. */
const REPLY_WRITE_MS = 2000;

export interface RunningServer {
  service: PragService;
  url: string;
  /** The loopback `/metrics` listener's URL, when `PRAG_METRICS_PORT` is set. */
  metricsUrl?: string;
  close(): Promise<void>;
}

export async function startServer(
  dataDir: string,
  config: ServiceConfig,
  engineConfig: Config,
  log: Logger,
  overrides: StartupOverrides = {},
): Promise<RunningServer> {
  const service = await openService(dataDir, config, engineConfig, log, overrides);
  const app = createApp(service, log);
  let server: ServerType | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => resolve(info.port));
    server.once('error', reject);
  }).catch(async (e) => {
    await service.close();
    throw e;
  });
  const http = server as Server;
  http.requestTimeout = config.requestTimeoutMs; // whole request, uploads included
  http.headersTimeout = Math.min(60_000, config.requestTimeoutMs);
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const metrics =
    config.metricsPort === undefined
      ? undefined
      : await listenForMetrics(service.metrics, config.metricsPort).catch(async (e) => {
          http.close();
          await service.close();
          throw e;
        });
  log.info({ url, metrics: metrics?.url, provider: service.tee.name }, 'listening');
  return {
    service,
    url,
    metricsUrl: metrics?.url,
    /**
     * Graceful: stop accepting connections, let in-flight ingests finish for
     * the grace period (then abort them: they roll back), close the rest.
     */
    async close() {
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      const drained = await service.drain(config.shutdownGraceMs);
      log.info(drained, 'drained');
      // The drained requests' replies (or their 503s) get a moment to be written.
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, REPLY_WRITE_MS).unref())]);
      http.closeAllConnections();
      await stopped;
      await metrics?.close();
      await service.close();
    },
  };
}
