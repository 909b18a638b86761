/**
 * Prometheus metrics (prom-client, a registry of PRAG's own): counts and
 * latencies only. Labels are route patterns, methods, statuses, provider
 * names and error codes — never addresses, ids, names or text.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'prag_http_requests_total',
    help: 'HTTP requests by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'prag_http_request_duration_seconds',
    help: 'HTTP request duration (to the end of the response for streamed replies: to the first byte)',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers: [this.registry],
  });
  readonly refused = new Counter({
    name: 'prag_requests_refused_total',
    help: 'Requests refused, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly ingested = new Counter({
    name: 'prag_ingest_documents_total',
    help: 'Documents stored',
    registers: [this.registry],
  });
  readonly ingestedChunks = new Counter({
    name: 'prag_ingest_chunks_total',
    help: 'Chunks stored',
    registers: [this.registry],
  });
  readonly parseFailures = new Counter({
    name: 'prag_ingest_parse_failures_total',
    help: 'Files or messages that could not be parsed',
    registers: [this.registry],
  });
  readonly ingestQueue = new Gauge({
    name: 'prag_ingest_queue_jobs',
    help: 'Ingest jobs queued or running',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  readonly chatFirstToken = new Histogram({
    name: 'prag_chat_first_token_seconds',
    help: 'Time from a chat request to its first answer frame',
    labelNames: ['provider'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly chatAnswers = new Counter({
    name: 'prag_chat_answers_total',
    help: 'Chat answers by provider and outcome (final or an error code)',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'prag_' });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
