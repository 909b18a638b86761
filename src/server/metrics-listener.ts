/**
 * `/metrics` on a listener of its own, bound to loopback only: metrics hold no
 * user content, but request counts by route and status, ingest volumes and
 * process figures still describe the service's activity, and the public port
 * is anyone's. A scraper reaches it from inside the VM (a sidecar sharing the
 * container's network namespace); nothing else answers on this listener.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Server } from 'node:http';
import type { Metrics } from './metrics.js';

const LOOPBACK = '127.0.0.1';

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

export async function listenForMetrics(metrics: Metrics, port: number): Promise<MetricsListener> {
  const app = new Hono();
  app.get('/metrics', async (c) => c.text(await metrics.text(), 200, { 'content-type': metrics.registry.contentType }));
  let server: Server | undefined;
  const bound = await new Promise<number>((resolve, reject) => {
    server = serve({ fetch: app.fetch, hostname: LOOPBACK, port }, (info) => resolve(info.port)) as Server;
    server.once('error', reject);
  });
  const http = server as Server;
  return {
    url: `http://${LOOPBACK}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
