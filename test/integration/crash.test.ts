import Database from 'better-sqlite3';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnTs } from '../helpers/cli.js';
import { crashCorpus } from '../helpers/crash-corpus.js';
import { openTestEngine, tempDir } from '../helpers/index.js';
import { must } from '../helpers/must.js';
import { chunkCount, unfinished } from '../helpers/state.js';

const CHILD = new URL('../helpers/ingest-child.ts', import.meta.url);
const dirs: Array<{ cleanup(): void }> = [];
afterAll(() => dirs.forEach((d) => d.cleanup()));

/** Runs the ingest child and SIGKILLs it after `killAfterCommits` group commits plus `delayMs`. */
function runAndKill(
  dataDir: string,
  killAfterCommits: number,
  delayMs: number,
): Promise<{ killed: boolean; commits: number }> {
  return new Promise((resolve, reject) => {
    const child = spawnTs(CHILD, [dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let commits = 0;
    let armed = false;
    createInterface({ input: must(child.stdout, "the child's stdout") }).on('line', (line) => {
      if (line.startsWith('committed')) commits++;
      if (!armed && commits >= killAfterCommits) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ killed: signal === 'SIGKILL', commits }));
  });
}

describe('crash atomicity', () => {
  // Kill points: from start-up on, at varied delays (inside embedding, LanceDB writes or SQLite commits).
  const trials: Array<[number, number]> = [
    [0, 150],
    [0, 450],
    [2, 0],
    [3, 37],
    [5, 90],
    [8, 200],
  ];
  let halfWritten = 0;

  it.each(trials)(
    'SIGKILL after %i commits + %i ms leaves no half-visible document and a store that opens cleanly',
    async (after, delay) => {
      const dir = tempDir();
      dirs.push(dir);
      const { killed } = await runAndKill(dir.path, after, delay);
      expect(killed).toBe(true);
      const before = new Database(join(dir.path, 'meta.sqlite'), { readonly: true });
      halfWritten += (
        before.prepare("SELECT count(*) AS n FROM documents WHERE state = 'pending'").get() as { n: number }
      ).n;
      before.close();

      const engine = await openTestEngine(dir.path); // runs recovery
      try {
        expect(unfinished(engine)).toEqual([]);
        const docs = engine.listDocuments('alice');
        let total = 0;
        for (const d of docs) {
          const ids = await engine.vectors.chunkIds('alice', d.id);
          expect(ids).toHaveLength(d.chunkCount); // every visible document is whole in LanceDB
          total += d.chunkCount;
        }
        expect(await engine.vectors.count()).toBe(total); // nothing else is left in LanceDB
        expect(chunkCount(engine)).toBe(total);
        // Re-running the job completes the set; documents already there are skipped, not duplicated.
        const report = await engine.ingest(crashCorpus(), { owner: 'alice' });
        expect(report.skipped).toBe(docs.length);
        expect(report.documents + report.skipped).toBe(60);
        expect(engine.listDocuments('alice')).toHaveLength(60);
        const [hit] = await engine.search('alice', { query: 'invoice reference 42-3', k: 5 });
        expect(hit).toBeDefined();
      } finally {
        await engine.close();
      }
    },
  );

  it('the kills above did interrupt documents half-way (so recovery was exercised)', () => {
    expect(halfWritten).toBeGreaterThan(0);
  });
});
