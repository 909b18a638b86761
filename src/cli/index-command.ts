import { SingleBar, Presets } from 'cli-progress';
import type { Config } from '../config.js';
import { openEngine } from '../engine/open.js';
import { findFiles, sourceFile } from './files.js';

export interface IndexOptions {
  dataDir: string;
  collection?: string;
  owner: string;
  json?: boolean;
}

export async function indexCommand(paths: string[], opts: IndexOptions, config: Config): Promise<void> {
  const found = await findFiles(paths);
  const totalBytes = found.reduce((n, f) => n + f.size, 0);
  const engine = await openEngine(opts.dataDir, config);
  const bar =
    !opts.json && process.stderr.isTTY
      ? new SingleBar(
          {
            format: ' {bar} {percentage}% | {docs} docs, {chunks} chunks, {failed} failed | {eta_formatted} left',
            stream: process.stderr,
            hideCursor: true,
          },
          Presets.shades_classic,
        )
      : undefined;
  let read = 0;
  const counts = { docs: 0, chunks: 0, failed: 0 };
  bar?.start(Math.max(1, totalBytes), 0, counts);
  try {
    const report = await engine.ingest(
      found.map((f) =>
        sourceFile(f, (n) => {
          read += n;
          bar?.update(read, counts);
        }),
      ),
      {
        owner: opts.owner,
        collection: opts.collection,
        onProgress: (p) => {
          Object.assign(counts, { docs: p.documents, chunks: p.chunks, failed: p.failed });
          bar?.update(read, counts);
        },
      },
    );
    bar?.update(Math.max(1, totalBytes), counts);
    bar?.stop();
    const { documents, chunks, skipped, failed, seconds } = report;
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify({ documents, chunks, skipped, failed, seconds: Number(seconds.toFixed(3)) })}\n`,
      );
      return;
    }
    process.stdout.write(
      `Indexed ${documents} documents (${chunks} chunks) from ${found.length} files in ${seconds.toFixed(1)} s; ${skipped} unchanged, ${failed.length} failed.\n`,
    );
    for (const f of failed) process.stdout.write(`  failed: ${f.path}: ${f.error}\n`);
  } finally {
    bar?.stop();
    await engine.close();
  }
}
