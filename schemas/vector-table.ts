/**
 * The LanceDB `chunks` table: one row per chunk, holding what retrieval reads
 * (vector, text, keyword tokens) and what filters need (owner, collection,
 * format, date, email participants), so every filter is applied inside the
 * search rather than after it.
 */
import { Field, FixedSizeList, Float32, Int64, List, Schema, Utf8 } from 'apache-arrow';

export const CHUNKS_TABLE = 'chunks';

export type ChunkRow = {
  chunk_id: string;
  doc_id: string;
  owner: string;
  collection: string;
  format: string;
  /** The document's date, ms since the epoch. */
  doc_date: bigint | null;
  /** The span of the document's records (`dateStart`, `dateEnd`), else its date at both ends; ms since the epoch. */
  doc_date_start: bigint | null;
  doc_date_end: bigint | null;
  /** Lower-cased sender addresses (emails only). */
  from_addrs: string[] | null;
  /** Lower-cased To and Cc addresses (emails only). */
  to_addrs: string[] | null;
  text: string;
  /** The chunk's distinct keyword tokens, sorted, space-separated (src/store/keywords.ts): all the full-text index sees. */
  keywords: string;
  vector: Float32Array;
};

const utf8List = () => new List(new Field('item', new Utf8(), true));

export function chunkTableSchema(dim: number): Schema {
  return new Schema([
    new Field('chunk_id', new Utf8(), false),
    new Field('doc_id', new Utf8(), false),
    new Field('owner', new Utf8(), false),
    new Field('collection', new Utf8(), false),
    new Field('format', new Utf8(), false),
    new Field('doc_date', new Int64(), true),
    new Field('doc_date_start', new Int64(), true),
    new Field('doc_date_end', new Int64(), true),
    new Field('from_addrs', utf8List(), true),
    new Field('to_addrs', utf8List(), true),
    new Field('text', new Utf8(), false),
    new Field('keywords', new Utf8(), false),
    new Field('vector', new FixedSizeList(dim, new Field('item', new Float32(), true)), false),
  ]);
}
