/** Starts the service on a port; resolves once it listens. */
import { serve, type ServerType } from '@hono/node-server';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createApp } from './app.js';
import type { ServiceConfig } from './config.js';
import { PragService, type ServiceParts } from './service.js';

export interface RunningServer {
  service: PragService;
  url: string;
  close(): Promise<void>;
}

export async function startServer(dataDir: string, config: ServiceConfig, engineConfig: Config, log: Logger, parts: ServiceParts = {}): Promise<RunningServer> {
  const service = await PragService.open(dataDir, config, engineConfig, log, parts);
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
  log.info({ url, provider: service.tee.name }, 'listening');
  return {
    service,
    url,
    async close() {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections?.();
      await service.close();
    },
  };
}
