/**
 * One chat turn: the retrieved passages become numbered context, the LLM (or,
 * without one, the extractive answerer) streams the answer, markers are kept
 * only for real sources, and the final frame carries the citations and the
 * signed receipt.
 */
import type { ChatFrame, ChatMessage, Citation, LlmInfo, Receipt, ReceiptBody } from '../../schemas/chat.js';
import { sha256Hex } from '../crypto/receipt.js';
import { LlmError, type Llm } from '../llm/types.js';
import { selectPassages, type OwnedHit, type Passage } from './context.js';
import { extractiveAnswer, type Embed } from './extractive.js';
import { CitationFilter } from './markers.js';
import { buildPrompt } from './prompt.js';

/** An answer longer than this is cut off (a runaway model must not fill memory). */
const MAX_ANSWER_CHARS = 200_000;

const EXTRACTIVE_INFO: LlmInfo = {
  provider: 'extractive',
  model: 'extractive',
  attestation: { mode: 'off', status: 'not_applicable' },
};

export interface ChatTurn {
  messages: ChatMessage[];
  /** The standalone question retrieval searched for (a follow-up rewritten or joined): what the extractive answer answers. */
  question: string;
  hits: OwnedHit[];
  model?: string;
  stream: boolean;
  reasoning: boolean;
  requestSha256: string;
  signal: AbortSignal;
}

export interface ChatDeps {
  llm?: Llm;
  /** The index's embedding model: the extractive answerer (no LLM) chooses sentences by meaning with it. */
  embed: Embed;
  contextTokens: number;
  sign(body: Omit<ReceiptBody, 'v' | 'service_id' | 'signer' | 'created_at'>): Receipt;
}

function citationOf(p: Passage): Citation {
  const { hit } = p;
  return {
    n: p.n,
    doc_id: hit.doc_id,
    chunk_id: hit.chunk_id,
    title: hit.title,
    page: hit.page,
    section: hit.section,
    chunk_hash: p.hash,
    owner: hit.owner,
    collection: hit.collection,
    shared: hit.shared,
    ...(hit.ocr ? { ocr: true } : {}),
    ...(hit.thread ? { thread: hit.thread } : {}),
  };
}

async function* extractive(
  question: string,
  passages: Passage[],
  embed: Embed,
): AsyncIterable<{ type: 'text'; text: string }> {
  yield { type: 'text', text: await extractiveAnswer(question, passages, embed) };
}

/** Frames of one answer; the last is `final`, or `error` when the LLM fails. */
export async function* chatTurn(deps: ChatDeps, turn: ChatTurn): AsyncGenerator<ChatFrame> {
  const passages = selectPassages(turn.hits, deps.contextTokens);
  const byNumber = new Map(passages.map((p) => [p.n, p]));
  const filter = new CitationFilter((n) => byNumber.has(n));
  let answer = '';
  try {
    const opened = deps.llm
      ? await deps.llm.open({ messages: buildPrompt(passages, turn.messages), model: turn.model, signal: turn.signal })
      : { info: EXTRACTIVE_INFO, events: extractive(turn.question, passages, deps.embed) };
    if (turn.stream) yield { type: 'start', llm: opened.info, sources: passages.length };
    for await (const event of opened.events) {
      if (event.type === 'reasoning') {
        if (turn.reasoning && turn.stream) yield { type: 'reasoning', text: event.text };
        continue;
      }
      const text = filter.push(event.text);
      if (!text) continue;
      answer += text;
      if (turn.stream) yield { type: 'delta', text };
      if (answer.length > MAX_ANSWER_CHARS) break;
    }
    const tail = filter.flush();
    answer += tail;
    if (tail && turn.stream) yield { type: 'delta', text: tail };
    const citations = filter.cited
      .map((n) => byNumber.get(n))
      .filter((p) => p !== undefined) // every cited number is a passage's: the filter keeps no other
      .map(citationOf);
    const receipt = deps.sign({
      request_sha256: turn.requestSha256,
      answer_sha256: sha256Hex(answer),
      cited_chunks: citations.map((c) => c.chunk_hash),
      provider: opened.info.provider,
      model: opened.info.model,
      attestation: opened.info.attestation,
    });
    yield { type: 'final', answer, citations, receipt, llm: opened.info };
  } catch (e) {
    if (!(e instanceof LlmError)) throw e;
    yield { type: 'error', error: { code: e.code, message: e.message } };
  }
}
