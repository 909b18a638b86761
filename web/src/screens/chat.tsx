/**
 * Chat: answers stream in; each [n] opens its passage in the document; the
 * model's reasoning stays behind a toggle; conversations are stored sealed on
 * the service and can be resumed; the receipt is verified here, against the
 * attested key, before the answer is shown as final.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ConversationSummary } from '../../../schemas/chat.js';
import type { ChatFinal, Citation, Prag, QueryFilters } from '../../../src/client/index.js';
import { DocumentView, type DocumentTarget } from '../document-view.js';
import { FilterForm, NO_FILTERS, toFilters } from '../filters.js';
import { errorInfo, formatDate, shortAddress, type ErrorInfo } from '../format.js';
import { ErrorNote, useAction } from '../ui.js';
import { UnderstoodNote } from '../understood-note.js';

interface Turn {
  question: string;
  answer: string;
  reasoning: string;
  citations: Array<Omit<Citation, 'shared'> & { shared?: boolean }>;
  final?: ChatFinal;
  /** The filters the service read from the question, as its start and final frames name them. */
  understood?: QueryFilters;
  error?: ErrorInfo;
}

export function ChatScreen({ prag, collections, active }: { prag: Prag; collections: string[]; active: boolean }) {
  const [turns, setTurns] = useState<Turn[]>([]);
  const [conversationId, setConversationId] = useState<string>();
  const [conversations, setConversations] = useState<ConversationSummary[]>([]);
  const [question, setQuestion] = useState('');
  const [filters, setFilters] = useState(NO_FILTERS);
  const [streaming, setStreaming] = useState(false);
  const [open, setOpen] = useState<DocumentTarget>();
  const list = useAction();

  const loadConversations = () =>
    list.run(async () => {
      setConversations(await prag.conversations());
    });
  useEffect(() => {
    if (active) loadConversations();
  }, [prag, active]);

  const resume = (id: string) =>
    list.run(async () => {
      const conversation = await prag.conversation(id);
      const resumed: Turn[] = [];
      for (const m of conversation.messages) {
        if (m.role === 'user') resumed.push({ question: m.content, answer: '', reasoning: '', citations: [] });
        else {
          const last = resumed.at(-1);
          if (last) Object.assign(last, { answer: m.content, citations: m.citations ?? [] });
        }
      }
      setTurns(resumed);
      setConversationId(conversation.id);
    });

  /** Asks `text` as the next turn; `understand: false` retrieves for it as written, reading no filters from it. */
  const ask = async (text: string, understand = true) => {
    const history = turns
      .filter((t) => t.answer)
      .flatMap((t) => [
        { role: 'user' as const, content: t.question },
        { role: 'assistant' as const, content: t.answer },
      ]);
    const index = turns.length;
    const patch = (change: (t: Turn) => Partial<Turn>) =>
      setTurns((all) => all.map((t, i) => (i === index ? { ...t, ...change(t) } : t)));
    setTurns((all) => [...all, { question: text, answer: '', reasoning: '', citations: [] }]);
    setStreaming(true);
    try {
      const frames = prag.ask([...history, { role: 'user', content: text }], {
        filters: toFilters(filters),
        ...(understand ? {} : { understand: false }),
        reasoning: true,
        conversation: { ...(conversationId ? { id: conversationId } : {}), store: true },
      });
      for await (const frame of frames) {
        if (frame.type === 'start') patch(() => ({ understood: frame.understood }));
        else if (frame.type === 'delta') patch((t) => ({ answer: t.answer + frame.text }));
        else if (frame.type === 'reasoning') patch((t) => ({ reasoning: t.reasoning + frame.text }));
        else if (frame.type === 'final') {
          patch(() => ({
            answer: frame.answer,
            citations: frame.citations,
            final: frame,
            understood: frame.understood,
          }));
          if (frame.conversation_id) setConversationId(frame.conversation_id);
        }
      }
    } catch (e) {
      patch(() => ({ error: errorInfo(e) }));
    } finally {
      setStreaming(false);
      loadConversations();
    }
  };

  return (
    <div class="layout chat">
      <aside class="panel conversations" aria-labelledby="conversations-title">
        <h2 id="conversations-title">Conversations</h2>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            setTurns([]);
            setConversationId(undefined);
          }}
        >
          New conversation
        </button>
        <ErrorNote error={list.error} />
        <ul data-testid="conversations">
          {conversations.map((c) => (
            <li key={c.id}>
              <button type="button" class="link" aria-pressed={c.id === conversationId} onClick={() => resume(c.id)}>
                {c.title}
              </button>
              <span class="small">
                {' '}
                {c.messages} messages · {formatDate(c.updated_at, true)}
              </span>
            </li>
          ))}
        </ul>
      </aside>
      <section class="panel thread" aria-labelledby="chat-title">
        <h2 id="chat-title">Ask your documents</h2>
        <ol class="turns" aria-live="polite">
          {turns.map((t, i) => (
            <li key={i} class="turn" data-testid="turn">
              <p class="question">{t.question}</p>
              {t.understood && (
                <UnderstoodNote
                  understood={t.understood}
                  busy={streaming}
                  literalLabel="Ask again with the words as written"
                  onLiteral={t.understood.dropped ? undefined : () => void ask(t.question, false)}
                />
              )}
              {t.reasoning && (
                <details class="reasoning">
                  <summary>Reasoning</summary>
                  <p class="pre">{t.reasoning}</p>
                </details>
              )}
              <p class="answer" data-testid="answer">
                <AnswerText text={t.answer} citations={t.citations} onOpen={setOpen} />
              </p>
              {t.citations.length > 0 && (
                <ol class="citations" data-testid="citations">
                  {t.citations.map((c) => (
                    <li key={c.n} value={c.n}>
                      <button
                        type="button"
                        class="link"
                        onClick={() => setOpen({ doc_id: c.doc_id, chunk_id: c.chunk_id, page: c.page })}
                      >
                        {c.title}
                      </button>
                      <span class="small">
                        {c.page !== null && ` · page ${c.page}`}
                        {c.ocr && ' · read by OCR'}
                        {c.section && ` · ${c.section}`}
                        {` · ${c.collection ?? 'shared documents'}`}
                        {c.shared && ` · shared by ${shortAddress(c.owner)}`}
                      </span>
                    </li>
                  ))}
                </ol>
              )}
              {t.final && <ReceiptBadge final={t.final} />}
              {t.error && <ErrorNote error={t.error} />}
            </li>
          ))}
        </ol>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const text = question.trim();
            if (!text) return;
            setQuestion('');
            void ask(text);
          }}
        >
          <div class="row">
            <label for="chat-question">Question</label>
            <input
              id="chat-question"
              required
              value={question}
              onInput={(e) => setQuestion(e.currentTarget.value)}
              disabled={streaming}
            />
            <button type="submit" disabled={streaming}>
              {streaming ? 'Answering…' : 'Ask'}
            </button>
          </div>
          <FilterForm id="chat-filter" value={filters} collections={collections} onChange={setFilters} />
        </form>
      </section>
      {open && <DocumentView prag={prag} target={open} onClose={() => setOpen(undefined)} />}
    </div>
  );
}

