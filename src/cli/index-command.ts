/**
 * `prag index`: files and folders into a local data directory. Exit codes as `prag upload`'s: 0 when every file
 * was stored (already indexed counts as stored), 1 when some failed.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { Config } from '../config.js';
import { openEngine } from '../engine/open.js';
import { findFiles, skipReason, sourceFile } from './files.js';

export interface IndexOptions {
  dataDir: string;
  collection?: string;
  owner: string;
  json?: boolean;
}

export async function indexCommand(paths: string[], opts: IndexOptions, config: Config): Promise<void> {
  const { files, skipped: excluded } = await findFiles(paths);
  if (!opts.json) for (const s of excluded) process.stdout.write(`skipped ${s.path}: ${skipReason(s)}\n`);
  const totalBytes = files.reduce((n, f) => n + f.size, 0);
  const engine = await openEngine(opts.dataDir, config);
  const bar =
    !opts.json && process.stderr.isTTY
      ? new SingleBar(
          {
            format:
              ' {bar} {percentage}% | {stage} | {parsed} parsed, {embedded}/{queued} chunks embedded, {docs} stored, {failed} failed | {eta_formatted} left',
            stream: process.stderr,
            hideCursor: true,
          },
          Presets.shades_classic,
        )
      : undefined;
  let read = 0;
  const counts = { stage: 'parsing', parsed: 0, queued: 0, embedded: 0, docs: 0, failed: 0 };
  bar?.start(Math.max(1, totalBytes), 0, counts);
  try {
    const report = await engine.ingest(
      files.map((f) =>
        sourceFile(f, (n) => {
          read += n;
          bar?.update(read, counts);
        }),
      ),
      {
        owner: opts.owner,
        collection: opts.collection,
        onProgress: (p) => {
          Object.assign(counts, {
            stage: p.stage,
            parsed: p.parsed,
            queued: p.queuedChunks,
            embedded: p.embeddedChunks,
            docs: p.documents,
            failed: p.failed,
          });
          bar?.update(read, counts);
        },
      },
    );
    bar?.update(Math.max(1, totalBytes), counts);
    bar?.stop();
    const { documents, chunks, skipped, failed, seconds } = report;
    if (failed.length) process.exitCode = 1;
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify({ documents, chunks, skipped, failed, excluded, seconds: Number(seconds.toFixed(3)) })}\n`,
      );
      return;
    }
    process.stdout.write(
      `Indexed ${documents} documents (${chunks} chunks) from ${files.length} files in ${seconds.toFixed(1)} s; ${skipped} already indexed, ${failed.length} failed.\n`,
    );
    for (const f of failed) process.stdout.write(`  failed: ${f.path}: ${f.error}\n`);
    if (skipped)
      process.stdout.write(
        '(already indexed: the same bytes as a document indexed before, matched by a hash of their content; not stored twice)\n',
      );
  } finally {
    bar?.stop();
    await engine.close();
  }
}
