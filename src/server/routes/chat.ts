/**
 * A chat turn: retrieval under the requester's rights, then the answer
 * streamed as frames sealed to the requester, ending with citations and a
 * receipt signed by the attested key. The signal is aborted when the
 * requester goes away, which cancels the upstream LLM request.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import type { ChatFrame } from '../../../schemas/chat.js';
import { bytesToHex } from '../../crypto/bytes.js';
import { sha256Hex, signReceipt } from '../../crypto/receipt.js';
import { chatTurn } from '../../rag/chat.js';
import { EXTRACTIVE_PASSAGES } from '../../rag/extractive.js';
import { retrievalQuestion } from '../../rag/rewrite.js';
import type { PragService } from '../service.js';
import type { HandlersFor, StreamFrame } from './types.js';

export const chatRoutes = (svc: PragService): HandlersFor<'chat'> => ({
  async chat(caller, request, { bodyBytes, signal }) {
    const conversationId = request.conversation && (request.conversation.id ?? bytesToHex(randomBytes(16)));
    const query = await retrievalQuestion(request.messages, svc.llm, { model: request.model, signal });
    const { hits, understood } = await svc.retrieval.retrieve(
      caller,
      {
        query,
        k: svc.llm ? request.k : Math.max(request.k, EXTRACTIVE_PASSAGES),
        filters: request.filters,
        understand: request.understand,
      },
      'chat',
    );
    const frames = chatTurn(
      {
        llm: svc.llm,
        embed: (texts) => svc.engine.embed(texts),
        contextTokens: svc.config.llm.contextTokens,
        sign: (receipt) =>
          signReceipt(
            {
              v: 1,
              service_id: svc.statement.service_id,
              signer: svc.statement.ed25519,
              created_at: new Date().toISOString(),
              ...receipt,
            },
            svc.identity.signing.secret,
          ),
      },
      {
        messages: request.messages,
        question: query,
        hits,
        model: request.model,
        stream: request.stream,
        reasoning: request.reasoning,
        requestSha256: sha256Hex(bodyBytes),
        signal,
      },
    );
    const { conversations, metrics, log } = svc;
    const started = performance.now();
    return (async function* (): AsyncGenerator<StreamFrame<ChatFrame>> {
      let provider = 'unknown';
      let answering = false;
      for await (const raw of frames) {
        // The filters read from the question go with the first frame and the last, for a client to show and undo.
        const frame = understood && (raw.type === 'start' || raw.type === 'final') ? { ...raw, understood } : raw;
        if (frame.type === 'start' || frame.type === 'final') provider = frame.llm.provider;
        if ((frame.type === 'delta' || frame.type === 'final') && !answering) {
          answering = true;
          metrics.chatFirstToken.observe({ provider }, (performance.now() - started) / 1000);
        }
        if (frame.type === 'final') metrics.chatAnswers.inc({ provider, outcome: 'final' });
        if (frame.type === 'error') {
          metrics.chatAnswers.inc({ provider, outcome: frame.error.code });
          log.info({ code: frame.error.code }, 'chat answer failed');
        }
        if (frame.type === 'final' && conversationId) {
          conversations.save(caller.owner, conversationId, [
            ...request.messages,
            { role: 'assistant', content: frame.answer, citations: frame.citations },
          ]);
          yield { value: { ...frame, conversation_id: conversationId }, last: true };
          return;
        }
        yield { value: frame, last: frame.type === 'final' || frame.type === 'error' };
      }
    })();
  },
});