/** The answer with each [n] marker a button that opens its passage. */
function AnswerText({
  text,
  citations,
  onOpen,
}: {
  text: string;
  citations: Turn['citations'];
  onOpen: (target: DocumentTarget) => void;
}) {
  const parts = text.split(/(\[\d+\])/);
  return (
    <>
      {parts.map((part, i) => {
        const n = /^\[(\d+)\]$/.exec(part)?.[1];
        const cited = n === undefined ? undefined : citations.find((c) => c.n === Number(n));
        if (!cited) return part;
        return (
          <button
            key={i}
            type="button"
            class="marker"
            aria-label={`Source ${cited.n}: ${cited.title}`}
            onClick={() => onOpen({ doc_id: cited.doc_id, chunk_id: cited.chunk_id, page: cited.page })}
          >
            {part}
          </button>
        );
      })}
    </>
  );
}

function ReceiptBadge({ final }: { final: ChatFinal }) {
  const { receipt, llm } = final;
  return (
    <p class="receipt" data-testid="receipt">
      <span class="badge ok">Receipt verified</span>{' '}
      <span class="small">
        signed by the attested key {receipt.signer.slice(0, 12)}… at {formatDate(receipt.created_at, true)}; answered by{' '}
        {llm.provider}/{llm.model}
        {llm.attestation.status !== 'not_applicable' && ` (worker attestation: ${llm.attestation.status})`}
      </span>
    </p>
  );
}
