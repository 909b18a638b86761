/**
 * SQLite tables (drizzle). SQLite is the source of truth for what exists: a
 * document is visible only once its row here is `ready`, which happens after
 * its chunks are in LanceDB. Migrations are generated from this file
 * (`npm run db:generate`) into `schemas/migrations/`.
 */
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** Facts about the index as a whole: the embedding model and its dimension. */
export const indexMeta = sqliteTable('index_meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

export const DOCUMENT_STATES = ['pending', 'ready', 'deleting'] as const;
export type DocumentState = (typeof DOCUMENT_STATES)[number];

export const documents = sqliteTable(
  'documents',
  {
    owner: text('owner').notNull(),
    id: text('id').notNull(),
    collection: text('collection').notNull(),
    parentId: text('parent_id'),
    title: text('title').notNull(),
    source: text('source').notNull(),
    mediaType: text('media_type').notNull(),
    format: text('format').notNull(),
    /** The document's own date, ms since the epoch. */
    date: integer('date'),
    /** Format metadata (schemas/document.ts DocumentMeta) as JSON. */
    meta: text('meta', { mode: 'json' }).notNull(),
    chunkCount: integer('chunk_count').notNull(),
    /** Bytes of the document's own source, for storage quotas. */
    bytes: integer('bytes').notNull().default(0),
    state: text('state', { enum: DOCUMENT_STATES }).notNull(),
    jobId: text('job_id'),
    createdAt: integer('created_at').notNull(),
    /**
     * An e-mail's identity across copies (src/engine/message-key.ts), keyed like document ids: the same message
     * in two folders or two uploads is stored once.
     */
    messageKey: text('message_key'),
  },
  (t) => [
    primaryKey({ columns: [t.owner, t.id] }),
    index('documents_owner_collection').on(t.owner, t.collection),
    index('documents_state').on(t.state),
    index('documents_owner_message_key').on(t.owner, t.messageKey),
  ],
);

/** Chunk ↔ document mapping with the pointers a citation needs. Text lives with the vectors. */
export const chunks = sqliteTable(
  'chunks',
  {
    id: text('id').primaryKey(),
    owner: text('owner').notNull(),
    docId: text('doc_id').notNull(),
    ordinal: integer('ordinal').notNull(),
    section: integer('section').notNull(),
    heading: text('heading'),
    page: integer('page'),
    /** The chunk's text was recognised by OCR (a scanned page, an image). */
    ocr: integer('ocr', { mode: 'boolean' }).notNull().default(false),
    charStart: integer('char_start').notNull(),
    charEnd: integer('char_end').notNull(),
    tokens: integer('tokens').notNull(),
  },
  (t) => [index('chunks_owner_doc').on(t.owner, t.docId)],
);

/**
 * What a reader of a document needs besides its chunks: its parsed sections
 * (sealed JSON, so a citation opens in context even where chunks index only
 * part of the text) and, for single files up to the kept-original limit, the
 * uploaded bytes (sealed base64). Written and removed with the document's row.
 */
export const documentBodies = sqliteTable(
  'document_bodies',
  {
    owner: text('owner').notNull(),
    docId: text('doc_id').notNull(),
    sections: text('sections').notNull(),
    original: text('original'),
  },
  (t) => [primaryKey({ columns: [t.owner, t.docId] })],
);

export const JOB_STATES = ['running', 'completed', 'interrupted'] as const;

export const ingestJobs = sqliteTable('ingest_jobs', {
  id: text('id').primaryKey(),
  owner: text('owner').notNull(),
  collection: text('collection').notNull(),
  status: text('status', { enum: JOB_STATES }).notNull(),
  documents: integer('documents').notNull().default(0),
  chunks: integer('chunks').notNull().default(0),
  skipped: integer('skipped').notNull().default(0),
  failed: integer('failed').notNull().default(0),
  startedAt: integer('started_at').notNull(),
  finishedAt: integer('finished_at'),
});

/** Each owner's data key, wrapped by the master key (src/crypto/at-rest.ts). Deleting the row shreds the owner's data. */
export const ownerKeys = sqliteTable('owner_keys', {
  owner: text('owner').primaryKey(),
  wrappedKey: text('wrapped_key').notNull(),
  createdAt: integer('created_at').notNull(),
});

/** Permits their owners revoked (by name), checked on every request. `owner` is the stored owner id. */
export const revokedPermits = sqliteTable(
  'revoked_permits',
  {
    owner: text('owner').notNull(),
    permitName: text('permit_name').notNull(),
    revokedAt: integer('revoked_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.owner, t.permitName] })],
);

/**
 * Collections: the unit a user organizes and shares. Stores label chunks with
 * the collection's random id, so a rename touches one row here. `nameTag` is
 * the owner's deterministic seal of the name (lookup by name); `name` is
 * sealed for display.
 */
export const collections = sqliteTable(
  'collections',
  {
    owner: text('owner').notNull(),
    id: text('id').notNull(),
    nameTag: text('name_tag').notNull(),
    name: text('name').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.owner, t.id] }), uniqueIndex('collections_owner_name').on(t.owner, t.nameTag)],
);

