/**
 * `npm run demo`: PRAG end to end on this machine, narrated. Starts a service
 * (dev TEE, a temporary data directory, the configured LLM or extractive
 * answers), makes two identities — a patient and their doctor — uploads a
 * small mixed archive (an email, a FHIR discharge summary, a bank statement)
 * encrypted to the attested key, asks questions with cited answers, shares
 * the medical collection with the doctor, lets the doctor ask before and
 * after accepting the share, revokes, and shows the patient's access log.
 * Nothing is left behind.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { ROUTES } from '../../schemas/routes.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { destination } from 'pino';
import type { Credentials } from '../client/credentials.js';
import type { ChatFinal } from '../../schemas/chat.js';
import { Wallet } from '../auth/secretjs.js';
import { signPermit } from '../client/credentials.js';
import { PragClient } from '../client/session.js';
import { loadConfig } from '../config.js';
import { verifyReceipt } from '../crypto/receipt.js';
import { loadServiceConfig } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { startServer } from '../server/serve.js';

const ARCHIVE = resolve(import.meta.dirname, '../../demo/archive');
const COLLECTION: Record<string, string> = { '.eml': 'mail', '.json': 'medical', '.csv': 'finance' };
const say = (text = '') => process.stdout.write(`${text}\n`);

async function ask(client: PragClient, permit: Credentials, question: string): Promise<ChatFinal> {
  say(`  Q: ${question}`);
  const { request, frames } = await client.chat(permit, { messages: [{ role: 'user', content: question }] });
  for await (const f of frames) {
    if (f.type === 'error') throw new Error(`${f.error.code}: ${f.error.message}`);
    if (f.type !== 'final') continue;
    verifyReceipt(
      f.receipt,
      { answer: f.answer, citations: f.citations, request },
      { ed25519: client.service.ed25519, serviceId: client.serviceId },
    );
    say(`  A: ${f.answer.replaceAll('\n', '\n     ')}`);
    for (const c of f.citations)
      say(
        `     [${c.n}] ${c.title} (${c.collection ?? 'shared documents'}, ${c.shared ? 'shared by' : 'owner'} ${c.owner.slice(0, 14)}…)`,
      );
    say(`     (${f.llm.provider}/${f.llm.model}; receipt verified)`);
    return f;
  }
  throw new Error('the answer ended early');
}

const dir = mkdtempSync(join(tmpdir(), 'prag-demo-'));
const server = await startServer(
  join(dir, 'service'),
  loadServiceConfig({ ...process.env, PRAG_PORT: '0', PRAG_TEE: 'dev' }),
  loadConfig(),
  createLogger(destination(2), 'error'),
);
try {
  say(`PRAG demo — service at ${server.url} (dev TEE: nothing is hardware-attested on this machine)\n`);
  const connect = async (name: string) => {
    const wallet = new Wallet();
    const client = await PragClient.connect(server.url, { allowInsecureDev: true });
    const permit = await signPermit(wallet, { chainId: 'secret-4', serviceId: client.serviceId, device: 'demo' });
    say(`${name}: ${wallet.address} (attestation verified, permit signed for ${client.serviceId})`);
    return { wallet, client, permit };
  };
  const patient = await connect('Patient');
  const doctor = await connect('Doctor ');

  say('\n1. The patient uploads an archive, encrypted on their side to the attested key:');
  for (const file of readdirSync(ARCHIVE).sort()) {
    const bytes = readFileSync(join(ARCHIVE, file));
    const collection = COLLECTION[file.slice(file.lastIndexOf('.'))] ?? 'other';
    const r = await patient.client.upload(patient.permit, { name: file, size: bytes.length, bytes, collection });
    say(
      `  ${file} → collection "${collection}": ${r.chunks} chunk${r.chunks === 1 ? '' : 's'}${r.failed.length ? `, failed: ${r.failed.map((f) => f.error).join('; ')}` : ''}`,
    );
  }

  say('\n2. The patient asks:');
  await ask(patient.client, patient.permit, 'When is my cardiology follow-up appointment?');
  await ask(patient.client, patient.permit, 'Which medication was I prescribed for atrial fibrillation?');
  await ask(patient.client, patient.permit, 'How much did I pay City Pharmacy in March?');

  say("\n3. Before sharing, the doctor finds nothing of the patient's:");
  const before = await ask(doctor.client, doctor.permit, 'Which medication is the patient taking?');

  say('\n4. The patient shares the "medical" collection (only) with the doctor; until the doctor accepts, nothing:');
  const { grant_id } = await patient.client.call(ROUTES.shareGrant, patient.permit, {
    with: doctor.wallet.address,
    collection: 'medical',
  });
  for (const g of (await doctor.client.call(ROUTES.shares, doctor.permit, {})).received)
    say(`  offered to the doctor: "${g.collection}" from ${g.with.slice(0, 14)}… (${g.state})`);
  const pending = await ask(doctor.client, doctor.permit, 'Which medication is the patient taking?');
  say('  The doctor accepts the share and asks again:');
  await doctor.client.call(ROUTES.shareAccept, doctor.permit, { grant_id });
  const shared = await ask(doctor.client, doctor.permit, 'Which medication is the patient taking?');
  const leaked = await ask(doctor.client, doctor.permit, 'How much is the rent?');

  say('\n5. The patient revokes the share; the doctor asks again:');
  await patient.client.call(ROUTES.shareRevoke, patient.permit, { with: doctor.wallet.address, collection: 'medical' });
  const after = await ask(doctor.client, doctor.permit, 'Which medication is the patient taking?');

  say("\n6. The patient's access log (who read their passages):");
  for (const e of (await patient.client.call(ROUTES.audit, patient.permit, {})).entries) {
    say(
      `  ${e.at}  ${e.requester === patient.wallet.address ? 'patient' : 'doctor '}  ${e.endpoint}  ${e.chunk_ids.length} passage${e.chunk_ids.length === 1 ? '' : 's'}`,
    );
  }

  const ok =
    before.citations.length === 0 &&
    pending.citations.length === 0 &&
    shared.citations.some((c) => c.owner === patient.wallet.address && c.shared) &&
    leaked.citations.every((c) => c.collection === 'medical') &&
    after.citations.length === 0;
  say(
    `\nSummary: shared passages reached the doctor only once accepted, while the grant was live, and only from "medical": ${ok ? 'yes' : 'NO'}.`,
  );
  if (!ok) process.exitCode = 1;
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
