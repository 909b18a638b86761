/** Shared by the reliability suites: a service in a child process (so it can be SIGKILLed) and result reporting. */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { machine, percentile, round } from '../../src/bench/stats.js';
import { spawnCli } from '../helpers/cli.js';
import { must } from '../helpers/must.js';

const RESULTS = new URL('../../.prag/reliability/', import.meta.url).pathname;

export interface ChildService {
  url: string;
  proc: ChildProcess;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** `prag serve` in a child process on a free loopback port; resolves once it listens. */
export function startChildService(dataDir: string, env: Record<string, string> = {}): Promise<ChildService> {
  return new Promise((resolve, reject) => {
    const proc = spawnCli(['serve', '--data-dir', dataDir, '--port', '0'], {
      env: { PRAG_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const timer = setTimeout(() => reject(new Error('service did not start within 120 s')), 120_000);
    createInterface({ input: must(proc.stderr, "the service's stderr") }).on('line', (line) => {
      const m = /PRAG listening on (http:\/\/\S+)/.exec(line);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: must(m[1], 'the URL it listens on'),
        proc,
        async kill() {
          proc.kill('SIGKILL');
          await exited;
        },
        async stop() {
          proc.kill('SIGTERM');
          await exited;
        },
      });
    });
    proc.once('exit', (code, signal) => reject(new Error(`service exited before listening (${code ?? signal})`)));
  });
}

/** Prints a suite's results as one JSON line and keeps them in .prag/reliability/NAME.json. */
export function report(name: string, results: Record<string, unknown>): void {
  const record = { suite: name, machine: machine(), at: new Date().toISOString(), ...results };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
  process.stdout.write(`RELIABILITY ${JSON.stringify(record)}\n`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function percentiles(values: number[]): { n: number; p50: number; p99: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: round(percentile(s, 50), 1),
    p99: round(percentile(s, 99), 1),
    max: round(s.at(-1) ?? 0, 1),
  };
}
