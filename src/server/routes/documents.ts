/** Documents: upload (queued ingest), the upload queue (list, follow, cancel), listing, deletion. */
import { formatOf, isStreamed } from '../../../ingest/index.js';
import { DEFAULT_COLLECTION } from '../../engine/engine.js';
import { PragError } from '../../errors.js';
import { envelopeFailure } from '../pipeline/envelope.js';
import type { PragService } from '../service.js';
import type { HandlersFor } from './types.js';

/** A bare file name: no path separators, NUL, or dot entries. */
const isBareName = (name: string) => !!name && !/[\\/\0]/.test(name) && name !== '.' && name !== '..';

/** Reads a payload to its end: each segment is authenticated (and spooled) as it is read. */
async function readToEnd(payload: AsyncIterable<Uint8Array>): Promise<void> {
  const it = payload[Symbol.asyncIterator]();
  while (!(await it.next()).done);
}

export const documentRoutes = (
  svc: PragService,
): HandlersFor<'upload' | 'uploads' | 'uploadFollow' | 'uploadCancel' | 'list' | 'delete'> => ({
  /**
   * Authenticated (permit, then every payload segment) while it is spooled,
   * checked against quotas and the queue's capacity, then queued; answers
   * once ingested, or at once with `wait: false`. Nothing is recorded for an
   * upload that fails before it is queued (the spool step discards it).
   */
  async upload({ owner }, { envelope, meta, spool }) {
    const { name, size } = envelope.header;
    if (!isBareName(name))
      throw new PragError('upload_name_invalid', 'uploads carry a bare file name (no path separators)');
    // Messages here name no part of the name, no size and no usage: they are the sealed header's and the owner's.
    const format = formatOf(name);
    if (!format) throw new PragError('unsupported_format', 'no parser for this kind of file');
    if (!isStreamed(name) && size > svc.maxFileBytes) {
      throw new PragError('too_large', 'the file is larger than PRAG_MAX_FILE_MB');
    }
    const usage = svc.stores.documents.usage(owner);
    const { quota } = svc.config;
    if (usage.documents >= quota.documents) {
      throw new PragError('quota_exceeded', 'the owner stores PRAG_QUOTA_DOCS documents already');
    }
    if (usage.bytes + size > quota.bytes) {
      throw new PragError('quota_exceeded', 'the upload would take the owner past PRAG_QUOTA_MB');
    }
    svc.uploads.checkCapacity(size);
    await readToEnd(envelope.payload).catch(envelopeFailure); // authenticated segment by segment as it is spooled
    await spool.finish();
    const collectionName = meta.collection ?? DEFAULT_COLLECTION;
    const existing = svc.collections.find(owner, collectionName)?.id;
    const collection = existing ?? svc.collections.create(owner, collectionName);
    const done = svc.uploads.enqueue(spool, { owner, collection, name, size, envelope }, !existing);
    if (meta.wait) return await done;
    done.catch(() => undefined); // the outcome is kept for POST /v1/uploads
    return { upload_id: spool.id, state: 'queued' as const };
  },

  /** The requester's recent uploads and what became of them (also after a restart). */
  uploads: ({ owner }, { limit }) => ({ uploads: svc.uploads.list(owner, limit) }),

  /** Each upload's status as it changes, until all have finished; the ids are checked to be the requester's first. */
  async uploadFollow({ owner }, { upload_ids }, { signal }) {
    const statuses = svc.uploads.follow(owner, [...new Set(upload_ids)], signal);
    return (async function* () {
      for await (const upload of statuses) yield { value: { type: 'status' as const, upload }, last: false };
      yield { value: { type: 'end' as const }, last: true };
    })();
  },

  uploadCancel: async ({ owner }, { upload_id }) => ({ upload_id, state: await svc.uploads.cancel(owner, upload_id) }),

  list({ owner }, { collection }) {
    const names = svc.collections.names(owner);
    const id = collection === undefined ? undefined : svc.collections.find(owner, collection)?.id;
    if (collection !== undefined && !id) return { documents: [] };
    return {
      documents: svc.engine.listDocuments(owner, id).map((d) => ({
        doc_id: d.id,
        parent_id: d.parentId,
        title: d.title,
        source: d.source,
        collection: names.get(d.collection) ?? d.collection,
        format: d.format,
        date: d.date === null ? null : new Date(d.date).toISOString(),
        bytes: d.bytes,
        chunks: d.chunkCount,
        created_at: new Date(d.createdAt).toISOString(),
      })),
    };
  },

  async delete({ owner }, { doc_id }) {
    const deleted = await svc.engine.deleteDocument(owner, doc_id);
    if (!deleted) throw new PragError('document_not_found', 'no such document among yours');
    await svc.maintenance.afterWrite();
    return { deleted };
  },
});
