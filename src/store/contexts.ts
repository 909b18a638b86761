/**
 * The encryption contexts of sealed and tagged fields: the associated data
 * each value is bound to (src/crypto/at-rest.ts), so a sealed value copied
 * into another field or row fails to open instead of passing for it. The
 * strings are part of the stored data: changing one makes everything already
 * sealed under it unreadable.
 *
 * Sealed values (`seal`/`open`) are bound to their field and row:
 */

/** A document's title, to its (keyed) document id. */
export const documentTitle = (docId: string) => `title:${docId}`;

/** A document's source path, to its document id. */
export const documentSource = (docId: string) => `source:${docId}`;

/** A document's format metadata (JSON), to its document id. */
export const documentMeta = (docId: string) => `meta:${docId}`;

/** A document's parsed sections (JSON), to its document id. */
export const documentSections = (docId: string) => `sections:${docId}`;

/** A document's uploaded bytes (base64), to its document id. */
export const documentOriginal = (docId: string) => `original:${docId}`;

/** A chunk's text (in LanceDB), to its chunk id. */
export const chunkText = (chunkId: string) => `chunk:${chunkId}`;

/** A chunk's section heading (in SQLite), to its chunk id. */
export const chunkHeading = (chunkId: string) => `heading:${chunkId}`;

/** A collection's display name, to its collection id (a rename re-seals under the same id). */
export const collectionName = (collectionId: string) => `collection:${collectionId}`;

/** Both views of a share grant (the owner's, under the owner's key; the grantee's, under theirs), to the grant id. */
export const grantView = (grantId: string) => `grant:${grantId}`;

/** An access log entry, to its owner and time (ms): an entry cannot be moved to another owner or moment. */
export const accessEntry = (owner: string, at: number) => `access:${owner}:${at}`;

/** A kept conversation's messages, to its owner and id. */
export const conversation = (owner: string, id: string) => `conversation:${owner}:${id}`;

/** An upload's file name, to its upload id. */
export const uploadName = (uploadId: string) => `upload-name:${uploadId}`;

/** The exchange keys that open a spooled upload (JSON), to its upload id. */
export const uploadOpening = (uploadId: string) => `upload-opening:${uploadId}`;

/** An upload's outcome (reply or error, JSON), to its upload id. */
export const uploadResult = (uploadId: string) => `upload-result:${uploadId}`;

/*
 * Tagged values (`tag`: deterministic, so stores can filter on equality) are
 * bound to their kind only: equal values must give equal tags across rows.
 */

/** Email addresses (a chunk's from/to filter columns, and the filter values a search looks for). */
export const emailAddressTag = () => 'address';

/** Collection names (looked up by name: the tag is the `name_tag` column). */
export const collectionNameTag = () => 'collection-name';
