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
import type { ChatFinal, ChatMessage, ChatRequest, Citation } from '../../schemas/chat.js';
import { type PragClient, ServiceError } from '../client/session.js';
import { verifyReceipt } from '../crypto/receipt.js';
import { connect, out, session, type ConnectFlags, type IdentityFlags } from './client-commands.js';

export interface AskFlags extends IdentityFlags {
  collection?: string[];
  model?: string;
  k?: number;
  json?: boolean;
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
  [c.page !== null ? `p. ${c.page}` : '', c.section === c.title ? '' : (c.section ?? '')].filter(Boolean).join(', ');

function printSources(final: ChatFinal, self: string): void {
  const { llm } = final;
  const lines = final.citations.map(
    (c) =>
      `  [${c.n}] ${c.title}${where(c) ? ` (${where(c)})` : ''}${c.collection === null ? '' : ` — ${c.collection}`}${c.owner === self ? '' : `, shared by ${c.owner}`}`,
  );
  process.stdout.write(`\n${lines.length ? `\nSources:\n${lines.join('\n')}\n` : '\n(no sources cited)\n'}`);
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
  ...(conversation ? { conversation } : {}),
});

export async function askCommand(question: string, flags: AskFlags): Promise<void> {
  const { client, permit, address } = await session(flags);
  const final = await turn(
    client,
    permit,
    requestOf([{ role: 'user', content: question }], flags),
    flags.json ? undefined : (t) => process.stdout.write(t),
  );
  if (flags.json)
    return out({ answer: final.answer, citations: final.citations, receipt: final.receipt, llm: final.llm });
  printSources(final, address);
}

export async function chatCommand(
  flags: AskFlags & { resume?: string; store?: boolean; list?: boolean },
): Promise<void> {
  const { client, permit, address } = await session(flags);
  if (flags.list) {
    const { conversations } = await client.call(ROUTES.conversations, permit, {});
    if (flags.json) return out(conversations);
    for (const c of conversations)
      process.stdout.write(`${c.id}  ${c.updated_at}  ${c.messages} messages  ${c.title}\n`);
    return;
  }
  const messages: ChatMessage[] = [];
  let id = flags.resume;
  if (id) {
    const stored = await client.call(ROUTES.conversationGet, permit, { id: id });
    for (const m of stored.messages) {
      messages.push({ role: m.role, content: m.content });
      process.stdout.write(`${m.role === 'user' ? 'you' : 'prag'}> ${m.content}\n`);
    }
  }
  const store = Boolean(flags.store || id);
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  try {
    for (;;) {
      const line = (await rl.question('you> ').catch(() => null))?.trim();
      if (line === undefined || line === null || line === '/exit') break;
      if (!line) continue;
      messages.push({ role: 'user', content: line });
      process.stdout.write('prag> ');
      const final = await turn(
        client,
        permit,
        requestOf(messages, flags, store ? { id, store: true } : undefined),
        (t) => process.stdout.write(t),
      );
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