/**
 * A grant's consent: `pending` until the grantee accepts it, `accepted` from
 * then on; `declined` when the grantee refused it while pending, `left` when
 * they gave up an accepted one. Only an `accepted` grant (and unexpired)
 * reaches retrieval: nobody's searches cover, or write into the log of, an
 * owner the searcher never agreed to read from.
 */
export const GRANT_STATES = ['pending', 'accepted', 'declined', 'left'] as const;
export type GrantState = (typeof GRANT_STATES)[number];

/**
 * Share grants: `owner` lets `grantee` (both stored owner ids) read one
 * collection or a set of documents until `expiresAt`, once the grantee has
 * accepted. What each side may see of the grant (the other's address, the
 * collection's name) is sealed twice: under the owner's key and under the
 * grantee's.
 */
export const grants = sqliteTable(
  'grants',
  {
    id: text('id').primaryKey(),
    owner: text('owner').notNull(),
    grantee: text('grantee').notNull(),
    collectionId: text('collection_id'),
    /** JSON array of document ids, for a grant of documents rather than a collection. */
    docIds: text('doc_ids', { mode: 'json' }).$type<string[]>(),
    expiresAt: integer('expires_at'),
    createdAt: integer('created_at').notNull(),
    ownerView: text('owner_view').notNull(),
    granteeView: text('grantee_view').notNull(),
    state: text('state', { enum: GRANT_STATES }).notNull().default('pending'),
  },
  (t) => [index('grants_grantee').on(t.grantee), index('grants_owner').on(t.owner)],
);

/** Owner access log: one sealed entry per retrieval that returned the owner's chunks. */
export const accessLog = sqliteTable(
  'access_log',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    owner: text('owner').notNull(),
    at: integer('at').notNull(),
    entry: text('entry').notNull(),
  },
  (t) => [index('access_log_owner_at').on(t.owner, t.at)],
);

/**
 * Conversations a user chose to keep: the whole exchange sealed under the
 * owner's key; only the owner id and times are in the clear.
 */
export const conversations = sqliteTable(
  'conversations',
  {
    owner: text('owner').notNull(),
    id: text('id').notNull(),
    body: text('body').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.owner, t.id] })],
);

export const UPLOAD_STATES = ['queued', 'done', 'failed', 'cancelled'] as const;
export type UploadState = (typeof UPLOAD_STATES)[number];

/**
 * The durable ingest queue: an upload is spooled (still sealed to the
 * service key, as it arrived) and recorded here before it is ingested, so a
 * restart resumes it. The name and the result are sealed under the owner's key.
 */
export const uploads = sqliteTable(
  'uploads',
  {
    id: text('id').primaryKey(),
    owner: text('owner').notNull(),
    collection: text('collection').notNull(),
    name: text('name').notNull(),
    size: integer('size').notNull(),
    state: text('state', { enum: UPLOAD_STATES }).notNull(),
    result: text('result'),
    /**
     * The spooled envelope's exchange keys, sealed under the owner's key: what
     * opens the spool again after a restart. Erased once the upload is done,
     * so the traffic's forward secrecy ends with the ingest, not later.
     */
    opening: text('opening'),
    createdAt: integer('created_at').notNull(),
    finishedAt: integer('finished_at'),
  },
  (t) => [index('uploads_owner').on(t.owner), index('uploads_state').on(t.state)],
);
