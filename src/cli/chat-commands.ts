/**
 * `prag ask`, `prag chat` and `prag verify-receipt`: questions answered from
 * your documents (and those shared with you), streamed as they arrive, with
 * their sources; every answer's receipt is checked against the attested
 * service key before it is shown as final.
 */
import { readFile } from 'node:fs/promises';
import { ROUTES } from '../../schemas/routes.js';
import { createInterface } from 'node:readline/promises';
import type { Credentials } from '../client/credentials.js';
import { ChatRequest, type ChatFinal, type ChatMessage, type Citation } from '../../schemas/chat.js';
import { type PragClient, ServiceError } from '../client/session.js';
import { verifyReceipt } from '../crypto/receipt.js';
import { connect, out, requireCollections, session, type ConnectFlags, type IdentityFlags } from './client-commands.js';
import { issueText, UsageError } from './errors.js';
import { printable } from './printable.js';
import { understoodLine } from './understood.js';

export interface AskFlags extends IdentityFlags {
  collection?: string[];
  model?: string;
  k?: number;
  json?: boolean;
  literal?: boolean;
}

/** One turn: streams the answer to `write`, returns the final frame once its receipt verified. */
async function turn(
  client: PragClient,
  permit: Credentials,
  request: ChatRequest,
  write?: (text: string) => void,
): Promise<ChatFinal> {
  const cancel = new AbortController();
  const onInt = () => cancel.abort();
  process.once('SIGINT', onInt);
  try {
    const { request: sent, frames } = await client.chat(permit, request, cancel.signal);
    for await (const frame of frames) {
      if (frame.type === 'start') process.stderr.write(understoodLine(frame.understood));
      if (frame.type === 'delta') write?.(frame.text);
      if (frame.type === 'error') throw new ServiceError(502, frame.error.code, frame.error.message);
      if (frame.type === 'final') {
        verifyReceipt(
          frame.receipt,
          { answer: frame.answer, citations: frame.citations, request: sent },
          { ed25519: client.service.ed25519, serviceId: client.serviceId },
        );
        return frame;
      }
    }
    throw new ServiceError(502, 'reply_invalid', 'the answer ended without a final frame');
  } finally {
    process.off('SIGINT', onInt);
  }
}

const where = (c: Citation) =>
  [c.page !== null ? `p. ${c.page}` : '', c.section === c.title ? '' : (c.section ?? ''), c.ocr ? 'read by OCR' : '']
    .filter(Boolean)
    .join(', ');

function printSources(final: ChatFinal, self: string): void {
  const { llm } = final;
  const lines = final.citations.map(
    (c) =>
      `  [${c.n}] ${c.title}${where(c) ? ` (${where(c)})` : ''}${c.collection === null ? '' : ` — ${c.collection}`}${c.owner === self ? '' : `, shared by ${c.owner}`}\n      prag open ${c.doc_id} --chunk ${c.chunk_id}`,
  );
  process.stdout.write(printable(`\n${lines.length ? `\nSources:\n${lines.join('\n')}\n` : '\n(no sources cited)\n'}`));
  const attestation =
    llm.attestation.status === 'verified'
      ? `worker attested (${llm.attestation.platform ?? llm.attestation.mrtd?.slice(0, 16)}, TCB ${llm.attestation.tcb_status})`
      : `worker attestation ${llm.attestation.status}${llm.attestation.check ? ` (${llm.attestation.check})` : ''}`;
  process.stderr.write(`answered by ${llm.provider}/${llm.model}; ${attestation}; receipt verified\n`);
}

const requestOf = (
  messages: ChatMessage[],
  flags: AskFlags,
  conversation?: ChatRequest['conversation'],
): ChatRequest => ({
  messages,
  ...(flags.k ? { k: flags.k } : {}),
  ...(flags.model ? { model: flags.model } : {}),
  filters: flags.collection ? { collections: flags.collection } : {},
  ...(flags.literal ? { understand: false } : {}),
  ...(conversation ? { conversation } : {}),
});

/** The request checked before anything is sent: a refusal costs no round trip. */
function checkedRequest(request: ChatRequest): ChatRequest {
  const parsed = ChatRequest.safeParse(request);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map(issueText).join('; '));
  return request;
}

export async function askCommand(question: string, flags: AskFlags): Promise<void> {
  const request = checkedRequest(requestOf([{ role: 'user', content: question }], flags));
  const s = await session(flags);
  await requireCollections(s, flags.collection);
  const { client, permit, address } = s;
  const final = await turn(client, permit, request, flags.json ? undefined : (t) => process.stdout.write(printable(t)));
  if (flags.json)
    return out({ answer: final.answer, citations: final.citations, receipt: final.receipt, llm: final.llm });
  printSources(final, address);
}

export async function chatCommand(
  flags: AskFlags & { resume?: string; store?: boolean; list?: boolean },
): Promise<void> {
  const s = await session(flags);
  const { client, permit, address } = s;
  if (flags.list) {
    const { conversations } = await client.call(ROUTES.conversations, permit, {});
    if (flags.json) return out(conversations);
    for (const c of conversations)
      process.stdout.write(printable(`${c.id}  ${c.updated_at}  ${c.messages} messages  ${c.title}\n`));
    return;
  }
  const messages: ChatMessage[] = [];
  let id = flags.resume;
  if (id) {
    const stored = await client.call(ROUTES.conversationGet, permit, { id: id });
    for (const m of stored.messages) {
      messages.push({ role: m.role, content: m.content });
      process.stdout.write(printable(`${m.role === 'user' ? 'you' : 'prag'}> ${m.content}\n`));
    }
  }
  await requireCollections(s, flags.collection);
  const store = Boolean(flags.store || id);
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  try {
    for (;;) {
      const line = (await rl.question('you> ').catch(() => null))?.trim();
      if (line === undefined || line === null || line === '/exit') break;
      if (!line) continue;
      let request: ChatRequest;
      try {
        request = checkedRequest(
          requestOf([...messages, { role: 'user', content: line }], flags, store ? { id, store: true } : undefined),
        );
      } catch (e) {
        process.stderr.write(`prag: ${(e as Error).message}\n`); // nothing was sent; the conversation goes on
        continue;
      }
      messages.push({ role: 'user', content: line });
      process.stdout.write('prag> ');
      const final = await turn(client, permit, request, (t) => process.stdout.write(printable(t)));
      messages.push({ role: 'assistant', content: final.answer });
      id ??= final.conversation_id;
      printSources(final, address);
    }
  } finally {
    rl.close();
  }
  if (id) process.stderr.write(`conversation ${id} (resume with: prag chat --resume ${id})\n`);
}

/** Checks a saved `prag ask --json` answer against the service's attested key. */
export async function verifyReceiptCommand(file: string, flags: ConnectFlags): Promise<void> {
  const text = file === '-' ? await new Response(process.stdin as never).text() : await readFile(file, 'utf8');
  const saved = JSON.parse(text) as { answer: string; citations: Citation[]; receipt: unknown };
  const client = await connect(flags);
  const receipt = verifyReceipt(
    saved.receipt,
    { answer: saved.answer, citations: saved.citations ?? [] },
    { ed25519: client.service.ed25519, serviceId: client.serviceId },
  );
  process.stdout.write(
    `receipt valid: signed by ${receipt.service_id} (${receipt.signer.slice(0, 16)}…) at ${receipt.created_at}; ${receipt.provider}/${receipt.model}; ` +
      `${receipt.cited_chunks.length} cited passage${receipt.cited_chunks.length === 1 ? '' : 's'}; worker attestation ${receipt.attestation.status}\n`,
  );
}
