/** The store's surface: the SQLite repositories others are handed, their aggregate, and the encryption contexts. */
export { Stores } from './sqlite/stores.js';
export { CollectionRepository } from './sqlite/collections.js';
export { DocumentRepository, type DocumentRow, type NewChunk } from './sqlite/documents.js';
export { FactRepository } from './sqlite/facts.js';
export { GrantRepository, type GrantRow } from './sqlite/grants.js';
export { JobRepository } from './sqlite/jobs.js';
export { UploadRepository, type UploadRow } from './sqlite/uploads.js';
export * as contexts from './contexts.js';
