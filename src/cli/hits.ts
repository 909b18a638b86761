/** Search hits printed for people or as JSON (`prag query` and `prag search`). */
import type { SearchHit } from '../../schemas/search.js';
import { printable } from './printable.js';

const snippet = (text: string, max = 240) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** Hits as `--json` (an array of {doc_id, chunk_id, title, source, page, score, text, ocr}) or as a readable list. */
export function printHits(hits: SearchHit[], json?: boolean): void {
  if (json) {
    const out = hits.map(({ doc_id, chunk_id, title, source, page, score, text, ocr }) => ({
      doc_id,
      chunk_id,
      title,
      source,
      page,
      score,
      text,
      ocr: ocr ?? false,
    }));
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  if (!hits.length) process.stdout.write('No matches.\n');
  hits.forEach((h, i) => {
    const where = [
      h.source,
      h.page ? `page ${h.page}` : '',
      h.section ? `§ ${h.section}` : '',
      h.ocr ? 'read by OCR' : '',
    ]
      .filter(Boolean)
      .join(' · ');
    process.stdout.write(
      printable(`${i + 1}. ${h.title}  (score ${h.score.toFixed(4)})\n   ${where}\n   ${snippet(h.text)}\n\n`),
    );
  });
}
