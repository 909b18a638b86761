/**
 * `prag upload`: files encrypted locally and streamed to the service one after another, each followed through
 * the service's stages (POST /v1/uploads/follow) while the next is sent, with a result per file as it finishes.
 * Ctrl-C asks whether to cancel what is not stored yet or detach (the service goes on); without a terminal it
 * detaches and says how to follow or cancel. Exit codes: docs/configuration.md ("Exit codes").
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { ROUTES } from '../../schemas/routes.js';
import type { Credentials } from '../client/credentials.js';
import { type PragClient, ServiceError } from '../client/session.js';
import { session, type IdentityFlags } from './client-commands.js';
import { UsageError } from './errors.js';
import { findFiles, type FoundFile } from './files.js';
import { exitCodeOf, resultOf, uploadView, type FileResult, type UploadView } from './upload-view.js';

/** Exit code of a run the user interrupted (128 + SIGINT), whether cancelled or detached. */
const EXIT_INTERRUPTED = 130;

interface Entry {
  file: FoundFile;
  uploadId?: string;
  result?: FileResult;
}

/** Resolves with the upload's id once the service holds it; refusals other than a busy queue end the file. */
async function send(
  client: PragClient,
  permit: Credentials,
  file: FoundFile,
  collection: string | undefined,
  view: UploadView,
  busy: () => Promise<void>,
): Promise<string> {
  for (;;) {
    let sent = 0;
    async function* bytes() {
      for await (const chunk of createReadStream(file.path, { highWaterMark: 256 * 1024 })) {
        sent += (chunk as Buffer).length;
        view.sending(file.path, sent);
        yield chunk as Buffer;
      }
    }
    try {
      const queued = await client.enqueueUpload(permit, {
        name: basename(file.path),
        size: file.size,
        bytes: bytes(),
        collection,
      });
      return queued.upload_id;
    } catch (e) {
      if (!(e instanceof ServiceError && e.code === 'ingest_busy')) throw e;
      await busy(); // the queue is full: send again once one of ours has finished, or a little later
    }
  }
}

/** One key from the terminal: `c` cancels, anything else (Ctrl-C again included) detaches. */
function askCancelOrDetach(): Promise<'cancel' | 'detach'> {
  process.stderr.write(
    '\nStop: [c]ancel the uploads not stored yet (they are rolled back; finished files stay), or [d]etach (the service goes on)? ',
  );
  return new Promise((resolve) => {
    process.stdin.setRawMode(true);
    process.stdin.resume();
    process.stdin.once('data', (key: Buffer) => {
      process.stdin.setRawMode(false);
      process.stdin.pause();
      const answer = key.toString().toLowerCase() === 'c' ? 'cancel' : 'detach';
      process.stderr.write(`${answer}\n`);
      resolve(answer);
    });
  });
}

export async function uploadCommand(
  paths: string[],
  opts: IdentityFlags & { collection?: string; json?: boolean },
): Promise<void> {
  const { files, skipped } = await findFiles(paths);
  const view = uploadView(files, opts.json ?? false);
  view.skipped(skipped);
  if (!files.length)
    throw new UsageError(`nothing to upload in ${paths.join(', ')}: every entry was skipped (listed above)`);
  const { client, permit } = await session(opts);
  const entries: Entry[] = files.map((file) => ({ file }));

  let finishedOne = () => {};
  const busy = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5000);
      finishedOne = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  // Files are sent in order while the ones before are ingested; `sent` resolves each entry's upload id.
  const sent = new Map<Entry, Promise<string | undefined>>();
  let previous: Promise<unknown> = Promise.resolve();
  for (const entry of entries) {
    const mine = previous.then(async () => {
      try {
        entry.uploadId = await send(client, permit, entry.file, opts.collection, view, busy);
        view.queued(entry.file.path, entry.uploadId);
        return entry.uploadId;
      } catch (e) {
        if (e instanceof ServiceError && e.status === 401) throw e; // the permit is refused: every file would be
        entry.result = { path: entry.file.path, state: 'failed', error: (e as Error).message };
        return undefined;
      }
    });
    mine.catch(() => undefined); // surfaced where it is awaited below
    sent.set(entry, mine);
    previous = mine;
  }

  let stopping = false; // once interrupted, what the follow sees is no longer shown: the cancel or detach says it
  const interrupted = new Promise<'cancel' | 'detach'>((resolve) => {
    process.once('SIGINT', () => {
      stopping = true;
      view.pause();
      if (process.stdin.isTTY && process.stderr.isTTY && !opts.json) void askCancelOrDetach().then(resolve);
      else resolve('detach');
    });
  });
  const follow = (async () => {
    for (const entry of entries) {
      const uploadId = await sent.get(entry);
      if (uploadId) {
        let last;
        for await (const status of client.followUploads(permit, [uploadId])) {
          if (stopping) return;
          view.progress(entry.file.path, status);
          last = status;
        }
        entry.result = last
          ? resultOf(entry.file.path, last)
          : {
              path: entry.file.path,
              upload_id: uploadId,
              state: 'failed',
              error: 'the service said nothing of the upload',
            };
        finishedOne();
      }
      if (entry.result && !stopping) view.finished(entry.result);
    }
  })();

  const stop = await Promise.race([follow.then(() => undefined), interrupted]);
  if (stop) {
    await (stop === 'cancel' ? cancel(client, permit, entries, view) : detach(entries, view));
    process.exit(EXIT_INTERRUPTED); // requests in flight would otherwise keep the process alive
  }
  const results = entries.map(
    (e) => e.result ?? { path: e.file.path, state: 'failed' as const, error: 'not followed' },
  );
  view.summary(results);
  process.exitCode = exitCodeOf(results);
}

/** Cancels every upload of the run not finished yet; the files not sent yet are not sent. */
async function cancel(client: PragClient, permit: Credentials, entries: readonly Entry[], view: UploadView) {
  const lines: string[] = [];
  const outcomes: Array<{ path: string; upload_id?: string; state: string }> = [];
  for (const { file, uploadId, result } of entries) {
    if (result) continue;
    if (!uploadId) {
      lines.push(`${file.path}: not sent`);
      outcomes.push({ path: file.path, state: 'not_sent' });
      continue;
    }
    const { state } = await client.call(ROUTES.uploadCancel, permit, { upload_id: uploadId });
    lines.push(
      `${file.path}: ${state === 'cancelled' ? 'cancelled, nothing of it stored' : `it had already finished (${state})`}`,
    );
    outcomes.push({ path: file.path, upload_id: uploadId, state });
  }
  view.notice(['Cancelled.', ...lines], { event: 'cancelled', files: outcomes });
}

/** Leaves the uploads sent to the service and says how to follow or cancel them. */
function detach(entries: readonly Entry[], view: UploadView) {
  const running = entries.filter((e) => e.uploadId && !e.result);
  const unsent = entries.filter((e) => !e.uploadId && !e.result);
  const lines = running.length
    ? [
        'Detached: the service goes on with these uploads.',
        ...running.map((e) => `  ${e.file.path}: upload ${e.uploadId}`),
        'Follow one with `prag uploads --follow ID`, cancel it with `prag uploads cancel ID`, list them with `prag uploads`.',
      ]
    : ['Detached.'];
  if (unsent.length) lines.push(`Not sent: ${unsent.map((e) => e.file.path).join(', ')}`);
  view.notice(lines, {
    event: 'detached',
    uploads: running.map((e) => ({ path: e.file.path, upload_id: e.uploadId })),
    not_sent: unsent.map((e) => e.file.path),
    follow: 'prag uploads --follow ID',
    cancel: 'prag uploads cancel ID',
  });
}
