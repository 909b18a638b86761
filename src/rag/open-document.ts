/**
 * Opening a document under the requester's rights: one of their own, or one
 * an accepted, live grant covers (the same scopes retrieval searches). A
 * document the requester may not read is answered exactly like one that does
 * not exist. Every opening is an entry in the owner's access log.
 */
import type { DocumentGetReply } from '../../schemas/api.js';
import type { Grants } from '../auth/grants.js';
import type { Engine } from '../engine/engine.js';
import type { OpenedDocument } from '../engine/document-body.js';
import { PragError } from '../errors.js';
import type { AccessLog } from '../store/access-log.js';
import type { Collections } from '../store/collections.js';
import { inScope } from '../store/filter.js';
import type { Requester } from './retrieve.js';

export interface OpenRequest {
  doc_id: string;
  page?: number;
  chunk_id?: string;
  original: boolean;
}

type Want = Parameters<Engine['openDocument']>[2];

export class DocumentOpener {
  constructor(
    private readonly engine: Engine,
    private readonly collections: Collections,
    private readonly grants: Grants,
    private readonly accessLog: AccessLog,
  ) {}

  open({ identity, owner }: Requester, request: OpenRequest, endpoint: string): DocumentGetReply {
    const want = { page: request.page, chunkId: request.chunk_id, original: request.original };
    const found = this.openOwn(owner, request.doc_id, want) ?? this.openShared(owner, request.doc_id, want);
    if (!found) throw new PragError('document_not_found', 'no such document among yours');
    if (found.doc === 'no_body') throw new PragError('document_text_unavailable', 'no body kept for this document');
    const { doc, by, ownerAddress } = found;
    this.accessLog.record([
      {
        owner: by,
        entry: {
          at: new Date().toISOString(),
          requester: identity.address,
          permit_name: identity.permitName,
          endpoint,
          doc_ids: [doc.row.id],
          chunk_ids: doc.chunk ? [doc.chunk.id] : [],
        },
      },
    ]);
    const collection = found.collection(doc.row.collection) ?? null;
    return replyOf(doc, by === owner ? identity.address : ownerAddress, by !== owner, collection);
  }

  private openOwn(owner: string, id: string, want: Want) {
    const doc = this.engine.openDocument(owner, id, want);
    if (!doc) return undefined;
    return {
      doc,
      by: owner,
      ownerAddress: '',
      collection: (label: string) => this.collections.names(owner).get(label),
    };
  }

  /** A document another owner shared: the first live scope that covers it (ids are keyed per owner, so at most one owner has it). */
  private openShared(grantee: string, id: string, want: Want) {
    for (const scope of this.grants.scopes(grantee)) {
      const label = this.engine.documentCollection(scope.owner, id);
      // Checked before anything is opened: a document outside the grant answers as one that does not exist.
      if (label === undefined || !inScope([scope], { owner: scope.owner, collection: label, doc_id: id })) continue;
      const doc = this.engine.openDocument(scope.owner, id, want);
      if (!doc) return undefined;
      return {
        doc,
        by: scope.owner,
        ownerAddress: scope.ownerAddress,
        // The collection's name only for a grant of that collection: a grant of documents does not name it.
        collection: (l: string) => (scope.collections ? this.collections.names(scope.owner).get(l) : undefined),
      };
    }
    return undefined;
  }
}

function replyOf(doc: OpenedDocument, owner: string, shared: boolean, collection: string | null): DocumentGetReply {
  const { row, chunk } = doc;
  return {
    doc_id: row.id,
    parent_id: row.parentId,
    title: row.title,
    source: row.source,
    format: row.format,
    media_type: row.mediaType,
    date: row.date === null ? null : new Date(row.date).toISOString(),
    owner,
    shared,
    collection,
    pages: doc.pages,
    sections: doc.sections.map(({ index, heading, page, text }) => ({ index, heading, page, text })),
    chunk: chunk && {
      chunk_id: chunk.id,
      section: chunk.section,
      char_start: chunk.charStart,
      char_end: chunk.charEnd,
      page: chunk.page,
    },
    original_kept: doc.originalKept,
    original: doc.original,
  };
}
