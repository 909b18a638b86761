/**
 * What `prag upload` and `prag uploads --follow` show while uploads are sent and ingested. On a terminal:
 * two progress bars on stderr (the whole run, and the file the service is ingesting, through its stages) and a
 * line per file as it finishes. Otherwise (or with `--json`): one JSON line per event on stdout, the schema in
 * docs/configuration.md ("Upload events").
 */
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { UploadStatus } from '../../schemas/api.js';
import { out } from './client-commands.js';
import { skipReason, type SkippedFile } from './files.js';

/** What became of one file of the run. */
export type FileResult =
  | {
      path: string;
      upload_id: string;
      state: 'done';
      doc_ids: string[];
      chunks: number;
      /** Documents whose exact bytes the user had stored already: skipped, not stored twice. */
      already_stored: number;
      failed: Array<{ source: string; error: string }>;
    }
  | { path: string; upload_id?: string; state: 'failed' | 'cancelled' | 'not_sent'; error: string };

/** A file's result from its upload's final status. */
export function resultOf(path: string, s: UploadStatus): FileResult {
  if (s.state === 'done' && s.result) {
    const { doc_ids, chunks, skipped, failed } = s.result;
    return { path, upload_id: s.upload_id, state: 'done', doc_ids, chunks, already_stored: skipped, failed };
  }
  const error = s.error ? `${s.error.code}: ${s.error.message}` : `the upload ended ${s.state}`;
  return { path, upload_id: s.upload_id, state: s.state === 'cancelled' ? 'cancelled' : 'failed', error };
}

/** 0 when every file was stored whole (already stored counts as stored), else 1. */
export const exitCodeOf = (results: readonly FileResult[]): number =>
  results.every((r) => r.state === 'done' && !r.failed.length) ? 0 : 1;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const ALREADY_STORED_NOTE =
  'already stored: documents with the same bytes as ones you stored before, matched by a hash of their content, are not stored twice';

function resultLine(r: FileResult): string {
  if (r.state !== 'done') return `${r.path}: ${r.state === 'not_sent' ? 'not sent' : r.state}: ${r.error}`;
  const parts = [plural(r.doc_ids.length, 'document'), plural(r.chunks, 'chunk')];
  if (r.already_stored) parts.push(`${r.already_stored} already stored`);
  if (r.failed.length) parts.push(`${r.failed.length} failed`);
  return [`${r.path}: ${parts.join(', ')}`, ...r.failed.map((f) => `  failed: ${f.source}: ${f.error}`)].join('\n');
}

export interface UploadView {
  skipped(files: readonly SkippedFile[]): void;
  /** Bytes of `path` sent so far. */
  sending(path: string, sent: number): void;
  /** The service holds `path` (authenticated, spooled, queued). */
  queued(path: string, uploadId: string): void;
  progress(path: string, status: UploadStatus): void;
  finished(result: FileResult): void;
  summary(results: readonly FileResult[]): void;
  /** A message for the user: lines on a terminal, one JSON event otherwise. */
  notice(lines: readonly string[], event: Record<string, unknown>): void;
  /** Stops drawing (before a prompt or the end). */
  pause(): void;
}

export function uploadView(files: ReadonlyArray<{ path: string; size: number }>, json: boolean): UploadView {
  return json || !process.stdout.isTTY ? jsonView() : terminalView(files);
}

function jsonView(): UploadView {
  return {
    skipped: (files) => {
      for (const f of files) out({ event: 'skipped', path: f.path, reason: f.reason, ...(f.rule && { rule: f.rule }) });
    },
    sending: () => {},
    queued: (path, uploadId) => out({ event: 'queued', path, upload_id: uploadId }),
    progress: (path, s) => {
      if (s.progress)
        out({ event: 'progress', path, upload_id: s.upload_id, state: s.state, size: s.size, ...s.progress });
    },
    finished: (result) => out({ event: 'file', ...result }),
    summary: (results) => out({ event: 'summary', ...totals(results), exit_code: exitCodeOf(results) }),
    notice: (_lines, event) => out(event),
    pause: () => {},
  };
}

function totals(results: readonly FileResult[]) {
  const done = results.flatMap((r) => (r.state === 'done' ? [r] : []));
  return {
    files: results.length,
    stored: done.length,
    failed: results.filter((r) => r.state === 'failed').length,
    cancelled: results.filter((r) => r.state === 'cancelled').length,
    not_sent: results.filter((r) => r.state === 'not_sent').length,
    documents: done.reduce((n, r) => n + r.doc_ids.length, 0),
    chunks: done.reduce((n, r) => n + r.chunks, 0),
    already_stored: done.reduce((n, r) => n + r.already_stored, 0),
    documents_failed: done.reduce((n, r) => n + r.failed.length, 0),
  };
}

const seconds = (s: number | null | undefined) =>
  s === null || s === undefined ? '?' : s < 90 ? `${Math.round(s)}s` : `${Math.round(s / 60)}m`;

