/**
 * `npm run bench:proxy -- [--queries Q] [--llm-delay-ms D]`
 * What `prag proxy` adds to the time to first token: one service answering
 * through a fake OpenAI-compatible worker (first token after D ms), and Q
 * questions asked both ways in the same run, alternating — directly through
 * the client (sealed /v1/chat, first `delta` frame) and through the proxy
 * (OpenAI SSE over loopback HTTP, first chunk with content). Prints one JSON
 * object with both p50s and their difference.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destination } from 'pino';
import { Wallet } from '../auth/secretjs.js';
import { connect } from '../client/index.js';
import { loadConfig } from '../config.js';
import { startProxy } from '../integrations/openai-proxy.js';
import { loadServiceConfig } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { startServer } from '../server/serve.js';
import { startFakeLlm } from '../../test/helpers/fake-llm.js';
import { Command } from '../cli/commander.js';
import { machine, percentile, round } from './stats.js';

const opts = new Command()
  .option('--queries <n>', 'questions asked each way', (v) => Number(v), 100)
  .option('--llm-delay-ms <n>', "the fake LLM's time to first token", (v) => Number(v), 50)
  .parse()
  .opts();

const dir = mkdtempSync(join(tmpdir(), 'prag-bench-proxy-'));
const fake = await startFakeLlm({ tokens: ['The ', 'dose ', 'is ', '47 mg ', '[1].'], firstDelayMs: opts.llmDelayMs });
const server = await startServer(
  join(dir, 'service'),
  loadServiceConfig({ PRAG_PORT: '0', PRAG_LLM: 'openai', PRAG_LLM_URL: fake.url, PRAG_LLM_MODEL: 'bench-model' }),
  loadConfig(),
  createLogger(destination(2), 'warn'),
);
const signer = new Wallet();
const open = () => connect(server.url, { signer, allowInsecureDev: true, device: 'bench' });
const direct = await open();
const proxy = await startProxy({ open, port: 0 });

try {
  for (const [i, text] of [
    'Cardiology letter. Metoprolol 47 mg twice daily was started for atrial fibrillation.',
    'The tomatoes in the garden need watering every second day in July.',
    'Bank statement: rent of 1,250 EUR paid on the first of each month.',
  ].entries()) {
    const bytes = new TextEncoder().encode(text);
    await direct.upload({ name: `doc-${i}.txt`, size: bytes.length, bytes });
  }
  const question = (i: number) => `What dose of metoprolol was prescribed? (${i})`;

  async function viaClient(i: number): Promise<number> {
    const t0 = performance.now();
    let first = NaN;
    for await (const frame of direct.ask(question(i)))
      if (frame.type === 'delta' && Number.isNaN(first)) first = performance.now() - t0;
    return first;
  }

  async function viaProxy(i: number): Promise<number> {
    const t0 = performance.now();
    const res = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'prag', stream: true, messages: [{ role: 'user', content: question(i) }] }),
    });
    if (!res.ok || !res.body) throw new Error(`proxy answered ${res.status}`);
    let first = NaN;
    let text = '';
    const decoder = new TextDecoder();
    for await (const part of res.body) {
      text += decoder.decode(part, { stream: true });
      // The first chunk is the role announcement; the first with content is the first token.
      if (Number.isNaN(first) && /"delta":\{"content":"[^"]/.test(text)) first = performance.now() - t0;
    }
    if (!text.endsWith('data: [DONE]\n\n')) throw new Error('the proxy stream did not end with [DONE]');
    return first;
  }

  // Warm-up (JIT, connections), then alternate so both ways see the same conditions.
  for (let i = 1; i <= 5; i++) {
    await viaClient(-i);
    await viaProxy(-i);
  }
  const client: number[] = [];
  const proxied: number[] = [];
  for (let i = 0; i < opts.queries; i++) {
    client.push(await viaClient(i));
    proxied.push(await viaProxy(i));
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const p50c = percentile(sorted(client), 50);
  const p50p = percentile(sorted(proxied), 50);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'proxy',
      queries: opts.queries,
      llm_first_token_ms: opts.llmDelayMs,
      direct_first_token_ms: { p50: round(p50c), p95: round(percentile(sorted(client), 95)) },
      proxy_first_token_ms: { p50: round(p50p), p95: round(percentile(sorted(proxied), 95)) },
      proxy_added_p50_ms: round(p50p - p50c),
      machine: machine(),
    })}\n`,
  );
} finally {
  await proxy.close();
  await server.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
}
