/**
 * A document opened at a passage: its sections (pages for PDFs) with the cited
 * passage marked and scrolled to. A modal dialog (Escape closes it).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { DocumentGetReply } from '../../schemas/api.js';
import type { Prag } from '../../src/client/index.js';
import { errorInfo, formatDate, shortAddress, type ErrorInfo } from './format.js';
import { ErrorNote } from './ui.js';

export interface DocumentTarget {
  doc_id: string;
  chunk_id?: string;
  page?: number | null;
}

export function DocumentView({ prag, target, onClose }: { prag: Prag; target: DocumentTarget; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [doc, setDoc] = useState<DocumentGetReply>();
  const [error, setError] = useState<ErrorInfo>();

  useEffect(() => {
    dialog.current?.showModal();
    let live = true;
    void (async () => {
      try {
        const reply = await prag.getDocument({
          doc_id: target.doc_id,
          ...(target.chunk_id ? { chunk_id: target.chunk_id } : {}),
        });
        if (live) setDoc(reply);
      } catch (e) {
        if (live) setError(errorInfo(e));
      }
    })();
    return () => {
      live = false;
    };
  }, [target.doc_id, target.chunk_id]);

  useEffect(() => {
    dialog.current?.querySelector('mark')?.scrollIntoView({ block: 'center' });
  }, [doc]);

  return (
    <dialog
      ref={dialog}
      class="document"
      aria-labelledby="document-title"
      onClose={onClose}
      data-testid="document-view"
    >
      <header class="row spread">
        <h2 id="document-title">{doc?.title ?? 'Opening…'}</h2>
        <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
          Close
        </button>
      </header>
      <ErrorNote error={error} />
      {doc && (
        <>
          <p class="small">
            {doc.format} · {formatDate(doc.date)} · {doc.collection ?? 'shared documents'}
            {doc.shared && ` · shared by ${shortAddress(doc.owner)}`}
            {doc.pages > 0 && ` · ${doc.pages} pages`}
            {doc.chunk?.page && (
              <>
                {' · '}
                <strong data-testid="cited-page">page {doc.chunk.page}</strong>
              </>
            )}
          </p>
          <div class="document-text">
            {doc.sections.map((s) => (
              <section key={s.index} aria-label={s.heading ?? (s.page ? `Page ${s.page}` : `Section ${s.index + 1}`)}>
                {(s.heading ?? s.page) && <h3>{s.heading ?? `Page ${s.page}`}</h3>}
                <SectionText text={s.text} chunk={doc.chunk?.section === s.index ? doc.chunk : undefined} />
              </section>
            ))}
          </div>
        </>
      )}
    </dialog>
  );
}

function SectionText({ text, chunk }: { text: string; chunk: { char_start: number; char_end: number } | undefined }) {
  if (!chunk) return <p class="pre">{text}</p>;
  return (
    <p class="pre">
      {text.slice(0, chunk.char_start)}
      <mark data-testid="cited-passage">{text.slice(chunk.char_start, chunk.char_end)}</mark>
      {text.slice(chunk.char_end)}
    </p>
  );
}
