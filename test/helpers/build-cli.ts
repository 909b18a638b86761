/**
 * Vitest global setup of the e2e tier: the tests run the compiled CLI (bin/prag.js → dist/), so dist/ is
 * brought up to date with the sources first (an incremental `tsc -p tsconfig.build.json`, under a lock so
 * concurrent runs build once). Type errors do not stop it: they are `npm run check`'s to report.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.built');
const LOCK = join(ROOT, '.dist-build.lock');
const SOURCES = ['schemas', 'ingest', 'src', 'tsconfig.json', 'tsconfig.build.json'];

/** The newest modification time among the build's inputs. */
function newestSource(): number {
  let newest = 0;
  const walk = (path: string): void => {
    const info = statSync(path);
    if (info.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
    else newest = Math.max(newest, info.mtimeMs);
  };
  for (const s of SOURCES) walk(join(ROOT, s));
  return newest;
}

const upToDate = (sources: number) => existsSync(STAMP) && statSync(STAMP).mtimeMs >= sources;

async function withLock(run: () => void): Promise<void> {
  for (let waited = 0; ; waited += 250) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock older than 10 minutes is left over from a killed run.
      if (waited > 600_000 || Date.now() - statSync(LOCK).mtimeMs > 600_000)
        rmSync(LOCK, { recursive: true, force: true });
      await sleep(250);
    }
  }
  try {
    run();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

export default async function buildCli(): Promise<void> {
  const sources = newestSource();
  if (upToDate(sources)) return;
  await withLock(() => {
    if (upToDate(sources)) return;
    const tsc = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/typescript/bin/tsc'),
        '-p',
        'tsconfig.build.json',
        '--incremental',
        '--tsBuildInfoFile',
        join(DIST, '.tsbuildinfo'),
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (!existsSync(join(DIST, 'src/cli/main.js')))
      throw new Error(`the CLI did not build:\n${tsc.stdout}${tsc.stderr}`);
    cpSync(join(ROOT, 'schemas/migrations'), join(DIST, 'schemas/migrations'), { recursive: true });
    writeFileSync(STAMP, '');
    utimesSync(STAMP, new Date(), new Date(sources));
  });
}
