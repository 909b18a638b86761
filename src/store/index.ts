/** The SQLite repositories and their aggregate; the encryption contexts of sealed fields. */
export { Stores } from './sqlite/stores.js';
export { AccessLogRepository, type AccessLogRow } from './sqlite/access-log.js';
export { CollectionRepository, type CollectionRow } from './sqlite/collections.js';
export { ConversationRepository, type ConversationRow } from './sqlite/conversations.js';
export { DataKeyRepository } from './sqlite/data-keys.js';
export {
  DocumentRepository,
  type ChunkPointer,
  type DocumentRow,
  type NewChunk,
  type NewDocument,
} from './sqlite/documents.js';
export { FactRepository } from './sqlite/facts.js';
export { GrantRepository, type GrantRow } from './sqlite/grants.js';
export { JobRepository } from './sqlite/jobs.js';
export { RevocationRepository } from './sqlite/revocations.js';
export { UploadRepository, type UploadRow } from './sqlite/uploads.js';
export * as contexts from './contexts.js';