function terminalView(files: ReadonlyArray<{ path: string; size: number }>): UploadView {
  const sizeOf = new Map(files.map((f) => [f.path, f.size]));
  const totalBytes = Math.max(
    1,
    files.reduce((n, f) => n + f.size, 0),
  );
  const bars = process.stderr.isTTY
    ? new MultiBar(
        { stream: process.stderr, hideCursor: true, clearOnComplete: true, barsize: 24 },
        Presets.shades_classic,
      )
    : undefined;
  let overall: SingleBar | undefined;
  let current: SingleBar | undefined;
  // Above the bars while they are drawn; before and after them, straight to stdout.
  const print = (text: string) => (overall ? bars?.log(`${text}\n`) : process.stdout.write(`${text}\n`));
  let stopped = false;
  const stop = () => {
    stopped = true;
    if (!overall) return;
    bars?.update(); // writes what was logged since the last redraw
    bars?.stop();
    overall = undefined;
  };
  const started = performance.now();
  const run = { done: 0, doneBytes: 0, documents: 0, chunks: 0, sending: '', left: '?' };
  const idle = { name: '', stage: 'waiting', detail: '', left: '' };
  /** The share of the current file done (never shown going back). */
  let fileShare = 0;
  const redraw = () => {
    const done = run.doneBytes + fileShare;
    const elapsed = (performance.now() - started) / 1000;
    run.left = done > 0.01 * totalBytes ? seconds((elapsed * (totalBytes - done)) / done) : '?';
    overall?.update(done, run);
  };
  const start = () => {
    if (!bars || overall || stopped) return;
    overall = bars.create(
      totalBytes,
      0,
      { ...run, files: files.length },
      {
        format:
          ' all  {bar} {percentage}% | {done}/{files} files, {documents} documents, {chunks} chunks | {left} left {sending}',
      },
    );
    current = bars.create(100, 0, idle, { format: ' file {bar} {percentage}% | {name} | {stage} {detail} {left}' });
  };
  let anyAlreadyStored = false;
  return {
    skipped: (skipped) => {
      if (!skipped.length) return;
      const shown = skipped.slice(0, 20);
      print(`skipped ${skipped.length} ${skipped.length === 1 ? 'entry' : 'entries'}:`);
      for (const s of shown) print(`  ${s.path}: ${skipReason(s)}`);
      if (skipped.length > shown.length) print(`  … and ${skipped.length - shown.length} more (--json lists them all)`);
    },
    sending: (path, sent) => {
      start();
      const size = sizeOf.get(path) ?? 0;
      run.sending = sent < size ? `| sending ${path} ${Math.floor((100 * sent) / Math.max(1, size))}%` : '';
      redraw();
    },
    queued: () => {},
    progress: (path, s) => {
      start();
      const p = s.progress;
      if (!p) return;
      const read = s.size ? p.bytes_read / s.size : 1;
      const share = p.stage === 'queued' ? 0 : read * (p.chunks.queued ? p.chunks.embedded / p.chunks.queued : 0);
      fileShare = Math.max(fileShare, share * s.size);
      current?.update(Math.round((100 * fileShare) / Math.max(1, s.size)), {
        name: path,
        stage: p.stage,
        detail:
          p.stage === 'queued'
            ? ''
            : `| ${p.documents.parsed} parsed, ${p.chunks.embedded}/${p.chunks.queued} chunks embedded, ${p.documents.stored} stored | ${p.chunks_per_s} chunks/s`,
        left: p.stage === 'queued' ? '' : `| ${seconds(p.eta_s)} left`,
      });
      redraw();
    },
    finished: (result) => {
      run.done++;
      run.doneBytes += sizeOf.get(result.path) ?? 0;
      fileShare = 0;
      if (result.state === 'done') {
        run.documents += result.doc_ids.length;
        run.chunks += result.chunks;
        anyAlreadyStored ||= result.already_stored > 0;
      }
      current?.update(0, idle);
      redraw();
      print(resultLine(result));
    },
    summary: (results) => {
      stop();
      const t = totals(results);
      const parts = [
        `${t.stored}/${plural(t.files, 'file')} stored`,
        plural(t.documents, 'document'),
        plural(t.chunks, 'chunk'),
      ];
      if (t.already_stored) parts.push(`${t.already_stored} already stored`);
      if (t.documents_failed) parts.push(`${plural(t.documents_failed, 'document')} failed`);
      for (const [n, what] of [
        [t.failed, 'failed'],
        [t.cancelled, 'cancelled'],
        [t.not_sent, 'not sent'],
      ] as const)
        if (n) parts.push(`${plural(n, 'file')} ${what}`);
      process.stdout.write(`${parts.join(', ')}\n`);
      if (anyAlreadyStored) process.stdout.write(`(${ALREADY_STORED_NOTE})\n`);
    },
    notice: (lines) => {
      stop();
      process.stderr.write(`${lines.join('\n')}\n`);
    },
    pause: stop,
  };
}
