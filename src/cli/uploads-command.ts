/**
 * `prag uploads`: the requester's uploads on the service (`list`, the default), one followed until it has
 * finished (`--follow ID`, shown as `prag upload` shows it), or one cancelled (`cancel ID`: rolled back).
 */
import type { UploadStatus } from '../../schemas/api.js';
import { ROUTES } from '../../schemas/routes.js';
import { out, session, type IdentityFlags } from './client-commands.js';
import { UsageError } from './errors.js';
import { exitCodeOf, resultOf, uploadView } from './upload-view.js';

type UploadsOptions = IdentityFlags & { json?: boolean; follow?: string; limit?: number };

const UPLOAD_ID = /^[0-9a-f]{32}$/;

function checkId(id: string | undefined, usage: string): string {
  if (id === undefined) throw new UsageError(`usage: ${usage}`);
  if (!UPLOAD_ID.test(id))
    throw new UsageError(`"${id}" is not an upload id (32 hex characters, as \`prag uploads\` lists them)`);
  return id;
}

/** What an upload has come to, in a few words. */
function summaryOf(u: UploadStatus): string {
  if (u.progress && (u.state === 'queued' || u.state === 'running')) {
    const p = u.progress;
    if (p.stage === 'queued') return 'waiting for its turn';
    return `${p.stage}: ${p.documents.parsed} documents parsed, ${p.chunks.embedded}/${p.chunks.queued} chunks embedded${p.eta_s === null ? '' : `, about ${Math.ceil(p.eta_s)} s left`}`;
  }
  if (u.result) {
    const { doc_ids, chunks, skipped, failed } = u.result;
    return `${doc_ids.length} documents, ${chunks} chunks${skipped ? `, ${skipped} already stored` : ''}${failed.length ? `, ${failed.length} failed` : ''}`;
  }
  return u.error ? `${u.error.code}: ${u.error.message}` : '';
}

export async function uploadsCommand(action: string, id: string | undefined, opts: UploadsOptions): Promise<void> {
  if (opts.follow !== undefined && (action !== 'list' || id !== undefined))
    throw new UsageError('--follow ID follows one upload: give no action with it (prag uploads --follow ID)');
  if (action !== 'list' && action !== 'cancel') throw new UsageError(`unknown action "${action}" (list, cancel)`);
  if (action === 'list' && id !== undefined)
    throw new UsageError(`prag uploads list takes no id; follow one with --follow ${id}`);
  const followId = opts.follow === undefined ? undefined : checkId(opts.follow, 'prag uploads --follow ID');
  const cancelId = action === 'cancel' ? checkId(id, 'prag uploads cancel ID') : undefined;
  const { client, permit } = await session(opts);

  if (cancelId) {
    const reply = await client.call(ROUTES.uploadCancel, permit, { upload_id: cancelId });
    if (opts.json) out(reply);
    else
      process.stdout.write(
        reply.state === 'cancelled'
          ? `upload ${cancelId}: cancelled; nothing of it is stored\n`
          : `upload ${cancelId}: it had already finished (${reply.state}); nothing changed (delete its documents with \`prag delete\`)\n`,
      );
    if (reply.state !== 'cancelled') process.exitCode = 1;
    return;
  }

  if (followId) {
    let last: UploadStatus | undefined;
    let view: ReturnType<typeof uploadView> | undefined;
    for await (const status of client.followUploads(permit, [followId])) {
      view ??= uploadView([{ path: status.name, size: status.size }], opts.json ?? false);
      view.progress(status.name, status);
      last = status;
    }
    if (!last || !view) throw new Error(`the service said nothing of upload ${followId}`);
    const result = resultOf(last.name, last);
    view.finished(result);
    view.summary([result]);
    process.exitCode = exitCodeOf([result]);
    return;
  }

  const { uploads } = await client.call(ROUTES.uploads, permit, { limit: opts.limit ?? 20 });
  if (opts.json) return out(uploads);
  if (!uploads.length) process.stdout.write('No uploads.\n');
  for (const u of uploads)
    process.stdout.write(`${u.upload_id}  ${u.created_at}  ${u.state.padEnd(9)}  ${u.name}  ${summaryOf(u)}\n`);
}
