/**
 * `npm run bench:answers -- [--show]`
 * The labelled question–answer set (`test/sets/answers.json`) through a
 * service answering extractively: each archive uploaded by its own user, each
 * question asked end to end through the client. Prints one JSON object: the
 * hit rate over answerable questions (fact on a line citing the right
 * document), the decline rate over the others, both for the tuned and the
 * held-out questions, and the time per answer. `--show` adds every answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destination } from 'pino';
import { loadConfig } from '../config.js';
import { loadServiceConfig } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { startServer } from '../server/serve.js';
import { runSet, score, uploadArchives } from '../../test/helpers/answers.js';
import { Command } from '../cli/commander.js';
import { machine, percentile, round } from './stats.js';

const opts: { show?: boolean } = new Command().option('--show', 'print every question with its answer').parse().opts();

const dir = mkdtempSync(join(tmpdir(), 'prag-bench-answers-'));
const server = await startServer(
  join(dir, 'service'),
  loadServiceConfig({ PRAG_PORT: '0', PRAG_LLM: 'extractive' }),
  loadConfig(),
  createLogger(destination(2), 'warn'),
);
try {
  const archives = await uploadArchives(server.url);
  await server.service.engine.maintain(); // the keyword index as a user finds it once uploads have settled
  await runSet(archives); // warm-up: model, connections
  const results = await runSet(archives);
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  process.stdout.write(
    `${JSON.stringify(
      {
        bench: 'answers',
        machine: machine(),
        questions: results.length,
        ...score(results),
        answer_ms: { p50: round(percentile(ms, 50), 1), p95: round(percentile(ms, 95), 1) },
        ...(opts.show && {
          answers: results.map((r) => ({ id: r.q.id, ok: r.ok, question: r.q.question, answer: r.answer })),
        }),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
