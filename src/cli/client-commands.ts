/**
 * Client commands. Every command that sends anything first verifies the
 * service's attestation (AttestationError names the failed check), then signs
 * a permit for the attested service id and seals the request to the attested key.
 */
import { SingleBar, Presets } from 'cli-progress';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { AttestationPolicy } from '../../schemas/attestation.js';
import type { Permit } from '../../schemas/api.js';
import { collateralSource, DEFAULT_PCCS_URL } from '../client/collateral.js';
import { createIdentity, loadIdentity, signPermit } from '../client/identity.js';
import { PragClient, ServiceError } from '../client/session.js';
import { findFiles } from './files.js';
import { printHits } from './query-command.js';

export interface ConnectFlags {
  url: string;
  allowInsecureDev?: boolean;
  policy?: string;
  pccsUrl?: string;
}

export interface IdentityFlags extends ConnectFlags {
  identity: string;
  chainId: string;
  permitName: string;
}

const cacheDir = () => process.env.PRAG_CACHE_DIR ?? join(homedir(), '.cache', 'prag');

async function connect(flags: ConnectFlags): Promise<PragClient> {
  const policy = flags.policy ? AttestationPolicy.parse(JSON.parse(await readFile(flags.policy, 'utf8'))) : undefined;
  const pccsUrl = flags.pccsUrl ?? policy?.pccs_url ?? process.env.PRAG_PCCS_URL ?? DEFAULT_PCCS_URL;
  return PragClient.connect(flags.url.replace(/\/+$/, ''), {
    policy, allowInsecureDev: flags.allowInsecureDev, collateral: collateralSource({ pccsUrl, cacheDir: cacheDir() }),
  });
}

async function session(flags: IdentityFlags): Promise<{ client: PragClient; permit: Permit }> {
  const wallet = await loadIdentity(flags.identity);
  const client = await connect(flags);
  const permit = await signPermit(wallet, { chainId: flags.chainId, serviceId: client.serviceId, name: flags.permitName });
  return { client, permit };
}

const out = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

export async function keygenCommand(opts: { out: string }): Promise<void> {
  const address = await createIdentity(opts.out);
  process.stdout.write(`${address}\n`);
  process.stderr.write(`identity written to ${opts.out} (keep it private: it holds the wallet's mnemonic)\n`);
}

export async function attestCommand(opts: ConnectFlags & { json?: boolean }): Promise<void> {
  const client = await connect(opts);
  const { statement, insecure, tcb, measurement, composeSha256 } = client.service;
  if (opts.json) return out({ ok: true, insecure, statement, tcb, measurement, compose_sha256: composeSha256 });
  if (insecure) process.stderr.write('WARNING: the service runs the insecure dev provider; nothing about it is attested.\n');
  process.stdout.write([
    `verified: ${statement.service_id} (${statement.provider}${insecure ? ', INSECURE' : ''})`,
    `  encryption key ${statement.x25519} (kid ${statement.kid}), signing key ${statement.ed25519}, keys ${statement.key_origin}`,
    ...(tcb ? [`  TCB ${tcb.status}${tcb.advisoryIds.length ? ` (${tcb.advisoryIds.join(', ')})` : ''}`] : []),
    ...(measurement ? [`  platform ${measurement.label ?? measurement.mrtd}`] : []),
    ...(composeSha256 ? [`  docker-compose sha256 ${composeSha256}`] : []),
  ].join('\n') + '\n');
}

export async function uploadCommand(paths: string[], opts: IdentityFlags & { collection?: string; json?: boolean }): Promise<void> {
  const found = await findFiles(paths);
  const { client, permit } = await session(opts);
  const total = found.reduce((n, f) => n + f.size, 0);
  const bar = !opts.json && process.stderr.isTTY
    ? new SingleBar({ format: ' {bar} {percentage}% | {file} | {eta_formatted} left', stream: process.stderr, hideCursor: true }, Presets.shades_classic)
    : undefined;
  bar?.start(Math.max(1, total), 0, { file: '' });
  let sent = 0;
  const results = [];
  let failures = 0;
  try {
    for (const f of found) {
      bar?.update(sent, { file: basename(f.path) });
      async function* bytes() {
        for await (const chunk of createReadStream(f.path, { highWaterMark: 256 * 1024 })) {
          sent += (chunk as Buffer).length;
          bar?.update(sent);
          yield chunk as Buffer;
        }
      }
      try {
        const reply = await client.upload(permit, { name: basename(f.path), size: f.size, bytes: bytes(), collection: opts.collection });
        results.push({ path: f.path, ...reply });
        failures += reply.failed.length;
      } catch (e) {
        if (e instanceof ServiceError && e.status === 401) throw e; // the permit is refused: every file would be
        results.push({ path: f.path, error: (e as Error).message });
        failures++;
      }
    }
  } finally {
    bar?.stop();
  }
  if (opts.json) out(results);
  else for (const r of results) {
    if ('error' in r) process.stdout.write(`${r.path}: failed: ${r.error}\n`);
    else process.stdout.write(`${r.path}: ${r.doc_ids.length} documents, ${r.chunks} chunks${r.skipped ? `, ${r.skipped} already stored` : ''}${r.failed.length ? `, ${r.failed.length} failed` : ''}\n${r.failed.map((x) => `  failed: ${x.source}: ${x.error}\n`).join('')}`);
  }
  if (failures) process.exitCode = 1;
}

export async function searchCommand(query: string, opts: IdentityFlags & { k: number; json?: boolean; collection?: string[] }): Promise<void> {
  const { client, permit } = await session(opts);
  const { hits } = await client.search(permit, { query, k: opts.k, filters: opts.collection ? { collections: opts.collection } : {} });
  printHits(hits, opts.json);
}

export async function docsCommand(opts: IdentityFlags & { json?: boolean; collection?: string }): Promise<void> {
  const { client, permit } = await session(opts);
  const { documents } = await client.list(permit, opts.collection);
  if (opts.json) return out(documents);
  if (!documents.length) process.stdout.write('No documents.\n');
  for (const d of documents) process.stdout.write(`${d.doc_id}  ${d.collection}  ${d.format}  ${d.title}${d.parent_id ? '  (attachment)' : ''}\n`);
}

export async function deleteCommand(docId: string, opts: IdentityFlags & { json?: boolean }): Promise<void> {
  const { client, permit } = await session(opts);
  const reply = await client.delete(permit, docId);
  if (opts.json) out(reply);
  else process.stdout.write(`deleted ${reply.deleted} document${reply.deleted === 1 ? '' : 's'} (attachments included)\n`);
}

export async function revokePermitCommand(opts: IdentityFlags & { name: string }): Promise<void> {
  const { client, permit } = await session(opts);
  const reply = await client.revokePermit(permit, opts.name);
  process.stdout.write(`revoked permit "${reply.revoked}": requests signed with it are refused from now on\n`);
}
